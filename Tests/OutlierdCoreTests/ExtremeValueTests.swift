import Foundation
import Testing

@testable import OutlierdCore

/// Values anywhere in the range the parser accepts (0, or 1e-100 to 1e100
/// in magnitude), in the sequences that push the engine's arithmetic to its
/// edges: a level whose noise is a millionth of it, then a value 1e150
/// times larger; zeros; signs that flip; bursts of the extremes. In
/// process, through `judge`, slots that warm up within a few cycles, the
/// recent level and the tails: no trap, every score finite where it is
/// judged, its band and p-value computable, and every track round-trips
/// through the store's form. (A u² whose 16-fold was +∞ once trapped in
/// the tails' binning: HostileInputTests has that case end to end.)
@Suite("Extreme values")
struct ExtremeValueTests {
  static let magnitudes = [
    1e-100, 1e-99, 1e-60, 1e-30, 1e-3, 1, 1e3, 1e30, 1e50, 1e51, 5e51, 1e52, 1e60, 1e99, 1e100,
  ]

  @Test(arguments: [false, true])
  func judgingNeverTrapsAndStaysFinite(calibrate: Bool) {
    let rules = ScoringRules(
      threshold: 3.5, scale: .normal, minimumSamples: 3, calibrate: calibrate, coldStart: true, trendAfter: 6)
    var judged = 0
    for seed in 0..<120 {
      var random = SplitMix64(seed: UInt64(seed))
      func pick<T>(_ values: [T]) -> T {
        values[Int(random.nextUnit() * Double(values.count)) % values.count]
      }
      let base = pick(Self.magnitudes) * pick([1.0, -1.0, 1.0])
      let spread = pick([0, 1e-6, 1e-3, 0.5, 2])
      // Four slots per cycle: they warm within a few cycles, so the
      // weekly path is reached as well as the recent level's.
      var slots = [SlotRegression](repeating: SlotRegression(), count: 4)
      var track = SeriesTrack()
      for step in 0..<1_200 {
        var y = base * (1 + spread * (random.nextUnit() - 0.5))
        if random.nextUnit() < 0.03 { y = pick(Self.magnitudes) * pick([1.0, -1.0, 0.0]) }
        if y != 0 && !GraphiteLineParser.valueMagnitudes.contains(y.magnitude) { y = 0 }
        let verdict = rules.judge(
          &slots[step % 4], x: 1_767_571_200 + Double(step) * 300, y: y, pool: nil, track: &track,
          shiftAfter: 6, shiftConfirm: 3_600)
        if case .scored(let score) = verdict.assessment {
          judged += 1
          #expect(score.expected.isFinite && score.residual.isFinite, "seed \(seed) step \(step)")
          #expect(
            score.predictionVariance.isFinite && score.predictionVariance > 0, "seed \(seed) step \(step)")
          #expect(!score.pValue.isNaN, "seed \(seed) step \(step)")
          _ = score.band
          _ = score.normalEquivalent
        }
      }
      let bytes = TrackCoding.encode(track)
      #expect(bytes.withUnsafeBytes { TrackCoding.decode(blob: $0) } == track, "seed \(seed)")
    }
    #expect(judged > 100_000)
  }
}
