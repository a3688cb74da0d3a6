import Foundation
import Synchronization

/// Critical values of Student's t for a threshold on the normal-equivalent
/// scale: for ν degrees of freedom, the t with P(|T_ν| ≥ t) = P(|Z| ≥ k).
///
/// "Threshold 4" then means the same at every n: a slot with 3 samples
/// (ν = 1) alerts above t ≈ 10,050, one with 32 (ν = 30) above t ≈ 4.65, and
/// a large one above t → 4. Values are solved once per threshold, for
/// ν = 1…1024 (integer ν; a fractional ν uses the table entry below it,
/// which is the more conservative); above 1024 a Cornish–Fisher expansion
/// is within 1e-9 of the exact value.
package final class CriticalValues: Sendable {
  package let threshold: Double
  package let tailProbability: Double
  /// The values for ν = 1…tableSize, in memory of this table's own,
  /// written once in `init` and freed with the table: a lookup is a load,
  /// with no reference to retain.
  private let lookup: Lookup
  static let tableSize = 1024

  init(threshold: Double) {
    self.threshold = threshold
    let p = NormalDistribution.twoSidedTail(threshold)
    tailProbability = p
    let table = UnsafeMutablePointer<Double>.allocate(capacity: Self.tableSize)
    for nu in 1...Self.tableSize {
      (table + nu - 1).initialize(to: Self.solve(p: p, nu: Double(nu), start: threshold))
    }
    lookup = Lookup(table: UnsafePointer(table), threshold: threshold)
  }

  deinit { UnsafeMutablePointer(mutating: lookup.table).deallocate() }

  /// The critical t for ν degrees of freedom.
  @inline(__always)
  package func value(degreesOfFreedom nu: Double) -> Double { lookup.value(degreesOfFreedom: nu) }

  /// The table read through its address: what `ScoringRules` keeps for
  /// every sample it judges. Reaching the table through a reference, even
  /// `unowned(unsafe)`, retained and released it on every lookup: two
  /// atomic operations per judged sample.
  ///
  /// Valid while its table lives: those of `forThreshold` live as long as
  /// the process, and `lookup(forThreshold:)` hands out only those. The
  /// values never change after `init`, so a lookup may be read from any
  /// thread.
  package struct Lookup: @unchecked Sendable {
    let table: UnsafePointer<Double>
    let threshold: Double

    /// The critical t for ν degrees of freedom: the table's entry at or
    /// below ν (the more conservative) up to tableSize; above it a
    /// Cornish–Fisher expansion, within 1e-9 of the exact value.
    @inline(__always)
    package func value(degreesOfFreedom nu: Double) -> Double {
      if nu < Double(CriticalValues.tableSize) {
        return table[max(Int(nu), 1) - 1]
      }
      // Cornish–Fisher: t = z + (z³ + z)/(4ν) + (5z⁵ + 16z³ + 3z)/(96ν²) + …
      let z = threshold, z3 = z * z * z, z5 = z3 * z * z
      return z + (z3 + z) / (4 * nu) + (5 * z5 + 16 * z3 + 3 * z) / (96 * nu * nu)
        + (3 * z5 * z * z + 19 * z5 + 17 * z3 - 15 * z) / (384 * nu * nu * nu)
    }
  }

  /// The lookup of the shared table for a threshold (`forThreshold`),
  /// which lives as long as the process.
  package static func lookup(forThreshold k: Double) -> Lookup { forThreshold(k).lookup }

  /// Solves P(|T_ν| ≥ t) = p for t by the Illinois variant of regula
  /// falsi on (log t, log P), which is nearly a straight line (the tail is
  /// close to a power law), within a bracket that always holds the root:
  /// about 8 tail evaluations where bisection took 47. The table's 1024
  /// values were 2% of a million-sample ingest.
  static func solve(p: Double, nu: Double, start: Double) -> Double {
    let target = log(p)
    func excess(_ u: Double) -> Double { log(StudentT.twoSidedPValue(exp(u), degreesOfFreedom: nu)) - target }
    var low = log(start * 0.5)
    var high = log(start)
    var fLow = excess(low)
    var fHigh = excess(high)
    while fHigh > 0 {
      (low, fLow) = (high, fHigh)
      high += 1
      fHigh = excess(high)
    }
    // excess falls with u: fLow > 0 ≥ fHigh.
    var side = 0
    for _ in 0..<200 {
      let u = (low * fHigh - high * fLow) / (fHigh - fLow)
      let f = excess(u)
      if f > 0 {
        (low, fLow) = (u, f)
        if side == -1 { fHigh /= 2 }
        side = -1
      } else {
        (high, fHigh) = (u, f)
        if side == 1 { fLow /= 2 }
        side = 1
      }
      if f == 0 || high - low < 1e-14 || abs(f) < 1e-15 { return exp(u) }
    }
    return exp((low + high) / 2)
  }

  private static let cache = Mutex<[Double: CriticalValues]>([:])

  /// The shared table for a threshold, computed on first use.
  package static func forThreshold(_ k: Double) -> CriticalValues {
    if let cached = cache.withLock({ $0[k] }) { return cached }
    let values = CriticalValues(threshold: k)
    return cache.withLock { cache in
      if let other = cache[k] { return other }
      cache[k] = values
      return values
    }
  }
}
