import Foundation
import Testing

@testable import OutlierdCore

@Suite("Non-negative series")
struct NonNegativeTests {
  let t0 = 1_767_571_200.0

  /// A count that fell week after week (300, 250, …, 1) extrapolates to
  /// about −49 for week 8. Never negative, the series expects 0 there, its band stops
  /// at 0, and an ordinary small count is no outlier; once it has been
  /// negative, the line is taken as it is.
  @Test func aFallingCountIsNeverExpectedBelowZero() {
    let rules = ScoringRules(threshold: 3.5, scale: .normal, minimumSamples: 3, learning: .learn)
    for everNegative in [false, true] {
      var slot = SlotRegression()
      var track = SeriesTrack()
      track.everNegative = everNegative
      for (week, value) in [300.0, 252, 197, 151, 99, 52, 1].enumerated() {
        _ = rules.judge(
          &slot, x: t0 + Double(week) * 604_800, y: value, pool: nil, track: &track,
          shiftAfter: 0, shiftConfirm: 10_800)
      }
      let verdict = rules.judge(
        &slot, x: t0 + 7 * 604_800, y: 2, pool: nil, track: &track, shiftAfter: 0,
        shiftConfirm: 10_800)
      let score = try! #require(verdict.assessment.score)
      if everNegative {
        #expect(score.expected < -45, "\(score.expected)")
        #expect(verdict.isAlert, "an ordinary 2 far above a negative expectation")
      } else {
        #expect(score.expected == 0 && score.residual == 2)
        #expect(score.band.lowerBound == 0)
        #expect(!verdict.isAlert, "\(score)")
      }
    }
  }

  /// One negative sample is enough to lift the floor, and it stays lifted.
  @Test func aNegativeSampleMarksTheSeries() {
    let rules = ScoringRules()
    var slot = SlotRegression()
    var track = SeriesTrack()
    _ = rules.judge(
      &slot, x: t0, y: 5, pool: nil, track: &track, shiftAfter: 0, shiftConfirm: 10_800)
    #expect(!track.everNegative)
    _ = rules.judge(
      &slot, x: t0 + 1, y: -0.5, pool: nil, track: &track, shiftAfter: 0, shiftConfirm: 10_800)
    _ = rules.judge(
      &slot, x: t0 + 2, y: 5, pool: nil, track: &track, shiftAfter: 0, shiftConfirm: 10_800)
    #expect(track.everNegative)
  }
}
