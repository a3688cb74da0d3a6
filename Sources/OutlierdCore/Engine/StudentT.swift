import Foundation

/// Student's t distribution, through the regularized incomplete beta
/// function: for ν degrees of freedom, P(|T| > t) = I_x(ν/2, 1/2) with
/// x = ν/(ν + t²).
package enum StudentT {
  /// Two-sided tail probability P(|T| ≥ |t|).
  package static func twoSidedPValue(_ t: Double, degreesOfFreedom nu: Double) -> Double {
    precondition(nu > 0, "degrees of freedom must be positive")
    if t.isNaN { return .nan }
    if t.isInfinite { return 0 }
    let t2 = t * t
    // x and 1 − x, each computed without cancellation.
    let x = nu / (nu + t2)
    let oneMinusX = t2 / (nu + t2)
    return IncompleteBeta.regularized(a: nu / 2, b: 0.5, x: x, oneMinusX: oneMinusX)
  }

  /// Cumulative distribution P(T ≤ t).
  package static func cdf(_ t: Double, degreesOfFreedom nu: Double) -> Double {
    let tail = twoSidedPValue(t, degreesOfFreedom: nu) / 2
    return t < 0 ? tail : 1 - tail
  }
}
