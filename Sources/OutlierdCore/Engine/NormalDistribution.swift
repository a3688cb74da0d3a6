import Foundation
import Synchronization

/// The standard normal distribution's tails, for the normal-equivalent
/// scale of scores: a score z means "as unlikely as a z-sigma normal event".
package enum NormalDistribution {
  /// Two-sided tail P(|Z| ≥ z) = erfc(z/√2).
  package static func twoSidedTail(_ z: Double) -> Double {
    erfc(abs(z) / 2.0.squareRoot())
  }

  /// The z ≥ 0 with P(|Z| ≥ z) = p, for 0 < p ≤ 1.
  ///
  /// Acklam's rational approximation of the quantile (relative error
  /// 1.2e-9), refined by one Halley step on erfc, which brings it to full
  /// double precision; below p = 1e-300 the result is capped at 37.5.
  package static func twoSidedQuantile(_ p: Double) -> Double {
    if p.isNaN { return .nan }
    if p >= 1 { return 0 }
    if p <= 1e-300 { return 37.5 }
    let q = p / 2  // upper tail probability
    var z = -lowerQuantileApproximation(q)
    // Halley step on f(z) = erfc(z/√2)/2 − q.
    let e = erfc(z / 2.0.squareRoot()) / 2 - q
    let u = e * (2 * Double.pi).squareRoot() * exp(z * z / 2)
    z = z + u / (1 + z * u / 2)
    return z
  }

  /// Acklam's approximation of Φ⁻¹(p) for 0 < p < 1.
  static func lowerQuantileApproximation(_ p: Double) -> Double {
    let a = [
      -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
      -3.066479806614716e+01, 2.506628277459239e+00,
    ]
    let b = [
      -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
      -1.328068155288572e+01,
    ]
    let c = [
      -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
      4.374664141464968e+00, 2.938163982698783e+00,
    ]
    let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
    let low = 0.02425
    if p < low {
      let q = (-2 * log(p)).squareRoot()
      return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
        / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    }
    if p > 1 - low {
      let q = (-2 * log(1 - p)).squareRoot()
      return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
        / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    }
    let q = p - 0.5
    let r = q * q
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
      / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  }
}
