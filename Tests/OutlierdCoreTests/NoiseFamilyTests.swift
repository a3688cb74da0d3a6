import Foundation
import Testing

@testable import OutlierdCore

/// The noise families (`NoiseModel`, `CountTail`): tails against scipy
/// (Fixtures/noise.py), each family chosen from generated data of its kind,
/// and the family's second opinion through the scoring rules.
@Suite("Noise families")
struct NoiseFamilyTests {
  struct Fixture: Decodable {
    struct Count: Decodable {
      var k: Double
      var mean: Double
      var dispersion: Double
      var atLeast: Double
      var atMost: Double
    }
    struct Burst: Decodable {
      var logMean: Double
      var logSecond: Double
      var continued: Double
      var burstLength: Double
      var y: Double
      var z: Double
    }
    var counts: [Count]
    var bursts: [Burst]
  }

  @Test func countTailsMatchScipy() throws {
    let fixture = try loadFixture("noise.json", as: Fixture.self)
    for row in fixture.counts {
      let what = "k \(row.k), mean \(row.mean), dispersion \(row.dispersion)"
      expectClose(
        CountTail.atLeast(row.k, mean: row.mean, dispersion: row.dispersion), row.atLeast, relative: 1e-8,
        absolute: 1e-300, "P(X ≥ k), \(what)")
      expectClose(
        CountTail.atMost(row.k, mean: row.mean, dispersion: row.dispersion), row.atMost, relative: 1e-8,
        absolute: 1e-300, "P(X ≤ k), \(what)")
    }
  }

  @Test func aBurstsScoreMatchesItsDefinition() throws {
    let fixture = try loadFixture("noise.json", as: Fixture.self)
    for row in fixture.bursts {
      var words = [Double](repeating: 0, count: NoiseModel.wordCount)
      words[11] = 100  // burstSamples
      words[12] = row.logMean
      words[13] = row.logSecond
      words[14] = 100  // continuedSamples
      words[15] = row.continued
      words[16] = row.burstLength
      let model = NoiseModel(words: words)
      expectClose(
        model.intermittentScore(row.y), row.z, relative: 1e-9, absolute: 1e-9,
        "burst of \(row.y) after \(row.burstLength)")
    }
  }

  /// Two days of each kind, learned against its true expected value.
  static func learned(_ value: (Int, inout SplitMix64) -> (y: Double, expected: Double)) -> NoiseModel {
    var random = SplitMix64(seed: 17)
    var model = NoiseModel()
    for k in 0..<576 {
      let (y, expected) = value(k, &random)
      model.learn(y, expected: k < 20 ? nil : expected)
    }
    return model
  }

  static func poisson(_ lambda: Double, _ random: inout SplitMix64) -> Double {
    var n = 0.0
    var p = random.nextUnit()
    let limit = exp(-lambda)
    while p > limit {
      n += 1
      p *= random.nextUnit()
    }
    return n
  }

  @Test func eachKindOfNoiseGetsItsFamily() {
    let level = { (k: Int) in 100 + 40 * sin(Double(k) * 2 * .pi / 288) }
    let cases: [(NoiseFamily, NoiseModel)] = [
      (.additive, Self.learned { k, r in (level(k) + 3 * r.nextGaussian(), level(k)) }),
      (.multiplicative, Self.learned { k, r in (level(k) * exp(0.4 * r.nextGaussian()), level(k)) }),
      (
        .counts, Self.learned { k, r in (Self.poisson(2 + sin(Double(k) / 40), &r), 2 + sin(Double(k) / 40)) }
      ),
      // A small count is mostly zeros too, but no more than Poisson says.
      (.counts, Self.learned { _, r in (Self.poisson(0.3, &r), 0.3) }),
      (
        .counts,
        Self.learned { k, r in
          // Over-dispersed: Poisson around a log-normal mean.
          let mean = 30.0
          return (Self.poisson(mean * exp(0.5 * r.nextGaussian()), &r), mean)
        }
      ),
      (
        .intermittent,
        Self.learned { k, r in
          (r.nextUnit() < 0.05 ? Double(5 + Int(r.nextUnit() * 50)) : 0, 1.2)
        }
      ),
      (.constant, Self.learned { _, _ in (4, 4) }),
    ]
    for (family, model) in cases {
      #expect(model.family(everNegative: false) == family, "\(family): \(model)")
    }
    // Negative values are never counts, intermittent or log-normal.
    #expect(cases[2].1.family(everNegative: true) == .additive)
    // Until a day is in, nothing but additive.
    var young = NoiseModel()
    for _ in 0..<100 { young.learn(0, expected: 0.5) }
    #expect(young.family(everNegative: false) == .additive)
  }

