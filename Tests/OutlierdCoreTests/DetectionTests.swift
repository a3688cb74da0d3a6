import Foundation
import Testing

@testable import OutlierdCore

@Suite("Normal-equivalent scale, pooling, level shifts")
struct DetectionTests {
  @Test(arguments: [0.5, 1.0, 2.0, 3.0, 4.0, 5.5, 8.0, 20.0])
  func normalQuantileInvertsTheTail(z: Double) {
    let p = NormalDistribution.twoSidedTail(z)
    expectClose(NormalDistribution.twoSidedQuantile(p), z, relative: 1e-12, "z from p")
  }

  @Test func normalTailAtKnownPoints() {
    // P(|Z| > 1.959963984540054) = 0.05; P(|Z| > 4) = 6.334248366623996e-05 (mpmath).
    expectClose(NormalDistribution.twoSidedTail(1.959963984540054), 0.05, relative: 1e-13, "1.96")
    expectClose(NormalDistribution.twoSidedTail(4), 6.334248366623996e-05, relative: 1e-13, "4")
  }

  @Test(arguments: [1.0, 2, 3, 5, 10, 30, 100, 1000, 1023, 1024, 1500, 5000, 100_000])
  func criticalValuesHaveTheNormalTail(nu: Double) {
    let table = CriticalValues.forThreshold(4)
    let t = table.value(degreesOfFreedom: nu)
    expectClose(
      StudentT.twoSidedPValue(t, degreesOfFreedom: nu), table.tailProbability, relative: 1e-8,
      "tail at ν=\(nu)")
  }

  @Test func criticalValuesShrinkTowardsTheThreshold() {
    let table = CriticalValues.forThreshold(4)
    #expect(table.value(degreesOfFreedom: 1) > 10_000)
    #expect(table.value(degreesOfFreedom: 1.7) == table.value(degreesOfFreedom: 1))  // conservative: floor
    var previous = Double.infinity
    for nu in [1.0, 2, 4, 8, 16, 64, 256, 1024, 4096] {
      let t = table.value(degreesOfFreedom: nu)
      #expect(t < previous && t > 4)
      previous = t
    }
  }

  /// A week of noisy weekly data per slot, then the pooled score checked
  /// against an independent computation of the same formula.
  @Test func pooledScoreUsesTheBlocksNoise() throws {
    var rng = SplitMix64(seed: 3)
    let t0 = 1_767_571_200.0
    var slots = [SlotRegression](repeating: SlotRegression(), count: 12)
    for week in 0..<3 {
      for i in 0..<12 {
        slots[i].add(x: t0 + Double(week) * 604_800 + Double(i) * 300, y: 100 + rng.nextGaussian() * 2)
      }
    }
    let pool = PoolSums.total(of: slots.map { NoisePool.contribution(of: $0) }, poolSlots: slots.count)
    #expect(pool.degreesOfFreedom == 12)
    let expectedRSS = slots.map(\.residualSumOfSquares).reduce(0, +)
    expectClose(pool.rss, expectedRSS, relative: 1e-12, "pooled RSS")
    let rules = ScoringRules(threshold: 4, scale: .normal, minimumSamples: 3, noiseFloor: .none)
    let x = t0 + 3 * 604_800
    let score = try #require(rules.assess(slots[0], x: x, y: 130, pool: pool).score)
    #expect(score.degreesOfFreedom == 12)
    let s2 = expectedRSS / 12
    let slot = slots[0]
    let dx = x - slot.meanX
    let se = (s2 * (1 + 1 / slot.weight + dx * dx / slot.cxx)).squareRoot()
    expectClose(score.studentized, (130 - slot.predict(at: x)) / se, relative: 1e-9, "pooled t")
    expectClose(
      score.critical, CriticalValues.forThreshold(4).value(degreesOfFreedom: 12), relative: 0, "critical")
    // Alone, the slot has 1 degree of freedom and a far larger critical value.
    let alone = try #require(rules.assess(slots[0], x: x, y: 130).score)
    #expect(alone.degreesOfFreedom == 1)
    #expect(alone.critical > 100 * score.critical / 10)
  }

  @Test func clippedLearningKeepsTheNoiseEstimate() throws {
    var slot = SlotRegression()
    let t0 = 1_767_571_200.0
    for (week, y) in [10.0, 12, 11, 13, 12, 11, 12, 10].enumerated() {
      slot.add(x: t0 + Double(week) * 604_800, y: y)
    }
    let rules = ScoringRules(threshold: 4, scale: .normal, minimumSamples: 3, learning: .clip)
    let before = slot.residualSumOfSquares / (slot.weight - 2)
    _ = rules.assessAndLearn(&slot, x: t0 + 8 * 604_800, y: 1000)
    let after = slot.residualSumOfSquares / (slot.weight - 2)
    #expect(after < 2 * before, "one clipped incident sample inflated s² from \(before) to \(after)")
  }

