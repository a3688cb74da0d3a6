import Foundation

/// Tails of a count's distribution around its expected value μ, for the
/// `counts` noise family: Poisson when the series' dispersion φ (variance
/// over mean) is at most 1, else the negative binomial with mean μ and
/// variance φμ (r = μ / (φ − 1), success probability 1 / φ), the usual
/// model of over-dispersed counts.
package enum CountTail {
  /// P(X ≥ k).
  package static func atLeast(_ k: Double, mean: Double, dispersion: Double) -> Double {
    if k <= 0 { return 1 }
    let mu = max(mean, 1e-9)
    if dispersion <= 1 + 1e-9 { return IncompleteGamma.lower(a: k, x: mu) }
    let r = mu / (dispersion - 1)
    let q = 1 / dispersion
    // P(X ≥ k) = I_{1−q}(k, r)
    return IncompleteBeta.regularized(a: k, b: r, x: 1 - q, oneMinusX: q)
  }

  /// P(X ≤ k).
  package static func atMost(_ k: Double, mean: Double, dispersion: Double) -> Double {
    if k < 0 { return 0 }
    let mu = max(mean, 1e-9)
    if dispersion <= 1 + 1e-9 { return IncompleteGamma.upper(a: k + 1, x: mu) }
    let r = mu / (dispersion - 1)
    let q = 1 / dispersion
    // P(X ≤ k) = I_q(r, k + 1)
    return IncompleteBeta.regularized(a: r, b: k + 1, x: q, oneMinusX: 1 - q)
  }

  /// The two-sided p of a count y: twice the smaller tail it lies in,
  /// at most 1.
  package static func twoSidedP(_ y: Double, mean: Double, dispersion: Double) -> Double {
    let k = y.rounded()
    return min(
      1,
      2 * min(atLeast(k, mean: mean, dispersion: dispersion), atMost(k, mean: mean, dispersion: dispersion)))
  }
}
