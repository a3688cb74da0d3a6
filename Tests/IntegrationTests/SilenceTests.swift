import Foundation
import Testing

@testable import OutlierdCore

/// `outlierd silence`, the real binary, with the notifier's exec hook as
/// the delivery that must (not) happen.
@Suite("Silences")
struct SilenceTests {
  @Test func aSilencedSeriesIsRecordedButNotDeliveredUntilTheSilenceEnds() throws {
    let h = try Harness()
    let out = h.root + "/delivered"
    try FileSystem.makeDirectory(out)
    try ExecHookTests.configure(h, exec: "cat > \(out)/$(date +%s%N).json")
    // Silences live in the daemon's database: it exists once the daemon ran.
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let add = try h.run([
      "silence", "add", "q.*", "--for", "2h", "--comment", "failover test", "--config", h.config,
    ])
    #expect(add.status == 0 && add.output.hasPrefix("silence #1: q.* until "), "\(add.output)\(add.errors)")
    let list = try h.run(["silence", "list", "--config", h.config])
    #expect(list.output.contains("q.*") && list.output.contains("failover test"), "\(list.output)")

    try h.drop("a.txt", AlertmanagerTests.samples("q.series", 0..<245, spikeAt: 240))
    try h.drop("b.txt", AlertmanagerTests.samples("loud.series", 0..<245, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.query("SELECT count(*) FROM incidents") == [["2"]])
    let pass = try h.run(["notify", "--config", h.config, "--once"])
    #expect(pass.errors.contains("opened under silence #1: recorded, not delivered"), "\(pass.errors)")
    let delivered = try FileManager.default.contentsOfDirectory(atPath: out)
    #expect(delivered.count == 1, "\(delivered)")
    #expect(try String(contentsOfFile: out + "/" + delivered[0], encoding: .utf8).contains("\"loud.series\""))
    let ledger = try SQLiteDatabase(path: h.root + "/notify.db", readOnly: true)
    #expect(
      try ledger.scalarText(
        "SELECT group_concat(state || ':' || coalesce(silence_id, '-'), ' ') FROM deliveries ORDER BY incident_id"
      ) == "silenced:1 firing:-")

    // Ended: the next incident of the series is delivered again.
    #expect(try h.run(["silence", "expire", "1", "--config", h.config]).status == 0)
    #expect(try h.run(["silence", "expire", "1", "--config", h.config]).status != 0)
    try h.drop("c.txt", AlertmanagerTests.samples("q.series", 245..<600, spikeAt: 560))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    let after = try FileManager.default.contentsOfDirectory(atPath: out).map {
      try String(contentsOfFile: out + "/" + $0, encoding: .utf8)
    }
    #expect(after.filter { $0.contains("\"q.series\"") }.count == 1, "\(after)")
    let states = try ledger.scalarText(
      "SELECT group_concat(incident_id || ':' || state, ' ') FROM (SELECT * FROM deliveries ORDER BY incident_id)"
    )
    #expect(states == "1:silenced_through 2:firing 3:resolved", "\(states ?? "")")
  }

  /// A silence mutes while it is active: an incident that opened under it
  /// and is still open when it ends is delivered then, and resolved when
  /// it closes, with its last alert's time as its end. (It was never
  /// delivered before.)
  @Test func anIncidentThatOutlivesItsSilenceIsDeliveredWhenTheSilenceEnds() throws {
    let h = try Harness()
    let out = h.root + "/delivered"
    try FileSystem.makeDirectory(out)
    try ExecHookTests.configure(h, exec: "cat > \(out)/$(date +%s%N).json")
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.run(["silence", "add", "m.*", "--for", "2h", "--config", h.config]).status == 0)
    try h.drop("a.txt", AlertmanagerTests.samples("m.series", 0..<245, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
    // Still silenced on the next pass.
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)

    #expect(try h.run(["silence", "expire", "1", "--config", h.config]).status == 0)
    #expect(try h.query("SELECT closed FROM incidents") == [["0"]])
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    try h.drop("b.txt", AlertmanagerTests.samples("m.series", 245..<288, spikeAt: -1))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    let alerts = try ExecHookTests.delivered(out)
    try #require(alerts.count == 2, "\(alerts)")
    #expect((alerts[0]?["labels"] as? [String: String])?["series"] == "m.series")
    #expect(alerts[0]?["endsAt"] == nil && alerts[1]?["endsAt"] as? String == "2026-01-05T20:00:01Z")
    let ledger = try SQLiteDatabase(path: h.root + "/notify.db", readOnly: true)
    #expect(try ledger.scalarText("SELECT state || ' ' || sends FROM deliveries") == "resolved 2")
  }

