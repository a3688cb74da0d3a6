import Foundation
import Testing

@testable import OutlierdCore

#if canImport(Glibc)
  import Glibc
#endif

/// `outlierd feedback ID normal`, the real binary: the flagged sample's slot
/// ends as if it had learned the sample unclipped.
@Suite("Feedback")
struct FeedbackTests {
  /// Five weeks of a noisy weekly series, a spike in week 5 (slot 120).
  static func weeks(_ series: String) -> String {
    var rng = SplitMix64(seed: 3)
    return (0..<5 * 2016).map { s in
      let value = s == 4 * 2016 + 120 ? 900 : 100 + Double(rng.next() % 1000) / 100
      return "\(series) \(value) \(1_767_571_200 + s * 300)\n"
    }.joined()
  }

  static func slot(_ h: Harness, series: String, slot: Int) throws -> SlotRegression? {
    let reader = try StoreReader(path: h.database)
    guard let state = try reader.series(named: series) else { return nil }
    return try reader.slot(series: state.id, slot: slot)
  }

  @Test func normalFeedbackReLearnsTheSampleAsIfItHadNeverBeenClipped() throws {
    let clipped = try Harness()
    let learned = try Harness(detection: "threshold = 4.0\nmin_samples = 4\nlearning = \"learn\"")
    for h in [clipped, learned] {
      try h.drop("a.txt", Self.weeks("fb.a"))
      #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    }
    let spike = 1_767_571_200 + (4 * 2016 + 120) * 300
    let id = try #require(
      try clipped.query("SELECT id FROM alerts WHERE ts = \(spike) AND baseline = 'weekly'").first?[0])
    let before = try #require(try Self.slot(clipped, series: "fb.a", slot: 120))
    let want = try #require(try Self.slot(learned, series: "fb.a", slot: 120))
    #expect(abs(before.meanY - want.meanY) > 10, "the spike was clipped: \(before.meanY) vs \(want.meanY)")

    let answer = try clipped.run(["feedback", id, "normal", "--config", clipped.config])
    #expect(
      answer.status == 0 && answer.output.hasPrefix("alert #\(id): fb.a at 900 re-learned as normal"),
      "\(answer.output)\(answer.errors)")
    let after = try #require(try Self.slot(clipped, series: "fb.a", slot: 120))
    #expect(after.weight == want.weight)
    for (a, b, what) in [
      (after.meanY, want.meanY, "mean y"), (after.cxx, want.cxx, "cxx"), (after.cxy, want.cxy, "cxy"),
      (after.cyy, want.cyy, "cyy"),
    ] {
      expectClose(a, b, relative: 1e-9, absolute: 1e-9, what)
    }
    #expect(try clipped.query("SELECT feedback FROM alerts WHERE id = \(id)") == [["normal"]])
    #expect(try clipped.query("SELECT kind FROM events WHERE series = 'fb.a'") == [["feedback"]])
    let again = try clipped.run(["feedback", id, "normal", "--config", clipped.config])
    #expect(again.status == 1 && again.output.contains("already has feedback"), "\(again.output)")
    #expect(
      try clipped.run(["feedback", "999999", "normal", "--config", clipped.config]).output
        == "no alert #999999\n")
  }

  @Test func withTheDaemonRunningItAppliesTheFeedback() throws {
    let h = try Harness()
    try h.drop("a.txt", Self.weeks("fb.b"))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let spike = 1_767_571_200 + (4 * 2016 + 120) * 300
    let id = try #require(try h.query("SELECT id FROM alerts WHERE ts = \(spike)").first?[0])
    let daemon = try h.start(["run", "--config", h.config])
    defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGTERM) } }
    // The daemon holds the database before the request is made.
    #expect(h.waitFor(seconds: 10) { h.stderr(of: daemon).contains("outlierd started") })
    let answer = try h.run(["feedback", id, "normal", "--config", h.config])
    #expect(
      answer.status == 0 && answer.output.hasPrefix("alert #\(id): fb.b at 900"),
      "\(answer.output)\(answer.errors)")
    kill(daemon.processIdentifier, SIGTERM)
    daemon.waitUntilExit()
    #expect(h.stderr(of: daemon).contains("re-learned as normal"))
  }

  /// Feedback on an alert raised before `series reset` taught the fresh
  /// model a value it never saw.
  @Test func feedbackOnAnAlertFromBeforeAResetIsRefused() throws {
    let h = try Harness()
    try h.drop("a.txt", AlertmanagerTests.samples("fb.r", 0..<245, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let id = try #require(try h.query("SELECT id FROM alerts WHERE value = 900").first?[0])
    #expect(try h.run(["series", "reset", "fb.r", "--config", h.config]).status == 0)
    let answer = try h.run(["feedback", id, "normal", "--config", h.config])
    #expect(
      answer.status == 1 && answer.output.hasPrefix("refused: alert #\(id) was raised by a model"),
      "\(answer.output)")
    #expect(try h.query("SELECT feedback FROM alerts WHERE id = \(id)") == [[""]])
    #expect(try h.query("SELECT count(*) FROM events WHERE kind = 'feedback'") == [["0"]])
  }
}