  /// Judges `weeks` of a daily-shaped series through the series rules.
  func run(
    _ value: (Double, Double) -> Double, weeks: Int, shiftAfter: Int = 6, shiftConfirm: Double = 0
  ) -> (
    alerts: [Double], shifts: [Double], changes: [(time: Double, change: ShiftChange)], track: SeriesTrack
  ) {
    let calendar = try! SlotCalendar(period: 86_400, slotWidth: 3600)
    let rules = ScoringRules(threshold: 4, scale: .normal, minimumSamples: 3)
    var slots = [SlotRegression](repeating: SlotRegression(), count: 24)
    var pool = PoolSums(poolSlots: 24)
    _ = pool.append(members: [NoisePool]())
    var track = SeriesTrack()
    var alerts: [Double] = []
    var shifts: [Double] = []
    var changes: [(time: Double, change: ShiftChange)] = []
    var rng = SplitMix64(seed: 11)
    let t0 = 1_767_571_200.0
    for i in 0..<(weeks * 7 * 24) {
      let t = t0 + Double(i) * 3600
      let index = calendar.slot(at: t)
      let expected = 100 + 60 * sin(Double(index) / 24 * 2 * .pi)
      let y = value(t, expected) * (1 + rng.nextGaussian() * 0.02)
      let verdict = rules.judge(
        &slots[index], x: t, y: y, pool: pool.total(0), track: &track, shiftAfter: shiftAfter,
        shiftConfirm: shiftConfirm)
      pool.set(0, member: index, to: NoisePool.contribution(of: slots[index]))
      if let change = verdict.shift {
        changes.append((t, change))
        if case .confirmed(let ratio) = change {
          shifts.append(ratio)
          for k in slots.indices {
            slots[k].scaleLevel(by: ratio)
            pool.set(0, member: k, to: NoisePool.contribution(of: slots[k]))
          }
        }
      }
      if verdict.isAlert { alerts.append(t) }
    }
    return (alerts, shifts, changes, track)
  }

  @Test func aLastingMultiplicativeShiftIsLearnedWithinADay() throws {
    let t0 = 1_767_571_200.0
    let shiftAt = t0 + 14 * 86_400 + 5 * 3600
    let result = run({ t, e in t >= shiftAt ? e * 1.6 : e }, weeks: 4)
    #expect(result.shifts.count == 1)
    expectClose(result.shifts.first, 1.6, relative: 0.05, "ratio")
    // Alerts only in the hours before the shift is recognised, none after a day.
    #expect(
      result.alerts.allSatisfy { $0 >= shiftAt && $0 < shiftAt + 12 * 3600 },
      "\(result.alerts.map { ($0 - shiftAt) / 3600 })")
    #expect(result.alerts.count >= 6)
  }

  @Test func stuckAtZeroIsNotLearnedAsANewLevel() {
    let t0 = 1_767_571_200.0
    let stuck = t0 + 14 * 86_400
    let result = run({ t, e in t >= stuck && t < stuck + 12 * 3600 ? 0 : e }, weeks: 3)
    #expect(result.shifts.isEmpty)
    // Every stuck hour alerts, and the series is normal again after it.
    #expect(result.alerts.filter { $0 >= stuck && $0 < stuck + 12 * 3600 }.count == 12)
    #expect(result.alerts.filter { $0 >= stuck + 12 * 3600 }.isEmpty)
  }

  @Test func shiftDetectionCanBeTurnedOff() {
    let t0 = 1_767_571_200.0
    let shiftAt = t0 + 14 * 86_400
    let result = run({ t, e in t >= shiftAt ? e * 1.6 : e }, weeks: 3, shiftAfter: 0)
    #expect(result.shifts.isEmpty)
    #expect(result.alerts.count > 20)
  }
}

@Suite("Noise pool sums")
struct PoolSumsTests {
  /// However a pool's members got their values, the total is the same bits
  /// as a pool built from them at once, and equals their sum (computed in
  /// 80-bit precision) to double rounding.
  @Test(arguments: [1, 5, 24, 100])
  func totalDependsOnMembersOnly(count: Int) {
    var rng = SplitMix64(seed: UInt64(count))
    func member() -> NoisePool {
      NoisePool(
        rss: rng.nextUnit() * pow(10, Double(rng.next() % 12) - 6), degreesOfFreedom: Double(rng.next() % 40))
    }
    var members = (0..<count).map { _ in member() }
    var updated = PoolSums(poolSlots: count)
    _ = updated.append(members: [member()])  // a neighbour, which must not interfere
    let pool = updated.append(members: members)
    for _ in 0..<1000 {
      let i = Int(rng.next() % UInt64(count))
      members[i] = member()
      updated.set(pool, member: i, to: members[i])
    }
    let total = PoolSums.total(of: members, poolSlots: count)
    #expect(updated.total(pool).rss.bitPattern == total.rss.bitPattern)
    #expect(updated.total(pool).degreesOfFreedom == total.degreesOfFreedom)
    let exact = members.reduce(Float80(0)) { $0 + Float80($1.rss) }
    #expect(abs(Float80(total.rss) - exact) <= exact * Float80(count) * 0x1p-52)
    #expect(total.degreesOfFreedom == members.reduce(0) { $0 + $1.degreesOfFreedom })
    // A pool of fewer members (the period's last) is the same bits as alone.
    #expect(PoolSums.total(of: members, poolSlots: 4 * count).rss.bitPattern == total.rss.bitPattern)
  }

  @Test func poolsCoverNeighboursAndStopAtThePeriodsEnd() {
    #expect(NoisePool.slots(ofPool: 0, poolSlots: 24, slotCount: 2016) == 0..<24)
    #expect(NoisePool.slots(ofPool: 83, poolSlots: 24, slotCount: 2016) == 1992..<2016)
    #expect(NoisePool.slots(ofPool: 2, poolSlots: 5, slotCount: 12) == 10..<12)
  }
}