  /// One silence holds back every notifier: it lives in the daemon's
  /// database, which each reads (two notifiers, each with its own exec
  /// hook and ledger, as beside Alertmanager). Before, each notifier had
  /// its own silences, and the second delivered what the first held back.
  @Test func oneSilenceHoldsBackEveryNotifier() throws {
    let h = try Harness()
    let one = h.root + "/one", two = h.root + "/two"
    for directory in [one, two] { try FileSystem.makeDirectory(directory) }
    try ExecHookTests.configure(h, exec: "cat > \(one)/$(date +%s%N).json")
    let second = h.root + "/second.conf"
    try String(contentsOfFile: h.config, encoding: .utf8)
      .replacingOccurrences(of: "\(one)/", with: "\(two)/")
      .replacingOccurrences(of: "\(h.root)/notify.db", with: "\(h.root)/notify-two.db")
      .write(toFile: second, atomically: true, encoding: .utf8)
    try h.drop("a.txt", AlertmanagerTests.samples("s.quiet", 0..<10, spikeAt: -1))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let add = try h.run(["silence", "add", "s.*", "--for", "2h", "--config", h.config])
    #expect(add.status == 0 && add.output.hasPrefix("silence #1: s.* until"), "\(add.output)\(add.errors)")
    try h.drop("b.txt", AlertmanagerTests.samples("s.quiet", 10..<245, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    for config in [h.config, second] {
      let pass = try h.run(["notify", "--once", "--config", config])
      #expect(pass.errors.contains("opened under silence #1"), "\(pass.errors)")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: one).isEmpty)
    #expect(try FileManager.default.contentsOfDirectory(atPath: two).isEmpty)
    #expect(try Self.delivery(h) == "silenced #1")
    // Expired once: both deliver the incident, still open.
    #expect(try h.run(["silence", "expire", "1", "--config", h.config]).status == 0)
    for config in [h.config, second] {
      #expect(try h.run(["notify", "--once", "--config", config]).status == 0)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: one).count == 1)
    #expect(try FileManager.default.contentsOfDirectory(atPath: two).count == 1)
    #expect(try Self.delivery(h) == "sent")
  }

  /// The `delivery` column of `outlierd incidents` for the one incident:
  /// what the config's notifier did with it, from its ledger.
  static func delivery(_ h: Harness) throws -> String? {
    let listed = try h.run(["incidents", "--format", "jsonl", "--config", h.config])
    let row = try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [String: Any]
    return row?["delivery"] as? String
  }

  /// With the daemon running, `silence add` and `expire` go to it through
  /// control/, an empty comment included (the request is read trimmed,
  /// which took the empty comment's field away: "unknown request").
  @Test func theRunningDaemonAddsAndExpiresSilences() throws {
    let h = try Harness()
    try h.drop("a.txt", AlertmanagerTests.samples("d.quiet", 0..<10, spikeAt: -1))
    let daemon = try h.start(["run", "--config", h.config])
    defer { if daemon.isRunning { daemon.terminate(); daemon.waitUntilExit() } }
    #expect(h.waitFor(seconds: 10) { h.spoolFiles().isEmpty && (try? h.count("series")) == 1 })
    let add = try h.run(["silence", "add", "d.*", "--for", "1h", "--config", h.config])
    #expect(add.status == 0 && add.output.hasPrefix("silence #1: d.* until"), "\(add.output)\(add.errors)")
    let commented = try h.run([
      "silence", "add", "e.*", "--for", "1h", "--comment", "a b", "--config", h.config,
    ])
    #expect(commented.status == 0 && commented.output.hasPrefix("silence #2: e.*"), "\(commented.output)")
    #expect(
      try h.query("SELECT pattern, comment FROM silences ORDER BY id") == [["d.*", ""], ["e.*", "a b"]])
    let expire = try h.run(["silence", "expire", "1", "--config", h.config])
    #expect(expire.status == 0 && expire.output == "silence #1 ended\n", "\(expire.output)\(expire.errors)")
  }
}
