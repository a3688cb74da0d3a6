import Foundation

@testable import OutlierdCore

/// A 5-minute series with a daily period (288 slots, noise pools of 24),
/// judged sample by sample through `ScoringRules.judge` as the pipeline
/// does: pools follow the slots, and a confirmed level shift scales every
/// slot. Days instead of weeks keep the engine tests fast.
struct DailySeries {
  static let t0 = 1_767_571_200.0  // Monday 2026-01-05 00:00 UTC
  static let step = 300.0
  static let day = 86_400.0

  var rules: ScoringRules
  var shiftConfirm: Double = 10_800
  var seed: UInt64 = 5

  struct Alert {
    var time: Double
    var slot: Int
    var score: SlotScore
  }

  struct Run {
    var alerts: [Alert] = []
    var changes: [(time: Double, change: ShiftChange)] = []
    var track = SeriesTrack()
    var slots = [SlotRegression](repeating: SlotRegression(), count: 288)
    var suspected: [Double] {
      changes.compactMap { if case .suspected(let r, _) = $0.change { r } else { nil } }
    }
    var confirmed: [Double] {
      changes.compactMap { if case .confirmed(let r) = $0.change { r } else { nil } }
    }
    var undone: [Double] { changes.compactMap { if case .undone(let r) = $0.change { r } else { nil } } }
    var times: [Double] { alerts.map(\.time) }
    func alerts(in range: Range<Double>) -> [Double] { times.filter { range.contains($0) } }
  }

  /// The shape every sample is drawn around: 100 ± 50 over the day.
  static func expected(slot: Int) -> Double { 100 + 50 * sin(Double(slot) / 288 * 2 * .pi) }

  /// Judges `days` of samples: `value(time, expected, rng)` draws each.
  func run(days: Int, _ value: (Double, Double, inout SplitMix64) -> Double) -> Run {
    let calendar = try! SlotCalendar(period: 86_400, slotWidth: 300)
    var pools = PoolSums(poolSlots: 24)
    for _ in 0..<12 { _ = pools.append(members: [NoisePool](repeating: NoisePool(), count: 24)) }
    var rng = SplitMix64(seed: seed)
    var result = Run()
    // Separate locals: two inout arguments into one captured struct would
    // be an exclusivity conflict.
    var slots = result.slots
    var track = result.track
    for i in 0..<(days * 288) {
      let t = Self.t0 + Double(i) * Self.step
      let index = calendar.slot(at: t)
      let y = value(t, Self.expected(slot: index), &rng)
      let verdict = rules.judge(
        &slots[index], x: t, y: y, pool: pools.total(index / 24), track: &track, shiftAfter: 6,
        shiftConfirm: shiftConfirm)
      pools.set(
        index / 24, member: index % 24,
        to: NoisePool.contribution(of: slots[index], trendAfter: rules.trendAfter))
      if let change = verdict.shift {
        result.changes.append((t, change))
        if case .confirmed(let ratio) = change {
          for k in slots.indices {
            slots[k].scaleLevel(by: ratio)
            pools.set(
              k / 24, member: k % 24, to: NoisePool.contribution(of: slots[k], trendAfter: rules.trendAfter))
          }
        }
      }
      if verdict.isAlert, case .scored(let score) = verdict.assessment {
        result.alerts.append(Alert(time: t, slot: index, score: score))
      }
    }
    result.slots = slots
    result.track = track
    return result
  }
}
