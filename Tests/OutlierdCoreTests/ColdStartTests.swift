import Foundation
import Testing

@testable import OutlierdCore

@Suite("Cold start")
struct ColdStartTests {
  let t0 = 1_767_571_200.0  // Monday 2026-01-05 00:00Z

  /// Gaussian noise of σ 2 around 100: the recent level finds both; after a
  /// step to 150 it follows within a few level memories.
  @Test func theRecentLevelEstimatesLevelAndNoiseAndFollowsAStep() {
    var random = SplitMix64(seed: 41)
    var level = RecentLevel()
    for _ in 0..<3000 { level.learn(100 + 2 * random.nextGaussian(), limit: 3.5) }
    #expect(abs(level.mean - 100) < 1.5, "mean \(level.mean)")
    #expect(abs(level.variance.squareRoot() / 2 - 1) < 0.12, "σ \(level.variance.squareRoot())")
    for _ in 0..<Int(5 * RecentLevel.levelMemory) { level.learn(150 + 2 * random.nextGaussian(), limit: 3.5) }
    #expect(abs(level.mean - 150) < 2, "mean \(level.mean)")
  }

  /// A confirmed run moves the level to the mean of its outliers: every
  /// run, not just the first. The run's sum was kept past the run (after a
  /// confirmation, or an ordinary sample), so a later run on the same side
  /// moved the level to the mean of it and all the earlier ones: a nightly
  /// drop from 80 to 40 was "expected" at 121, then 163, then 205.
  @Test func everyConfirmedRunMovesTheLevelToItsOwnMean() {
    var random = SplitMix64(seed: 43)
    var level = RecentLevel()
    for _ in 0..<500 { level.learn(80 + 0.2 * random.nextGaussian(), limit: 3.5) }
    for round in 0..<3 {
      // An interrupted run first: two outliers, then an ordinary sample.
      level.learn(40, limit: 3.5)
      level.learn(40, limit: 3.5)
      level.learn(level.mean, limit: 3.5)
      var confirmed = false
      for value in [41.0, 42, 43] { confirmed = level.learn(value, limit: 3.5) }
      #expect(confirmed, "round \(round)")
      #expect(abs(level.mean - 42) < 1e-9, "round \(round): level \(level.mean)")
      // Back up for the next round.
      for _ in 0..<3 { level.learn(80, limit: 3.5) }
      for _ in 0..<200 { level.learn(80 + 0.2 * random.nextGaussian(), limit: 3.5) }
    }
  }

  func rules(coldStart: Bool) -> ScoringRules {
    ScoringRules(threshold: 3.5, scale: .normal, minimumSamples: 3, calibrate: true, coldStart: coldStart)
  }

  /// A week of one sample every 5 minutes: every slot is new, so without
  /// cold start nothing is judged; with it, a spike on day 2 alerts, judged
  /// by the recent level, and its slot learns it clipped, not whole.
  @Test func aSpikeInAWarmingSlotIsJudgedAndLearnedClipped() {
    for coldStart in [false, true] {
      let rules = rules(coldStart: coldStart)
      var random = SplitMix64(seed: 5)
      var slots = [SlotRegression](repeating: SlotRegression(), count: 2016)
      var track = SeriesTrack()
      var alerts: [(step: Int, baseline: Baseline)] = []
      let spike = 400
      for step in 0..<2016 {
        let y = step == spike ? 10_000 : 100 + random.nextGaussian()
        let verdict = rules.judge(
          &slots[step], x: t0 + Double(step) * 300, y: y, pool: nil, track: &track,
          shiftAfter: 6, shiftConfirm: 10_800)
        if verdict.isAlert, let score = verdict.assessment.score { alerts.append((step, score.baseline)) }
      }
      if coldStart {
        #expect(alerts.map(\.step) == [spike])
        #expect(alerts.first?.baseline == .recent)
        // Learned within ±2 standard errors of the recent level (σ ≈ 1).
        #expect(abs(slots[spike].meanY - 100) < 5, "learned \(slots[spike].meanY)")
      } else {
        #expect(alerts.isEmpty)
        #expect(slots[spike].meanY == 10_000)
      }
    }
  }

  /// Once a slot can judge, its line does, not the recent level.
  @Test func theWeeklySlotTakesOverOnceWarm() {
    let rules = rules(coldStart: true)
    var random = SplitMix64(seed: 9)
    var slot = SlotRegression()
    var track = SeriesTrack()
    for _ in 0..<200 { track.recent.learn(100 + random.nextGaussian(), limit: 3.5) }
    var baselines: [Baseline?] = []
    for week in 0..<5 {
      let verdict = rules.judge(
        &slot, x: t0 + Double(week) * 604_800, y: 100 + random.nextGaussian(), pool: nil,
        track: &track, shiftAfter: 6, shiftConfirm: 10_800)
      baselines.append(verdict.assessment.score?.baseline)
    }
    // Weeks 0–2: the slot has 0–2 samples (3 needed) and the level judges.
    #expect(baselines == [.recent, .recent, .recent, .weekly, .weekly])
  }

  /// A daily square wave (20 at night, 80 from 08:00 to 20:00, σ 1) on a
  /// daily calendar, through the whole pipeline. While its slots warm up,
  /// the recent level calls the samples after each edge outliers and their
  /// slots learn them clipped; the third confirms the new level, and the
  /// first two are relearned as they were. Without that, the slots at the
  /// edges hold values between the levels, week after week, and alert on
  /// the true one once they judge.
  @Test func theEdgesOfASquareWaveAreLearnedAsTheyAre() throws {
    let path = NSTemporaryDirectory() + "outlierd-edges-" + UUID().uuidString.prefix(8) + ".db"
    defer {
      for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
    var settings = Settings()
    settings.database = path
    settings.period = 86_400
    var random = SplitMix64(seed: 17)
    var text = ""
    for step in 0..<2 * 288 {
      let hour = step % 288 / 12
      let level = (8..<20).contains(hour) ? 80.0 : 20.0
      text += "square.wave \(level + random.nextGaussian()) \(Int(t0) + step * 300)\n"
    }
    let store = try Store(path: path, calendar: try settings.calendar())
    let ingestor = try Ingestor(settings: settings, store: store)
    _ = try ingestor.withBatch {
      try ingestor.apply(bytes: Array(Data(text.utf8)), name: "square", sha256: "square", now: 1_800_000_000)
    }
    let reader = try StoreReader(path: path)
    let id = try #require(try reader.series(named: "square.wave")).id
    // Day 1's morning edge comes before the recent level judges (12 hours
    // of samples); its evening edge and both of day 2's are judged.
    for (first, level) in [(96, 80.0), (240, 20.0)] {
      for slot in first..<first + 3 {
        let learned = try #require(try reader.slot(series: id, slot: slot))
        #expect(learned.weight == 2)
        #expect(abs(learned.meanY - level) < 3, "slot \(slot): \(learned.meanY), not \(level)")
      }
    }
  }
}
