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

  /// Four weeks of `weeks` and a spike of two samples that ends the
  /// file, so its incident stays open; returns the incident's id.
  static func openTwoAlertIncident(_ h: Harness, series: String) throws -> String {
    var lines = weeks(series).split(separator: "\n").prefix(4 * 2016 + 122).map(String.init)
    lines[4 * 2016 + 121] = "\(series) 880 \(1_767_571_200 + (4 * 2016 + 121) * 300)"
    try h.drop("a.txt", lines.joined(separator: "\n") + "\n")
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    return try #require(try h.query("SELECT id FROM incidents WHERE closed = 0").first?[0])
  }

  static func slot(_ h: Harness, series: String, slot: Int) throws -> SlotRegression? {
    let reader = try StoreReader(path: h.database)
    guard let state = try reader.series(named: series) else { return nil }
    return try reader.slot(series: state.id, slot: slot)
  }

  /// Feedback on an alert of an open incident says what it did to the
  /// slot's line and spread, and closes the incident once every alert of
  /// it was normal (the notifier then resolves it instead of paging for
  /// it). Before, the incident stayed open and was delivered.
  @Test func feedbackOnEveryAlertOfAnOpenIncidentClosesIt() throws {
    let h = try Harness()
    let incident = try Self.openTwoAlertIncident(h, series: "fb.i")
    let alerts = try h.query("SELECT id FROM alerts WHERE incident_id = \(incident) ORDER BY id").map {
      $0[0]
    }
    try #require(alerts.count == 2, "\(alerts)")
    for (k, id) in alerts.enumerated() {
      let answer = try h.run(["feedback", id, "normal", "--config", h.config])
      #expect(answer.status == 0, "\(answer.output)\(answer.errors)")
      if k == 0 {
        #expect(answer.output.contains("its slot's line at that time moved from"), "\(answer.output)")
      }
      if k < alerts.count - 1 {
        #expect(answer.output.contains("incident #\(incident) stays open"), "\(answer.output)")
      } else {
        #expect(answer.output.contains("incident #\(incident) closed"), "\(answer.output)")
      }
    }
    #expect(try h.query("SELECT closed FROM incidents WHERE id = \(incident)") == [["1"]])
    // The series' track no longer holds it: the next alert opens another.
    let state = try #require(try StoreReader(path: h.database).series(named: "fb.i"))
    #expect(state.track.incident == nil)
  }

  /// `feedback --incident ID normal` acts on every alert of the incident
  /// that has no feedback yet, and so closes it.
  @Test func feedbackOnAnIncidentMarksEveryAlertOfIt() throws {
    let h = try Harness()
    let incident = try Self.openTwoAlertIncident(h, series: "fb.j")
    let answer = try h.run(["feedback", "--incident", incident, "normal", "--config", h.config])
    #expect(answer.status == 0, "\(answer.output)\(answer.errors)")
    #expect(answer.output.split(separator: "\n").count == 2, "\(answer.output)")
    #expect(answer.output.contains("incident #\(incident) closed"), "\(answer.output)")
    #expect(
      try h.query("SELECT count(*) FROM alerts WHERE incident_id = \(incident) AND feedback IS NULL") == [
        ["0"]
      ])
    let again = try h.run(["feedback", "--incident", incident, "normal", "--config", h.config])
    #expect(again.status == 64 && again.errors.contains("no alert left without feedback"), "\(again.errors)")
    let none = try h.run(["feedback", "--incident", "999", "normal", "--config", h.config])
    #expect(none.status == 64 && none.errors.contains("no incident #999"), "\(none.errors)")
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
      #expect(abs(a - b) <= 1e-9 * abs(b) + 1e-9, "\(what): got \(a), want \(b)")
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

  /// The slot's regression over the given samples, each as it was: the
  /// reference feedback must reach, computed from the input, not from
  /// what the pipeline learned.
  static func reference(_ samples: [(x: Double, y: Double)]) -> SlotRegression {
    var slot = SlotRegression()
    for sample in samples { slot.add(x: sample.x, y: sample.y, memory: .infinity) }
    return slot
  }

  static func expectSlot(_ got: SlotRegression?, equals want: SlotRegression, _ what: String) {
    guard let got else {
      Issue.record("\(what): no slot")
      return
    }
    #expect(got.weight == want.weight, "\(what)")
    for (a, b, name) in [
      (got.meanX, want.meanX, "mean x"), (got.meanY, want.meanY, "mean y"), (got.cxx, want.cxx, "cxx"),
      (got.cxy, want.cxy, "cxy"), (got.cyy, want.cyy, "cyy"),
    ] {
      #expect(abs(a - b) <= 1e-9 * abs(b) + 1e-6, "\(what): \(name): got \(a), want \(b)")
    }
  }

  /// A dip below the line, judged with sided calibration (the default):
  /// the earlier re-derivation took the band above for the standard error
  /// below, and clipped at min(2, critical) where the engine uses
  /// min(2, critical / κ), so it could unlearn a value the slot never
  /// learned. Against the slot computed from the input.
  @Test func aDipIsUnlearnedExactlyWithSidedCalibration() throws {
    let h = try Harness(detection: "")
    let t0 = 1_767_571_200
    let dip = 4 * 2016 + 120
    var random = SplitMix64(seed: 6)
    var lines = ""
    var inSlot: [(x: Double, y: Double)] = []
    for s in 0..<(5 * 2016) {
      // Skewed noise: the two sides' tail factors differ.
      let noise = random.nextUnit() < 0.02 ? 30 * random.nextUnit() : Double(random.next() % 1000) / 100
      let value = s == dip ? 20 : 100 + noise
      lines += "fb.d \(value) \(t0 + s * 300)\n"
      if s % 2016 == 120 { inSlot.append((Double(t0 + s * 300), value)) }
    }
    try h.drop("a.txt", lines)
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let row = try #require(
      try h.query("SELECT id, learned, unclipped, tail_factor FROM alerts WHERE ts = \(t0 + dip * 300)").first
    )
    #expect(Double(row[1])! > 20 && Double(row[2])! == 20, "learned clipped: \(row)")
    let answer = try h.run(["feedback", row[0], "normal", "--config", h.config])
    #expect(answer.status == 0 && answer.output.contains("re-learned as normal"), "\(answer.output)")
    Self.expectSlot(try Self.slot(h, series: "fb.d", slot: 120), equals: Self.reference(inSlot), "dip")
  }

  /// An alert of the recent level, in a series' first days: its warming
  /// slot learned it clipped to the level's band, and unlearns exactly that.
  @Test func anAlertOfTheRecentLevelIsUnlearnedExactly() throws {
    let h = try Harness(detection: "")
    let t0 = 1_767_571_200
    let spike = 400
    var random = SplitMix64(seed: 2)
    var lines = ""
    for s in 0..<500 {
      let value = s == spike ? 400 : 100 + Double(random.next() % 1000) / 100
      lines += "fb.c \(value) \(t0 + s * 300)\n"
    }
    try h.drop("a.txt", lines)
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let row = try #require(
      try h.query("SELECT id, baseline, learned FROM alerts WHERE ts = \(t0 + spike * 300)").first)
    #expect(row[1] == "recent" && Double(row[2])! < 400, "\(row)")
    let answer = try h.run(["feedback", row[0], "normal", "--config", h.config])
    #expect(answer.status == 0, "\(answer.output)")
    // The slot of that time holds that one sample, as it was.
    Self.expectSlot(
      try Self.slot(h, series: "fb.c", slot: spike),
      equals: Self.reference([(Double(t0 + spike * 300), 400)]),
      "recent")
  }

  /// Where exactness is not possible, feedback says why and changes
  /// nothing: an alert whose learned value is not known.
  @Test func feedbackThatCannotBeExactIsRefused() throws {
    let h = try Harness()
    try h.drop("a.txt", AlertmanagerTests.samples("fb.u", 0..<245, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let id = try #require(try h.query("SELECT id FROM alerts WHERE value = 900").first?[0])
    try SQLiteDatabase(path: h.database).execute("UPDATE alerts SET learned = NULL, unclipped = NULL")
    let answer = try h.run(["feedback", id, "normal", "--config", h.config])
    #expect(
      answer.status == 1 && answer.output.hasPrefix("refused: what the slot learned"), "\(answer.output)")
    #expect(try h.query("SELECT feedback FROM alerts WHERE id = \(id)") == [[""]])
  }
}
