import Foundation
import Testing

@testable import OutlierdCore

struct RegressionCase: Decodable, CustomTestStringConvertible {
  struct Expect: Decodable {
    var weight: Double
    var meanX, meanY, cxx, cxy, cyy, slope, rss, expected: Double?
    var s, standardError, studentized, pValue: Double?
  }
  var name: String
  var x: [Double]
  var y: [Double]
  var memory: Double?
  var queryX: Double
  var queryY: Double
  var expect: Expect
  var testDescription: String { name }

  func fitted() -> SlotRegression {
    var slot = SlotRegression()
    for (x, y) in zip(x, y) { slot.add(x: x, y: y, memory: memory ?? .infinity) }
    return slot
  }
}

let regressionCases: [RegressionCase] = (try? loadFixture("regression.json")) ?? []

@Suite("Per-slot regression against exact rational arithmetic")
struct SlotRegressionTests {
  @Test func fixturesLoaded() {
    #expect(regressionCases.count >= 13)
  }

  @Test(arguments: regressionCases)
  func sufficientStatistics(_ c: RegressionCase) {
    let slot = c.fitted()
    let e = c.expect
    // Quantities whose exact value is 0 get an absolute tolerance scaled by
    // the data, since a relative one would demand bit-exact zeros.
    let yScale = (e.cyy ?? 0) + 1e-300
    expectClose(slot.weight, e.weight, relative: 1e-12, "weight")
    guard e.weight > 0 else { return }
    expectClose(slot.meanX, e.meanX, relative: 1e-15, "mean x")
    expectClose(slot.meanY, e.meanY, relative: 1e-13, "mean y")
    expectClose(slot.cxx, e.cxx, absolute: 0, "Cxx")
    expectClose(slot.cxy, e.cxy, absolute: 1e-9 * (slot.cxx * yScale).squareRoot(), "Cxy")
    expectClose(slot.cyy, e.cyy, absolute: 1e-12 * yScale, "Cyy")
    expectClose(slot.slope, e.slope, absolute: 1e-12 * (yScale / max(slot.cxx, 1e-300)).squareRoot(), "slope")
    if let rss = e.rss {
      expectClose(slot.residualSumOfSquares, rss, absolute: 1e-9 * yScale, "RSS")
    }
    if let expected = e.expected {
      expectClose(
        slot.predict(at: c.queryX), expected, relative: 1e-13, absolute: 1e-9 * yScale.squareRoot(), "ŷ")
    }
  }

  @Test(arguments: regressionCases)
  func scoreOfNextSample(_ c: RegressionCase) {
    let rules = ScoringRules(threshold: 3, minimumSamples: 3, noiseFloor: .none)
    let assessment = rules.assess(c.fitted(), x: c.queryX, y: c.queryY)
    guard let s = c.expect.s else {
      // The reference has no score: too few samples, no spread in x or no
      // residual variance. The engine must refuse to judge too.
      #expect(assessment.score == nil, "\(assessment)")
      return
    }
    guard let score = assessment.score else {
      Issue.record("cannot judge: \(assessment)")
      return
    }
    expectClose(score.expected, c.expect.expected, relative: 1e-13, "ŷ")
    expectClose(score.residualStandardError, s, "s")
    expectClose(score.standardError, c.expect.standardError, "prediction SE")
    expectClose(score.studentized, c.expect.studentized, "studentized residual")
    expectClose(score.pValue, c.expect.pValue, "p-value")
  }

  @Test func degenerateSlotsCannotJudge() {
    let byName = Dictionary(uniqueKeysWithValues: regressionCases.map { ($0.name, $0) })
    let rules = ScoringRules(threshold: 3, minimumSamples: 3, noiseFloor: .none)
    func verdict(_ name: String) -> Assessment? {
      guard let c = byName[name] else { return nil }
      return rules.assess(c.fitted(), x: c.queryX, y: c.queryY)
    }
    #expect(verdict("one sample") == .cannotJudge(.tooFewSamples(have: 1, need: 3)))
    #expect(verdict("two samples") == .cannotJudge(.tooFewSamples(have: 2, need: 3)))
    #expect(verdict("identical x") == .cannotJudge(.noSpreadInTime))
    #expect(verdict("constant y") == .cannotJudge(.noResidualVariance))
    #expect(verdict("three samples")?.score != nil)
  }

  @Test func noiseFloorKeepsConstantSeriesQuiet() throws {
    var slot = SlotRegression()
    let t0 = 1_767_225_600.0
    for week in 0..<8 { slot.add(x: t0 + Double(week) * 604_800, y: 0.1 + 0.2) }
    let rules = ScoringRules(threshold: 4, minimumSamples: 4)
    // 0.1 + 0.2 and 0.3 differ in the last bit: float noise, not an outlier.
    let same = try #require(rules.assess(slot, x: t0 + 8 * 604_800, y: 0.3).score)
    #expect(abs(same.studentized) < 1)
    // A real change of the level is still an outlier.
    let jump = try #require(rules.assess(slot, x: t0 + 8 * 604_800, y: 0.31).score)
    #expect(jump.isOutlier)
  }

