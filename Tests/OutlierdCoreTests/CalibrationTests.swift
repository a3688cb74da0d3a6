import Foundation
import Testing

@testable import OutlierdCore

extension SplitMix64 {
  /// Laplace with scale b (standard deviation b·√2), by inversion.
  mutating func laplace(scale b: Double) -> Double {
    let u = nextUnit() - 0.5
    return -b * (u < 0 ? -1 : 1) * log(1 - 2 * abs(u))
  }
}

@Suite("Calibration")
struct CalibrationTests {
  /// The histogram's quantile against the exact quantile of the same
  /// decayed weights, computed here by sorting: within one bin (2^¼).
  @Test func tailQuantileMatchesTheExactWeightedQuantile() {
    var random = SplitMix64(seed: 7)
    var tail = ScoreTail()
    var samples: [(u: Double, weight: Double)] = []
    let count = 6000
    for i in 0..<count {
      let u = abs(random.laplace(scale: 0.2))
      tail.add(uSquared: u * u, threshold: 3.5)
      samples.append((u, pow(ScoreTail.decay, Double(count - 1 - i))))
    }
    let total = samples.reduce(0) { $0 + $1.weight }
    for level in [0.01, 0.05, 0.2] {
      var above = 0.0
      var exact = 0.0
      for sample in samples.sorted(by: { $0.u > $1.u }) {
        above += sample.weight
        if above >= level * total {
          exact = sample.u
          break
        }
      }
      let estimate = tail.quantile(exceededBy: level) ?? 0
      #expect(
        estimate / exact < pow(2, 0.25) && exact / estimate < pow(2, 0.25),
        "\(level): \(estimate) vs \(exact)")
    }
    #expect(abs(tail.weight - total) / total < 1e-9)
  }

  /// The bin read from the bits equals 1 + floor(4·log₂(u / lowest)),
  /// computed with logarithms, for u across every bin and at its edges.
  @Test func binsFromBitsMatchLogarithms() {
    var u = 0.01
    while u < 40 {
      for v in [u, u.nextUp, u.nextDown] {
        let position = 4 * log2(v / ScoreTail.lowest)
        // Exactly on an edge, log2 may round either way; skip those.
        guard abs(position - position.rounded()) > 1e-9 else { continue }
        let expected = position < 0 ? 0 : min(Int(position.rounded(.down)) + 1, ScoreTail.bins - 1)
        #expect(ScoreTail.bin(uSquared: v * v) == expected, "u \(v)")
      }
      u *= 1.037
    }
  }

  /// Over every magnitude a finite u² can have, the bin equals the one
  /// `exponent` and `significand` give; a u² so large that 16·u² is +∞
  /// lands in the last bin (the accessors' +∞ exponent overflowed when
  /// doubled), and NaN in bin 0.
  @Test func binsHoldAtTheExtremes() {
    var random = SplitMix64(seed: 11)
    var checked = 0
    for _ in 0..<20_000 {
      let uSquared = Double(
        sign: .plus, exponent: Int(random.nextUnit() * 2_000) - 1_000, significand: 1 + random.nextUnit())
      let v = uSquared * 16
      guard v.isFinite else { continue }
      let expected =
        v < 1
        ? 0 : min(2 * Int(v.exponent) + (v.significand >= 2.0.squareRoot() ? 1 : 0) + 1, ScoreTail.bins - 1)
      #expect(ScoreTail.bin(uSquared: uSquared) == expected, "u² \(uSquared)")
      checked += 1
    }
    #expect(checked > 15_000)
    // √2 exactly, at several octaves: the upper half of its octave; below
    // v = 1, bin 0.
    #expect(ScoreTail.bin(uSquared: 2.0.squareRoot() / 2 / 16) == 0)
    for k in 0...12 {
      let v = Double(sign: .plus, exponent: k, significand: 2.0.squareRoot())
      #expect(ScoreTail.bin(uSquared: v / 16) == min(2 * k + 2, ScoreTail.bins - 1))
      #expect(ScoreTail.bin(uSquared: v.nextDown / 16) == min(2 * k + 1, ScoreTail.bins - 1))
    }
    #expect(ScoreTail.bin(uSquared: .greatestFiniteMagnitude) == ScoreTail.bins - 1)
    #expect(ScoreTail.bin(uSquared: .nan) == 0)
    // The literals the bin reads the bits with.
    #expect(ScoreTail.fractionMask == (1 << Double.significandBitCount) - 1)
    #expect(ScoreTail.sqrtTwoFraction == 2.0.squareRoot().bitPattern & ScoreTail.fractionMask)
    var tail = ScoreTail()
    tail.add(uSquared: .greatestFiniteMagnitude, threshold: 3.5)
    #expect(tail.counts[ScoreTail.bins - 1] == 1)
  }

  /// The shared factor, worked out bin by bin from the top, equals the
  /// factor of the two tails merged whole (counts rounded to 32 bits, as a
  /// tail keeps them), to the bit, for tails of every weight and skew.
  @Test func theSharedFactorIsThatOfTheMergedTails() {
    var random = SplitMix64(seed: 23)
    var differing = 0
    var calibrated = 0
    for round in 0..<400 {
      var a = ScoreTail()
      var b = ScoreTail()
      let heavy = 0.3 + random.nextUnit() * 3
      for k in 0..<(round * 7) {
        let u = pow(random.nextUnit(), -1 / (1 + heavy)) * 0.4
        if k % 3 == 0 {
          b.add(uSquared: u * u, threshold: 3.5)
        } else {
          a.add(uSquared: u * u, threshold: 3.5)
        }
      }
      let scaleA = 1 / (a.increment * ScoreTail.decay)
      let scaleB = 1 / (b.increment * ScoreTail.decay)
      var counts = InlineArray<24, Float>(repeating: 0)
      for k in 0..<ScoreTail.bins {
        counts[k] = Float(Double(a.counts[k]) * scaleA + Double(b.counts[k]) * scaleB)
      }
      let merged = ScoreTail(
        counts: counts, increment: 1 / ScoreTail.decay, total: a.total * scaleA + b.total * scaleB,
        sinceRefresh: 0, factor: 1)
      let whole = merged.tailFactor(threshold: 3.5)
      let shared = ScoreTail.sharedFactor(a, b, threshold: 3.5)
      if whole.bitPattern != shared.bitPattern { differing += 1 }
      if whole > 1 { calibrated += 1 }
    }
    #expect(differing == 0)
    #expect(calibrated > 200)
  }

  /// A track stored before calibration existed still decodes, with an
  /// empty tail and without its half-applied shift (`shiftUntil`, see
  /// TrackCoding); a track with a tail round-trips through JSON exactly.
  @Test func tracksDecodeWithAndWithoutATail() throws {
    let old =
      #"{"runSign":1,"runLength":2,"runValueSum":3,"runExpectedSum":4,"runCrossesZero":false,"runStart":5,"runSlots":[7],"shiftRatio":1.5,"shiftUntil":6,"stale":true}"#
    let track = try JSONDecoder().decode(SeriesTrack.self, from: Data(old.utf8))
    #expect(track.runLength == 2 && track.shiftRatio == 1 && track.stale && track.tail == SidedTail())
    var withTail = track
    for k in 0..<500 {
      withTail.tail.add(
        uSquared: Double(k % 37) / 9, above: k % 3 == 0, startsRun: k % 50 == 0, threshold: 3.5)
    }
    let again = try JSONDecoder().decode(SeriesTrack.self, from: JSONEncoder().encode(withTail))
    #expect(again == withTail)
  }

  /// The factor in force on each side, kept by `SidedTail.add` instead of
  /// worked out on every read, is at every step what its definition gives:
  /// the side's own once it has `minimumWeight`, else the shared one; and
  /// so after a decode.
  @Test func theFactorsInForceFollowTheirDefinition() throws {
    var random = SplitMix64(seed: 5)
    var tail = SidedTail()
    var mismatches = 0
    var sidesOwn = Set<Bool>()
    for k in 0..<5_000 {
      // Skewed: the side above is heavy-tailed and fills faster.
      let above = k % 4 != 0
      let u = above ? pow(random.nextUnit(), -0.7) * 0.3 : random.nextUnit()
      tail.add(uSquared: u * u, above: above, startsRun: u > 1 && k % 7 == 0, threshold: 3.5)
      for side in [true, false] {
        let own = side ? tail.above : tail.below
        let defined = own.isHeavyEnough ? own.factor : tail.sharedFactor
        if tail.factor(above: side) != defined { mismatches += 1 }
        if own.isHeavyEnough && own.factor != tail.sharedFactor { sidesOwn.insert(side) }
      }
    }
    #expect(mismatches == 0)
    // Both sides came to their own factors, different from the shared one.
    #expect(sidesOwn == [true, false])
    let decoded = try JSONDecoder().decode(SidedTail.self, from: JSONEncoder().encode(tail))
    #expect(decoded == tail)
    for side in [true, false] { #expect(decoded.factor(above: side) == tail.factor(above: side)) }
  }

  /// Too few samples: no calibration yet.
  @Test func aShortTailLeavesTheThresholdAlone() {
    var tail = ScoreTail()
    for _ in 0..<Int(ScoreTail.minimumWeight) - 1 { tail.add(uSquared: 4, threshold: 3.5) }
    #expect(tail.quantile(exceededBy: 0.01) == nil)
    #expect(tail.tailFactor(threshold: 3.5) == 1)
  }

  /// Runs a series of 12 slots (one hour, 5 minutes each) for `days` with
  /// the given noise, every sample judged; returns the alerts after the
  /// first ten days, the samples judged then, and the final tail factor.
  func run(calibrate: Bool, days: Int, noise: (inout SplitMix64) -> Double) -> (
    alerts: Int, judged: Int, factor: Double, below: Double
  ) {
    let rules = ScoringRules(
      threshold: 3.5, scale: .normal, minimumSamples: 3, learning: .learn, calibrate: calibrate)
    var random = SplitMix64(seed: 2026)
    var slots = [SlotRegression](repeating: SlotRegression(), count: 12)
    var track = SeriesTrack()
    var alerts = 0
    var judged = 0
    let start = 1_767_571_200.0
    for step in 0..<(days * 288) {
      let x = start + Double(step) * 300
      let slot = step % 12
      let y = 100 + 10 * sin(Double(slot)) + noise(&random)
      let verdict = rules.judge(
        &slots[slot], x: x, y: y, pool: nil, track: &track, shiftAfter: 0,
        shiftConfirm: 10_800)
      guard step >= 10 * 288, case .scored = verdict.assessment else { continue }
      judged += 1
      if verdict.isAlert { alerts += 1 }
    }
    return (alerts, judged, track.tail.factor(above: true), track.tail.factor(above: false))
  }

  /// Laplace noise: its 1% point lies 3.256σ out against the normal's
  /// 2.576σ, so κ must come out near 3.256 / 2.576 = 1.264, and the alarm
  /// rate, 15× the nominal 4.65e-4 without calibration (P(|L| > 3.5σ) =
  /// e^−4.95 = 7.1e-3), drops to about 4× (e^−6.26 = 1.9e-3).
  @Test func aHeavyTailedSeriesIsJudgedAgainstItsOwnTail() {
    let b = 2.0
    let plain = run(calibrate: false, days: 120) { $0.laplace(scale: b) }
    let calibrated = run(calibrate: true, days: 120) { $0.laplace(scale: b) }
    let nominal = NormalDistribution.twoSidedTail(3.5)
    let expectedFactor = log(100) / 2.squareRoot() / NormalDistribution.twoSidedQuantile(0.01)
    // Both sides of a symmetric tail.
    for factor in [calibrated.factor, calibrated.below] {
      #expect(abs(factor / expectedFactor - 1) < 0.12, "κ \(factor), expected \(expectedFactor)")
    }
    let plainRate = Double(plain.alerts) / Double(plain.judged)
    let calibratedRate = Double(calibrated.alerts) / Double(calibrated.judged)
    #expect(plainRate > 8 * nominal, "without calibration \(plainRate)")
    #expect(calibratedRate < plainRate / 2.5, "calibrated \(calibratedRate), plain \(plainRate)")
    #expect(calibratedRate < 6 * nominal, "calibrated \(calibratedRate)")
    print(
      "calibration: Laplace κ \(calibrated.factor) (theory \(expectedFactor)); alert rate \(plainRate / nominal)× nominal without, \(calibratedRate / nominal)× with; \(plain.alerts) → \(calibrated.alerts) alerts in \(plain.judged) samples"
    )
  }

  /// Gaussian noise, as the model assumes: κ stays at 1 (within the
  /// histogram's resolution) and the threshold keeps its meaning.
  @Test func aGaussianSeriesKeepsTheConfiguredThreshold() {
    let calibrated = run(calibrate: true, days: 60) { 3 * $0.nextGaussian() }
    #expect(
      calibrated.factor < 1.08 && calibrated.below < 1.08, "κ \(calibrated.factor), \(calibrated.below)")
  }

}
