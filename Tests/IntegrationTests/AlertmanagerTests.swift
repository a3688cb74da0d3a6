import Foundation
import Testing

@testable import OutlierdCore

#if canImport(Glibc)
  import Glibc
#endif

/// `outlierd notify` against a real Alertmanager (Debian's
/// prometheus-alertmanager) started on loopback by the test, read back with
/// its own `amtool` and its /metrics.
@Suite(
  "Alertmanager delivery", .serialized,
  .enabled(if: FileManager.default.fileExists(atPath: "/usr/bin/prometheus-alertmanager")))
struct AlertmanagerTests {
  final class Alertmanager {
    let process = Process()
    let url: String
    let directory: String

    init(root: String) throws {
      directory = root + "/alertmanager"
      try FileSystem.makeDirectory(directory)
      try """
      route:
        receiver: "null"
      receivers:
        - name: "null"

      """.write(toFile: directory + "/am.yml", atomically: true, encoding: .utf8)
      let port = RelayTests.freePort()
      url = "http://127.0.0.1:\(port)"
      process.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus-alertmanager")
      process.arguments = [
        "--config.file=\(directory)/am.yml", "--storage.path=\(directory)/data",
        "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=",
      ]
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    func ready() -> Bool { (try? get("/-/ready"))?.contains("OK") ?? false }

    func get(_ path: String) throws -> String {
      try SystemTools.shell(
        "python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \(url + path)"
      ).text
    }

    /// The active alerts, as `amtool alert query` shows them.
    func activeAlerts() throws -> [[String: Any]] {
      let output = try SystemTools.shell("amtool --alertmanager.url=\(url) alert query -o json").text
      return (try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]]) ?? []
    }

