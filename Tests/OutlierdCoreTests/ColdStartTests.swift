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

  /// A track with everything set survives the store's binary form word
  /// for word, and the JSON of earlier versions is still read the same;
  /// a cut or foreign blob is refused, not misread.
  @Test func tracksRoundTripThroughTheStoresBinaryForm() throws {
    var random = SplitMix64(seed: 77)
    var track = SeriesTrack()
    track.runSign = -1
    track.runLength = 4
    track.runValueSum = 12.5
    track.runExpectedSum = -3.25
    track.runCrossesZero = true
    track.runStart = t0
    track.shiftRatio = 1.75
    track.shiftConfirmAt = t0 + 10_800
    track.revertRun = 2
    track.stale = true
    track.incident = .init(id: 42, sign: -1, start: t0, end: t0 + 600, peak: -7.5, alerts: 3)
    for k in 0..<700 {
      track.tail.add(
        uSquared: random.nextUnit() * 3, above: k % 3 != 0, startsRun: k % 40 == 0, threshold: 3.5)
      track.recent.learn(50 + random.nextGaussian(), limit: 3.5)
      track.recent.tail.add(uSquared: random.nextUnit(), above: k % 2 == 0, startsRun: false, threshold: 3.5)
    }
    let bytes = TrackCoding.encode(track)
    let decoded = bytes.withUnsafeBytes { TrackCoding.decode(blob: $0) }
    #expect(decoded == track)
    // The layout docs/schema.md states (and FaultTests relies on): 197
    // words before the incident's id, 203 in all with an incident.
    #expect(bytes.count == 203 * 8)
    #expect(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 197 * 8, as: Int64.self) } == 42)
    let json = try JSONDecoder().decode(SeriesTrack.self, from: JSONEncoder().encode(track))
    #expect(json == track)
    #expect(bytes.dropLast(8).withUnsafeBytes { TrackCoding.decode(blob: $0) } == nil)
    #expect(
      Array(repeating: UInt8(7), count: bytes.count).withUnsafeBytes { TrackCoding.decode(blob: $0) } == nil)
  }

  /// The real binary: a new series is watched from its first hours, the
  /// alert stored with baseline 'recent'; `cold_start = false` restores the
  /// silence of the first weeks.
  @Test func aNewSeriesIsWatchedFromItsFirstHours() throws {
    for coldStart in [true, false] {
      let h = try Harness(detection: "cold_start = \(coldStart)")
      var lines: [String] = []
      for step in 0..<288 {
        let value = step == 240 ? 900 : 100 + Double((step * 7) % 5) - 2
        lines.append("n.x \(value) \(Int(t0) + step * 300)")
      }
      let path = h.root + "/day.txt"
      try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
      #expect(try h.run(["ingest", "--config", h.config, path]).status == 0)
      let rows = try h.query("SELECT CAST(ts AS INTEGER), baseline, value FROM alerts")
      if coldStart {
        #expect(rows == [["\(Int(t0) + 240 * 300)", "recent", "900.0"]])
      } else {
        #expect(rows.isEmpty)
      }
    }
  }
}