  @Test func leverageWidensTheBandAtTheEdgeOfTheTimeRange() throws {
    var slot = SlotRegression()
    let t0 = 1_767_225_600.0
    for (week, y) in [10.0, 12, 11, 13].enumerated() { slot.add(x: t0 + Double(week) * 604_800, y: y) }
    let rules = ScoringRules(threshold: 3, minimumSamples: 3)
    let middle = try #require(rules.assess(slot, x: slot.meanX, y: 20).score)
    let nextWeek = try #require(rules.assess(slot, x: t0 + 4 * 604_800, y: 20).score)
    // At x̄ the leverage term is 1/n; one week past the last sample it is
    // 1/n + (2.5 weeks)²/(5 weeks²) = 1.5, so SE grows by √(2.5/1.25).
    expectClose(middle.standardError, middle.residualStandardError * (1.25).squareRoot(), "SE at x̄")
    expectClose(nextWeek.standardError, nextWeek.residualStandardError * (2.5).squareRoot(), "SE next week")
  }

  @Test func rawSumsFailWhereCoMomentsHold() throws {
    // The claim docs/model.md makes: raw sums lose Sxx for Unix-second x.
    let c = try #require(regressionCases.first { $0.name == "unix seconds with y about 1e9 +- 10" })
    var n = 0.0, sx = 0.0, sxx = 0.0, sy = 0.0, syy = 0.0
    for (x, y) in zip(c.x, c.y) {
      n += 1; sx += x; sxx += x * x; sy += y; syy += y * y
    }
    let rawCyy = syy - sy * sy / n
    let exact = try #require(c.expect.cyy)
    #expect(abs(rawCyy - exact) / exact > 0.01, "raw Syy happened to be accurate: \(rawCyy) vs \(exact)")
    expectClose(c.fitted().cyy, exact, relative: 1e-9, "centered Cyy")
  }

  @Test func learningPolicies() throws {
    var slot = SlotRegression()
    let t0 = 1_767_225_600.0
    for (week, y) in [10.0, 12, 11, 13, 12, 11].enumerated() {
      slot.add(x: t0 + Double(week) * 604_800, y: y)
    }
    let x = t0 + 6 * 604_800
    for policy in LearningPolicy.allCases {
      let rules = ScoringRules(threshold: 3, minimumSamples: 3, learning: policy)
      var learned = slot
      let assessment = rules.assessAndLearn(&learned, x: x, y: 1_000)
      let score = try #require(assessment.score)
      #expect(score.isOutlier)
      var reference = slot
      switch policy {
      case .learn: reference.add(x: x, y: 1_000)
      case .clip: reference.add(x: x, y: score.expected + ScoringRules.clipWidth * score.standardError)
      case .skip: break
      }
      #expect(learned == reference, "\(policy)")
    }
    // A sample inside the band is learned as it is under every policy.
    let rules = ScoringRules(threshold: 3, minimumSamples: 3, learning: .skip)
    var learned = slot
    _ = rules.assessAndLearn(&learned, x: x, y: 12)
    var reference = slot
    reference.add(x: x, y: 12)
    #expect(learned == reference)
  }
}

@Suite("Unlearning a sample")
struct SlotRemovalTests {
  /// remove(x, c) then add(x, y) gives the slot that learned y in place of
  /// c, against a slot built from the corrected samples directly.
  @Test func replacingALearnedValueEqualsLearningTheRightOne() {
    var rng = SplitMix64(seed: 17)
    for round in 0..<500 {
      let count = Int(rng.next() % 12) + 2
      let xs: [Double] = (0..<count).map { 1_767_571_200 + Double($0) * 604_800 + Double(rng.next() % 50) }
      var ys: [Double] = (0..<count).map { _ in 100 + Double(rng.next() % 1000) / 37 }
      let k = Int(rng.next() % UInt64(count))
      let clipped = ys[k] - 5 - Double(rng.next() % 100)
      var learned = SlotRegression()
      for i in 0..<count { learned.add(x: xs[i], y: i == k ? clipped : ys[i]) }
      learned.remove(x: xs[k], y: clipped)
      learned.add(x: xs[k], y: ys[k])
      // The same samples, the corrected one last (the order only rounds).
      ys.append(ys.remove(at: k))
      var order = Array(0..<count)
      order.append(order.remove(at: k))
      var direct = SlotRegression()
      for (i, y) in zip(order, ys) { direct.add(x: xs[i], y: y) }
      #expect(learned.weight == direct.weight)
      for (a, b, what) in [
        (learned.meanX, direct.meanX, "mean x"), (learned.meanY, direct.meanY, "mean y"),
        (learned.cxx, direct.cxx, "cxx"), (learned.cxy, direct.cxy, "cxy"), (learned.cyy, direct.cyy, "cyy"),
      ] {
        expectClose(a, b, relative: 1e-9, absolute: 1e-6, "round \(round) \(what)")
      }
    }
  }

  @Test func removingTheOnlySampleEmptiesTheSlot() {
    var slot = SlotRegression()
    slot.add(x: 1_767_571_200, y: 5)
    slot.remove(x: 1_767_571_200, y: 5)
    #expect(slot == SlotRegression())
  }
}

extension ScoringRules {
  /// Assesses the sample against the slot alone, then learns it by the
  /// policy: the slot's math without a series' state (calibration, cold
  /// start, level shifts). The ingestor calls `judge`.
  func assessAndLearn(_ slot: inout SlotRegression, x: Double, y: Double, pool: NoisePool? = nil)
    -> Assessment
  {
    let assessment = assess(slot, x: x, y: y, pool: pool)
    if let value = valueToLearn(y: y, assessment: assessment) {
      slot.add(x: x, y: value, memory: memory)
    }
    return assessment
  }
}