    /// Alerts Alertmanager received, by status, from its own counter.
    func received(_ status: String) throws -> Int {
      let metrics = try get("/metrics")
      let prefix = "alertmanager_alerts_received_total{status=\"\(status)\",version=\"v2\"} "
      return metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }
        .flatMap { Int(Double($0.dropFirst(prefix.count)) ?? -1) } ?? 0
    }
  }

  static func notifyConfig(_ h: Harness, _ am: Alertmanager, resend: String = "1m") -> String {
    "\n[notify]\nalertmanager_url = \"\(am.url)\"\ndatabase = \"\(h.root)/notify.db\"\nresend_interval = \"\(resend)\"\nlabels = \"team=db\""
      + "\n[metrics]\ntextfile_directory = \"\(h.root)\""
  }

  /// Five-minute samples of a steady series from `from` to `to` (steps), with a spike.
  static func samples(_ series: String, _ steps: Range<Int>, spikeAt spike: Int) -> String {
    steps.map { s in "\(series) \(s == spike ? 900 : 100 + (s * 7) % 5 - 2) \(1_767_571_200 + s * 300)\n" }
      .joined()
  }

  @Test func anIncidentFiresInAlertmanagerAndResolvesThereWhenItCloses() throws {
    let h = try Harness()
    let am = try Alertmanager(root: h.root)
    try h.writeConfig(detection: "threshold = 4.0\nmin_samples = 4", input: Self.notifyConfig(h, am))
    #expect(h.waitFor(seconds: 20) { am.ready() })
    try h.drop("a.txt", Self.samples("am.series", 0..<245, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.query("SELECT closed FROM incidents") == [["0"]])

    let first = try h.run(["notify", "--config", h.config, "--once"])
    #expect(first.status == 0, "\(first.errors)")
    let alerts = try am.activeAlerts()
    let labels = alerts.first?["labels"] as? [String: String]
    let notes = alerts.first?["annotations"] as? [String: String]
    #expect(
      alerts.count == 1 && labels?["alertname"] == "SeasonalOutlier" && labels?["series"] == "am.series"
        && labels?["direction"] == "high" && labels?["team"] == "db", "\(alerts)")
    #expect(
      notes?["value"] == "900" && notes?["baseline"] == "recent" && notes?["incident"] == "1", "\(alerts)")
    #expect(alerts.first?["startsAt"] as? String == "2026-01-05T20:00:00.000Z")
    // Within resend_interval nothing is sent again.
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    #expect(try am.received("firing") == 1)

    // Quiet for longer than incident_gap: the incident closes, and with it the alert.
    try h.drop("b.txt", Self.samples("am.series", 245..<288, spikeAt: -1))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.query("SELECT closed FROM incidents") == [["1"]])
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    // The firing alert's own endsAt was minutes ahead: only the resolve ends it now.
    #expect(try am.activeAlerts().isEmpty)
    #expect(try am.received("resolved") == 1)
    let ledger = try SQLiteDatabase(path: h.root + "/notify.db", readOnly: true)
    #expect(try ledger.scalarText("SELECT state || ' ' || sends FROM deliveries") == "resolved 2")
    let status = try h.run(["status", "--config", h.config]).output
    #expect(status.contains("notify_resolved") && status.contains("notify_sends"), "\(status)")
    #expect(
      status.split(separator: "\n").contains { $0.hasPrefix("notify_sends") && $0.hasSuffix(" 2") },
      "\(status)")
  }

  @Test func aNotifierDownOrKilledAtRandomLosesNoIncidentAndCountsItsDuplicates() throws {
    let h = try Harness()
    let am = try Alertmanager(root: h.root)
    try h.writeConfig(
      detection: "threshold = 4.0\nmin_samples = 4", input: Self.notifyConfig(h, am, resend: "1s"))
    #expect(h.waitFor(seconds: 20) { am.ready() })
    // An incident already closed before the notifier first runs is history: not sent.
    try h.drop("old.txt", Self.samples("am.old", 0..<288, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    #expect(try am.received("firing") + am.received("resolved") == 0)
    let daemon = try h.start(["run", "--config", h.config])
    defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGTERM) } }
    var notifier = try h.start(["notify", "--config", h.config])
    var rng = SplitMix64(seed: 71)
    var kills = 0
    // Twelve series, each opening an incident and closing it a file later,
    // while the notifier is killed (-9) and restarted at random moments.
    for series in 0..<12 {
      try h.drop("s\(series)-a.txt", Self.samples("am.s\(series)", 0..<245, spikeAt: 240))
      usleep(UInt32(100_000 + rng.next() % 400_000))
      try h.drop("s\(series)-b.txt", Self.samples("am.s\(series)", 245..<288, spikeAt: -1))
      usleep(UInt32(100_000 + rng.next() % 400_000))
      if rng.next() % 2 == 0 {
        kill(notifier.processIdentifier, SIGKILL)
        notifier.waitUntilExit()
        kills += 1
        if rng.next() % 3 == 0 { usleep(1_500_000) }  // down a while: the backlog waits
        notifier = try h.start(["notify", "--config", h.config])
      }
    }
    #expect(kills > 0)
    let ledger = h.root + "/notify.db"
    let settled = h.waitFor(seconds: 60) {
      let db = try? SQLiteDatabase(path: ledger, readOnly: true)
      return (try? db?.scalarText("SELECT count(*) FROM deliveries WHERE state = 'resolved'")) == "12"
    }
    kill(notifier.processIdentifier, SIGTERM)
    notifier.waitUntilExit()
    #expect(settled, "\(h.stderr(of: notifier))")
    // The last notifier's own metrics, written as it stopped.
    let metrics = MetricsTests.values(h.root + "/outlierd_notify.prom")
    #expect(
      metrics["outlierd_notify_up"] == 0 && metrics["outlierd_notify_incidents_firing"] == 0, "\(metrics)")
    let db = try SQLiteDatabase(path: ledger, readOnly: true)
    #expect(try db.scalarText("SELECT count(*) FROM deliveries WHERE state = 'skipped'") == "1")
    #expect(try am.activeAlerts().isEmpty)
    // At least once: every incident reached Alertmanager and was resolved
    // there; whatever it received beyond the ledger's accepted sends was a
    // duplicate, from a kill between a POST and its record.
    let received = try am.received("firing") + am.received("resolved")
    let sends = Int(try db.scalarText("SELECT sum(sends) FROM deliveries") ?? "0") ?? 0
    #expect(
      try am.received("resolved") >= 12 && sends >= 12 && received >= sends,
      "received \(received), sends \(sends)")
    print(
      "notify kill test: \(kills) kills, \(sends) sends recorded, \(received) alerts received, \(received - sends) duplicates"
    )
  }
}
