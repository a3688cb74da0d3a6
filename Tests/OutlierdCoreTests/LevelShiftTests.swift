import Foundation
import Testing

@testable import OutlierdCore

/// Level shifts through `ScoringRules.judge` with the defaults' rules: a
/// shift is suspected after 6 outliers, confirmed only when the new level
/// has held for 3 hours, undone when the level returns first, and never
/// hides a spike.
@Suite("Level shifts: suspected, confirmed, undone")
struct LevelShiftTests {
  static let t0 = DailySeries.t0
  static let step = DailySeries.step
  static let confirm = 10_800.0

  /// `days` of the daily series with 3% multiplicative noise, `value`
  /// applied to each sample's expected value.
  func run(days: Int, confirm: Double = confirm, _ value: @escaping (Double, Double) -> Double)
    -> DailySeries.Run
  {
    let series = DailySeries(
      rules: ScoringRules(threshold: 3.5, scale: .normal, minimumSamples: 3, calibrate: true),
      shiftConfirm: confirm)
    return series.run(days: days) { t, e, rng in value(t, e) * (1 + 0.03 * rng.nextGaussian()) }
  }

  static let day = 86_400.0
  /// Day 8, 10:00: after a week of warm-up.
  static let at = t0 + 7 * day + 10 * 3600

  @Test func aLastingShiftIsConfirmedOnceItHasHeld() {
    let result = run(days: 14) { t, e in t >= Self.at ? e * 1.6 : e }
    #expect(result.suspected.count == 1 && result.confirmed.count == 1 && result.undone.isEmpty)
    expectClose(result.confirmed.first, 1.6, relative: 0.05, "confirmed ratio")
    let confirmedAt = result.changes.first { if case .confirmed = $0.change { true } else { false } }?.time
    // Confirmed 3 h after the run's start (the shift's first sample), not at 30 minutes.
    #expect(confirmedAt == Self.at + Self.confirm)
    // The run's outliers alert; once suspected, the new level does not.
    #expect(result.alerts(in: Self.at..<(Self.at + 3600)).count >= 6)
    #expect(
      result.alerts(in: (Self.at + 3600)..<Double.infinity).isEmpty,
      "\(result.times.map { ($0 - Self.at) / 60 })")
    #expect(result.track.shiftRatio == 1)
  }

  /// Issue 12's flip-flop: a 90-minute excursion was learned as a shift,
  /// its end alerted and was learned as another. Now the return undoes the
  /// suspected shift without an alert, and nothing is learned.
  @Test func aTemporaryExcursionIsUndoneWhenTheLevelReturns() {
    let end = Self.at + 90 * 60
    let result = run(days: 14) { t, e in t >= Self.at && t < end ? e * 1.8 : e }
    #expect(result.suspected.count == 1, "\(result.changes)")
    #expect(result.undone.count == 1 && result.confirmed.isEmpty, "\(result.changes)")
    let undoneAt = result.changes.first { if case .undone = $0.change { true } else { false } }?.time
    #expect(undoneAt == end + 2 * Self.step, "undone at the third sample back")
    #expect(result.alerts(in: Self.at..<end).count >= 6)
    // No alert on the way back, nor in the days after: the slots never learned the excursion.
    #expect(result.alerts(in: end..<Double.infinity).isEmpty, "\(result.times.map { ($0 - end) / 60 })")
  }

  /// A burst makes a large shift suspected; a spike well above normal but
  /// below the burst's level, after the burst ended, still alerts.
  @Test func aSuspectedShiftHidesNoLaterSpike() {
    let end = Self.at + 45 * 60
    let spike = end + 60 * 60
    let result = run(days: 10) { t, e in
      if t >= Self.at && t < end { return e * 4 }
      if t == spike { return e * 2.5 }
      return e
    }
    #expect(result.suspected.count == 1 && result.undone.count == 1)
    #expect(result.times.contains(spike))
  }

  /// While a lasting shift is still suspected, a spike above the new level
  /// alerts.
  @Test func aSpikeDuringASuspectedShiftAlerts() {
    let spike = Self.at + 2 * 3600
    let result = run(days: 10) { t, e in
      t == spike ? e * 1.5 * 2 : t >= Self.at ? e * 1.5 : e
    }
    #expect(result.confirmed.count == 1)
    #expect(result.alerts(in: (Self.at + 3600)..<Double.infinity) == [spike])
  }

  /// Confirming at once (shift_confirm 0) is the old behaviour, and shows
  /// what the wait prevents: the excursion is learned as a shift and its
  /// end alerts.
  @Test func confirmingAtOnceLearnsAnExcursion() {
    let end = Self.at + 90 * 60
    let result = run(days: 10, confirm: 0) { t, e in t >= Self.at && t < end ? e * 1.8 : e }
    #expect(result.confirmed.count >= 1 && result.undone.isEmpty)
    #expect(!result.alerts(in: end..<Double.infinity).isEmpty)
  }
}
