import Foundation
import Testing

@testable import OutlierdCore

/// What real metrics do that the model does not assume: bursts, skew, and
/// a wrong value learned before anything could judge it (issue 12).
@Suite("Bursty, skewed and polluted series")
struct RobustnessTests {
  static let rules = ScoringRules(
    threshold: 3.5, scale: .normal, minimumSamples: 3, calibrate: true, coldStart: true, trendAfter: 8)
  static let day = DailySeries.day
  static let t0 = DailySeries.t0

  /// 5% noise, and an upward burst (×2 to ×2.5, one sample) in 0.5% of
  /// the samples: about 1.4 a day, part of the metric's normal life.
  static func bursty(_ t: Double, _ e: Double, _ rng: inout SplitMix64) -> (value: Double, burst: Bool) {
    let value = e * (1 + 0.05 * rng.nextGaussian())
    if rng.nextUnit() < 0.005 { return (value * (2 + 0.5 * rng.nextUnit()), true) }
    return (value, false)
  }

  /// Bursts that happen every day stop alarming once the series' tail
  /// holds them (the rank gate); an hour-long excursion of the same size
  /// still alerts from its second sample on, until it is taken for a
  /// suspected level shift (and undone when it ends).
  @Test func dailyBurstsStopAlarmingButAnExcursionDoesNot() {
    let excursion = Self.t0 + 35 * Self.day + 10 * 3600
    var bursts: [Double] = []
    let run = DailySeries(rules: Self.rules).run(days: 40) { t, e, rng in
      let (value, burst) = Self.bursty(t, e, &rng)
      if burst { bursts.append(t) }
      return t >= excursion && t < excursion + 3600 ? e * 2.2 * (1 + 0.05 * rng.nextGaussian()) : value
    }
    let settled = (Self.t0 + 14 * Self.day)..<excursion
    let burstsThen = bursts.filter { settled.contains($0) }.count
    let alertsThen = run.alerts(in: settled).count
    #expect(burstsThen >= 20, "bursts \(burstsThen)")
    // About the threshold's rate: a burst alerts only while it is among the
    // few largest the tail remembers.
    #expect(alertsThen <= 8, "\(alertsThen) alerts for \(burstsThen) bursts in 3 weeks")
    #expect(run.alerts(in: excursion..<(excursion + 3600)).count >= 5)
    #expect(run.suspected.count == 1 && run.undone.count == 1, "\(run.changes)")
  }

  /// Skew: bursts widen the band above the expected value only; a count
  /// that falls to zero for half an hour is still seen at once.
  @Test func aSeriesThatBurstsUpwardStillSeesAFallToZero() {
    let stuck = Self.t0 + 30 * Self.day + 14 * 3600
    let run = DailySeries(rules: Self.rules).run(days: 31) { t, e, rng in
      let (value, _) = Self.bursty(t, e, &rng)
      return t >= stuck && t < stuck + 1800 ? 0 : value
    }
    let above = run.track.tail.factor(above: true)
    let below = run.track.tail.factor(above: false)
    #expect(above > below + 0.2 && below < 1.15, "κ above \(above), below \(below)")
    #expect(run.alerts(in: stuck..<(stuck + 1800)).count == 6)
  }

  /// A slot's line stays flat at its mean until it has `trendAfter`
  /// samples: the expected value, noise and degrees of freedom are those of
  /// a mean, computed here directly from the values.
  @Test func aSlotIsFlatUntilItHasTrendAfterSamples() throws {
    let values = [100.0, 104, 97, 110, 103, 101, 108]
    var slot = SlotRegression()
    for (week, value) in values.enumerated() { slot.add(x: Self.t0 + Double(week) * 604_800, y: value) }
    let x = Self.t0 + 7 * 604_800
    let flat = try #require(Self.rules.assess(slot, x: x, y: 150).score)
    let n = Double(values.count)
    let mean = values.reduce(0, +) / n
    let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)
    expectClose(flat.expected, mean, relative: 1e-14, "mean")
    expectClose(flat.residualVariance, variance, relative: 1e-12, "s²")
    expectClose(flat.predictionVariance, variance * (1 + 1 / n), relative: 1e-12, "SE²")
    #expect(flat.degreesOfFreedom == n - 1)
    expectClose(
      NoisePool.contribution(of: slot, trendAfter: 8).rss, variance * (n - 1), relative: 1e-12, "pool RSS")
    // The eighth sample gives the line its slope.
    slot.add(x: x, y: 112)
    let line = try #require(Self.rules.assess(slot, x: x + 604_800, y: 150).score)
    #expect(line.degreesOfFreedom == n + 1 - 2)
    #expect(line.expected > slot.meanY)
  }

  /// A burst in the series' first hours, before the recent level can judge,
  /// is learned whole by its slot, whose spread then hides it within its
  /// block's pooled noise and dulls its neighbours. When the slot can judge,
  /// an ordinary value off it by the neighbours' noise, and ordinary for the
  /// recent level, makes it start over: no alert on ordinary values day
  /// after day, and a clean slot.
  @Test func aSlotPollutedBeforeAnythingJudgedStartsOver() {
    let burstSlot = 6  // 00:30 on the first day
    let run = DailySeries(rules: Self.rules).run(days: 21) { t, e, rng in
      let value = e * (1 + 0.03 * rng.nextGaussian())
      return t == Self.t0 + Double(burstSlot) * DailySeries.step ? value * 3 : value
    }
    let atSlot = run.alerts.filter { $0.slot == burstSlot }
    #expect(atSlot.isEmpty, "\(atSlot.map { ($0.time - Self.t0) / Self.day })")
    // It started over from an ordinary value: fewer samples than its
    // neighbours, and their spread, not the burst's.
    let slot = run.slots[burstSlot]
    #expect(slot.weight < run.slots[burstSlot + 1].weight)
    #expect(
      slot.cyy / (slot.weight - 1) < 4 * run.slots[burstSlot + 1].cyy / (run.slots[burstSlot + 1].weight - 1))
  }
}
