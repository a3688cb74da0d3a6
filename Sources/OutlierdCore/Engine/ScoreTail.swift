import Foundation

/// A series' own record of how far its samples fall from their slots'
/// lines, to calibrate the threshold to its real tail.
///
/// Real metrics are rarely Gaussian around their weekly pattern: bursty
/// counts and latencies have heavy tails, and a threshold that means "as
/// unlikely as 3.5σ" under the model alarms tens of times as often on them
/// (docs/detection.md). The tail keeps a decayed histogram of u = |t| /
/// critical, each judged sample's studentized residual as a fraction of the
/// parametric critical value, and from it the **tail factor** κ ≥ 1: how
/// much farther out the series' tail lies than the model's (see
/// `tailFactor`). A
/// series whose residuals are as heavy as the model says gets κ = 1 and the
/// configured threshold; one whose 1% tail lies twice as far out is judged
/// against twice the critical value. κ never goes below 1: a series is never
/// made more sensitive than configured.
///
/// Bounded and cheap: 24 counts, a bin read from the exponent's bits and an
/// add per sample (decay is applied lazily through a growing increment),
/// κ recomputed every
/// `refreshEvery` samples. Every field is a finite number, so it round-trips
/// through JSON with the series' track.
package struct ScoreTail: Sendable, Hashable, Codable {
  // The scalars come before the counts: every judged sample reads them
  // (the factor in force) and writes one count, so they share the counts'
  // first cache line instead of needing one of their own. The series'
  // tracks together outgrow the L2 cache on a backfill of many series.
  /// What the next sample adds: grows by 1/decay per sample instead of
  /// every count shrinking by decay.
  package private(set) var increment: Double = 1
  /// The sum of the counts.
  package private(set) var total: Double = 0
  /// Samples added since κ was last computed.
  package private(set) var sinceRefresh = 0
  /// κ, the tail factor in force.
  package private(set) var factor: Double = 1
  /// Decayed counts of u in log-spaced bins: bin 0 holds u < lowest, bin
  /// k ≥ 1 holds lowest·2^((k−1)/4) ≤ u < lowest·2^(k/4), the last bin also
  /// everything above. Inline, not an Array: the hot path updates one count
  /// per sample without a uniqueness check or reference counting. 32-bit:
  /// every series holds four tails in memory, and a quantile needs no more
  /// than 7 digits of a count.
  package private(set) var counts = InlineArray<24, Float>(repeating: 0)

  package static let bins = 24
  /// The lower edge of bin 1, as a fraction of the critical value; bins
  /// are a quarter octave of u wide (a factor 2^¼ ≈ 1.19), so the last
  /// starts at 0.25·2^5.5 ≈ 11.3.
  package static let lowest = 0.25
  /// Each sample's weight relative to the one before: about four weeks of
  /// 5-minute samples (8064) make the memory.
  package static let decay = 1 - 1.0 / 8064
  /// The tail probability at which the series is compared with the model.
  package static let referenceTail = 0.01
  /// Samples the tail must hold before κ may leave 1: with fewer, its 99th
  /// percentile rests on one or two samples.
  package static let minimumWeight = 300.0
  package static let refreshEvery = 32
  /// The increment at which counts are brought back to 1: a 32-bit count
  /// holds up to 3.4e38, and a tail's counts sum to about 8,064 increments.
  static let rescaleAbove = 1e30

  package init() {}

  /// Restores a tail saved earlier (the store's binary track).
  init(counts: InlineArray<24, Float>, increment: Double, total: Double, sinceRefresh: Int, factor: Double) {
    self.counts = counts
    self.increment = increment
    self.total = total
    self.sinceRefresh = sinceRefresh
    self.factor = factor
  }

  // InlineArray has no synthesized conformances: the counts are compared,
  // hashed and coded element by element (as a JSON array of 24 numbers).

  package static func == (a: ScoreTail, b: ScoreTail) -> Bool {
    guard a.increment == b.increment, a.total == b.total, a.sinceRefresh == b.sinceRefresh,
      a.factor == b.factor
    else { return false }
    for k in 0..<bins where a.counts[k] != b.counts[k] { return false }
    return true
  }

  package func hash(into hasher: inout Hasher) {
    for k in 0..<Self.bins { hasher.combine(counts[k]) }
    hasher.combine(increment)
    hasher.combine(total)
    hasher.combine(sinceRefresh)
    hasher.combine(factor)
  }

  enum CodingKeys: String, CodingKey { case counts, increment, total, sinceRefresh, factor }

  package init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let stored = try container.decode([Double].self, forKey: .counts)
    guard stored.count == Self.bins, stored.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
      throw DecodingError.dataCorruptedError(
        forKey: .counts, in: container, debugDescription: "\(Self.bins) finite counts expected")
    }
    for k in 0..<Self.bins { counts[k] = Float(stored[k]) }
    increment = try container.decode(Double.self, forKey: .increment)
    total = try container.decode(Double.self, forKey: .total)
    sinceRefresh = try container.decode(Int.self, forKey: .sinceRefresh)
    factor = try container.decode(Double.self, forKey: .factor)
  }

  package func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode((0..<Self.bins).map { Double(counts[$0]) }, forKey: .counts)
    try container.encode(increment, forKey: .increment)
    try container.encode(total, forKey: .total)
    try container.encode(sinceRefresh, forKey: .sinceRefresh)
    try container.encode(factor, forKey: .factor)
  }

  /// The model's 99th percentile of |t| / critical: z₀.₀₀₅ / threshold, the
  /// normal quantile against the normal-equivalent threshold (for the t
  /// scale and small degrees of freedom an approximation, which errs
  /// toward a larger κ only where the t tail is truly heavier).
  package static func modelReference(threshold: Double) -> Double {
    NormalDistribution.twoSidedQuantile(referenceTail) / threshold
  }

  /// Records one judged sample, given u² = (|t| / critical)², and refreshes
  /// κ every `refreshEvery` samples.
  @inline(__always)
  package mutating func add(uSquared: Double, threshold: Double) {
    guard uSquared.isFinite else { return }
    counts[Self.bin(uSquared: uSquared)] += Float(increment)
    total += increment
    increment /= Self.decay
    if increment > Self.rescaleAbove { rescale() }
    sinceRefresh += 1
    if sinceRefresh >= Self.refreshEvery {
      sinceRefresh = 0
      factor = tailFactor(threshold: threshold)
    }
  }

  /// The bin of u: 1 + floor(4·log₂(u / lowest)) = 1 + floor(2·log₂(v))
  /// with v = u² / lowest² (lowest² = 2⁻⁴ makes that exact): twice v's
  /// binary exponent, plus one when its significand is at least √2. Read
  /// from the bits, no logarithm; 0 below lowest (and for NaN).
  @inline(__always)
  static func bin(uSquared: Double) -> Int {
    let v = uSquared * 16
    guard v >= 1 else { return 0 }
    // v ≥ 1 is normal or +∞, its sign bit 0: the biased exponent and the
    // significand's fraction straight from the bits. (`exponent` and
    // `significand` were library calls on every judged sample, and +∞'s
    // `exponent`, Int.max, overflowed when doubled.)
    let bits = v.bitPattern
    let exponent = Int(truncatingIfNeeded: bits >> 52) - 1023
    let half = bits & fractionMask >= sqrtTwoFraction ? 1 : 0
    return min(2 * exponent + half + 1, bins - 1)
  }
  static let fractionMask: UInt64 = 0x000F_FFFF_FFFF_FFFF
  /// √2's fraction bits: a significand in [1, 2) is at least √2 exactly when
  /// its fraction bits are at least these. A literal (a test derives it):
  /// computed, it was a lazy global, checked by a call on every bin.
  static let sqrtTwoFraction: UInt64 = 0x6_A09E_667F_3BCD

  /// Brings the increment back to 1, every count with it: the decayed
  /// shares are unchanged.
  private mutating func rescale() {
    let scale = 1 / increment
    for k in 0..<Self.bins { counts[k] = Float(Double(counts[k]) * scale) }
    total *= scale
    increment = 1
  }

  /// The weight of the tail in samples (the decayed count, the newest
  /// sample counting 1: the increment has already grown past it).
  package var weight: Double { total / (increment * Self.decay) }

  /// weight ≥ minimumWeight, without a division.
  @inline(__always)
  package var isHeavyEnough: Bool { total >= Self.minimumWeight * increment * Self.decay }

  /// The u that `tail` of the recorded samples exceed, interpolated
  /// log-linearly within its bin; nil while the tail is too light to say.
  package func quantile(exceededBy tail: Double) -> Double? {
    Self.quantile(exceededBy: tail, total: total, increment: increment) { Double(counts[$0]) }
  }

  /// The quantile of counts `count(k)` with this total and increment,
  /// read from the top bin down: for the 1% tail it stops after a few bins,
  /// so a tail made on the fly (`sharedFactor`) need not be made whole.
  @inline(__always)
  static func quantile(
    exceededBy tail: Double, total: Double, increment: Double, count: (Int) -> Double
  ) -> Double? {
    guard total / (increment * Self.decay) >= Self.minimumWeight else { return nil }
    var above = 0.0
    let wanted = tail * total
    for k in stride(from: Self.bins - 1, through: 1, by: -1) {
      let count = count(k)
      if above + count >= wanted && count > 0 {
        // The share of bin k above the quantile is (wanted − above) / count.
        let fractionFromTop = (wanted - above) / count
        let lower = Self.lowest * exp2(Double(k - 1) / 4)
        return lower * exp2((1 - fractionFromTop) / 4)
      }
      above += count
    }
    return Self.lowest
  }

  /// κ = max(1, the series' u₀.₉₉ / the model's).
  ///
  /// The 1% point, not the threshold's own tail (4.65e-4 for 3.5σ): that is
  /// too deep to count with a few weeks of samples, and the points deeper
  /// than 1% are where the anomalies themselves sit. Extrapolating a power
  /// law through the 1% and 0.5% (or 0.2%) points to the threshold's tail
  /// was tried: real anomalies inflated it, and on the generated data 5 (or
  /// 6) of 20 more anomalies went unseen for the same false-alarm rate
  /// (docs/detection.md). So a tail much heavier beyond 1% than at 1% is
  /// still under-corrected.
  package func tailFactor(threshold: Double) -> Double {
    guard let q1 = quantile(exceededBy: Self.referenceTail) else { return 1 }
    return max(1, q1 / Self.modelReference(threshold: threshold))
  }

  /// κ of two tails' samples together (each in samples, the newest counting
  /// 1): SidedTail's factor for a side with too few samples of its own.
  ///
  /// The merged counts are those of a tail holding both (each rounded to
  /// 32 bits, as a tail keeps them), made only as far as the quantile
  /// reads: the whole merged tail, made every 32 judged samples, was 1% of
  /// an all-cold backfill's instructions.
  package static func sharedFactor(_ a: ScoreTail, _ b: ScoreTail, threshold: Double) -> Double {
    let scaleA = 1 / (a.increment * decay)
    let scaleB = 1 / (b.increment * decay)
    let q1 = quantile(
      exceededBy: referenceTail, total: a.total * scaleA + b.total * scaleB, increment: 1 / decay
    ) { k in Double(Float(Double(a.counts[k]) * scaleA + Double(b.counts[k]) * scaleB)) }
    guard let q1 else { return 1 }
    return max(1, q1 / modelReference(threshold: threshold))
  }
}
