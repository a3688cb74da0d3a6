import Foundation
import Synchronization

/// The standard normal distribution's tails, for the normal-equivalent
/// scale of scores: a score z means "as unlikely as a z-sigma normal event".
public enum NormalDistribution {
  /// Two-sided tail P(|Z| ≥ z) = erfc(z/√2).
  public static func twoSidedTail(_ z: Double) -> Double {
    erfc(abs(z) / 2.0.squareRoot())
  }

  /// The z ≥ 0 with P(|Z| ≥ z) = p, for 0 < p ≤ 1.
  ///
  /// Acklam's rational approximation of the quantile (relative error
  /// 1.2e-9), refined by one Halley step on erfc, which brings it to full
  /// double precision; below p = 1e-300 the result is capped at 37.5.
  public static func twoSidedQuantile(_ p: Double) -> Double {
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

/// Critical values of Student's t for a threshold on the normal-equivalent
/// scale: for ν degrees of freedom, the t with P(|T_ν| ≥ t) = P(|Z| ≥ k).
///
/// "Threshold 4" then means the same at every n: a slot with 3 samples
/// (ν = 1) alerts above t ≈ 10,050, one with 32 (ν = 30) above t ≈ 4.65, and
/// a large one above t → 4. Values are solved once per threshold, for
/// ν = 1…1024 (integer ν; a fractional ν uses the table entry below it,
/// which is the more conservative); above 1024 a Cornish–Fisher expansion
/// is within 1e-9 of the exact value.
public final class CriticalValues: Sendable {
  public let threshold: Double
  public let tailProbability: Double
  private let table: [Double]
  static let tableSize = 1024

  init(threshold: Double) {
    self.threshold = threshold
    let p = NormalDistribution.twoSidedTail(threshold)
    tailProbability = p
    table = (1...Self.tableSize).map { nu in Self.solve(p: p, nu: Double(nu), start: threshold) }
  }

  /// The critical t for ν degrees of freedom.
  @inline(__always)
  public func value(degreesOfFreedom nu: Double) -> Double {
    if nu < Double(Self.tableSize) {
      return table[max(Int(nu), 1) - 1]
    }
    // Cornish–Fisher: t = z + (z³ + z)/(4ν) + (5z⁵ + 16z³ + 3z)/(96ν²) + …
    let z = threshold, z3 = z * z * z, z5 = z3 * z * z
    return z + (z3 + z) / (4 * nu) + (5 * z5 + 16 * z3 + 3 * z) / (96 * nu * nu)
      + (3 * z5 * z * z + 19 * z5 + 17 * z3 - 15 * z) / (384 * nu * nu * nu)
  }

  /// Bisection on log t: the tail is monotone in t, and t spans from about
  /// k to 10⁴·k for small ν.
  static func solve(p: Double, nu: Double, start: Double) -> Double {
    var low = log(start * 0.5)
    var high = log(start)
    while StudentT.twoSidedPValue(exp(high), degreesOfFreedom: nu) > p { high += 1 }
    for _ in 0..<80 {
      let mid = (low + high) / 2
      if StudentT.twoSidedPValue(exp(mid), degreesOfFreedom: nu) > p { low = mid } else { high = mid }
      if high - low < 1e-14 { break }
    }
    return exp((low + high) / 2)
  }

  private static let cache = Mutex<[Double: CriticalValues]>([:])

  /// The shared table for a threshold, computed on first use.
  public static func forThreshold(_ k: Double) -> CriticalValues {
    if let cached = cache.withLock({ $0[k] }) { return cached }
    let values = CriticalValues(threshold: k)
    return cache.withLock { cache in
      if let other = cache[k] { return other }
      cache[k] = values
      return values
    }
  }
}