  /// Through the scoring rules: a queue's ordinary bursts are not alerts
  /// (its family judges them, not the slots' Gaussian model, which flags
  /// many); a queue stuck high is, from its fourth sample on, however
  /// the level follows it.
  @Test func anIntermittentSeriesAlertsOnAStuckQueueNotOnItsBursts() {
    let rules = ScoringRules(
      threshold: 3.5, scale: .normal, minimumSamples: 3, calibrate: true, coldStart: true)
    var random = SplitMix64(seed: 23)
    var slots = [SlotRegression](repeating: SlotRegression(), count: 2016)
    var track = SeriesTrack()
    var burstAlerts = 0
    var gaussianBurstAlerts = 0
    let plain = ScoringRules(
      threshold: 3.5, scale: .normal, minimumSamples: 3, calibrate: true, coldStart: true)
    var plainSlots = slots
    var plainTrack = track
    let t0 = 1_767_571_200.0
    for step in 0..<(3 * 2016) {
      let y = random.nextUnit() < 0.012 ? Double(5 + Int(random.nextUnit() * 55)) : 0
      let verdict = rules.judgeWithNoise(
        &slots[step % 2016], x: t0 + Double(step) * 300, y: y, pool: nil, track: &track, shiftAfter: 6,
        shiftConfirm: 86_400)
      if step >= 2016 && verdict.isAlert { burstAlerts += 1 }
      let gaussian = plain.judge(
        &plainSlots[step % 2016], x: t0 + Double(step) * 300, y: y, pool: nil, track: &plainTrack,
        shiftAfter: 6,
        shiftConfirm: 86_400)
      if step >= 2016 && gaussian.isAlert { gaussianBurstAlerts += 1 }
    }
    #expect(track.noise.family(everNegative: false) == .intermittent)
    #expect(gaussianBurstAlerts >= 10, "the Gaussian model flagged \(gaussianBurstAlerts) bursts")
    #expect(burstAlerts <= 2, "\(burstAlerts) ordinary bursts alerted")
    var stuck: [Bool] = []
    for step in (3 * 2016)..<(3 * 2016 + 12) {
      let verdict = rules.judgeWithNoise(
        &slots[step % 2016], x: t0 + Double(step) * 300, y: 200, pool: nil, track: &track, shiftAfter: 6,
        shiftConfirm: 86_400)
      stuck.append(verdict.isAlert)
    }
    #expect(stuck.dropFirst(4).allSatisfy { $0 }, "\(stuck)")
  }

  /// Under its own family, an anomaly-free series passes the threshold
  /// about as often as the threshold says: 100,000 samples of each kind,
  /// learned and scored against the true expected value, at most 1.2× the
  /// nominal P(|Z| > 3.5) with room for chance (two standard deviations).
  @Test func eachFamilyPassesTheThresholdAtItsNominalRate() {
    let nominal = NormalDistribution.twoSidedTail(3.5)
    let n = 100_000
    let limit = 1.2 * nominal * Double(n) + 2 * (nominal * Double(n)).squareRoot()
    let kinds: [(String, NoiseFamily, (inout SplitMix64) -> (Double, Double))] = [
      ("log-normal", .multiplicative, { r in (80 * exp(0.35 * r.nextGaussian()), 80) }),
      ("Poisson", .counts, { r in (Self.poisson(3, &r), 3) }),
      (
        "Poisson around a log-normal mean", .counts,
        { r in (Self.poisson(40 * exp(0.4 * r.nextGaussian()), &r), 40) }
      ),
      ("queue", .intermittent, { r in (r.nextUnit() < 0.012 ? Double(5 + Int(r.nextUnit() * 56)) : 0, 0.4) }),
    ]
    for (name, family, draw) in kinds {
      var random = SplitMix64(seed: 99)
      var model = NoiseModel()
      var passed = 0
      for k in 0..<(n + 2016) {
        let (y, expected) = draw(&random)
        if k >= 2016, model.family(everNegative: false) == family,
          let z = model.normalEquivalent(y, expected: expected, family: family), abs(z) >= 3.5
        {
          passed += 1
        }
        model.learn(y, expected: expected)
      }
      #expect(model.family(everNegative: false) == family, "\(name)")
      #expect(Double(passed) <= limit, "\(name): \(passed) of \(n) past 3.5, nominal \(nominal * Double(n))")
    }
  }
}
