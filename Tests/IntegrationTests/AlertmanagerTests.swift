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
  struct SetupFailure: Error { var detail: String }

  final class Alertmanager {
    let process = Process()
    let url: String
    let directory: String
    /// With TLS: the CA that signed its certificate; with basic auth: the
    /// user and password it accepts.
    let caFile: String?
    let credentials: (user: String, password: String)?

    /// Plain HTTP, or HTTPS with basic auth (`--web.config.file`: a
    /// certificate for 127.0.0.1 signed by a CA made here, and one user
    /// with a bcrypt hash).
    init(root: String, tls: Bool = false) throws {
      directory = root + "/alertmanager"
      try FileSystem.makeDirectory(directory)
      try """
      route:
        receiver: "null"
      receivers:
        - name: "null"

      """.write(toFile: directory + "/am.yml", atomically: true, encoding: .utf8)
      let port = RelayTests.freePort()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus-alertmanager")
      process.arguments = [
        "--config.file=\(directory)/am.yml", "--storage.path=\(directory)/data",
        "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=",
      ]
      if tls {
        let d = directory
        try SystemTools.makeCertificates(in: d)
        let made = try SystemTools.shell(
          "/usr/bin/python3 -c 'import bcrypt, sys; print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(4)).decode())' am-secret"
        )
        let hash = made.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard made.status == 0, hash.hasPrefix("$2") else {
          throw SetupFailure(detail: "cannot make the bcrypt hash (Debian's python3-bcrypt): \(made.text)")
        }
        try """
        tls_server_config:
          cert_file: \(d)/server.pem
          key_file: \(d)/server.key
        basic_auth_users:
          outlierd: '\(hash)'

        """.write(toFile: d + "/web.yml", atomically: true, encoding: .utf8)
        process.arguments! += ["--web.config.file=\(d)/web.yml"]
        url = "https://127.0.0.1:\(port)"
        caFile = d + "/ca.pem"
        credentials = ("outlierd", "am-secret")
      } else {
        url = "http://127.0.0.1:\(port)"
        caFile = nil
        credentials = nil
      }
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    func ready() -> Bool { (try? get("/-/ready"))?.contains("OK") ?? false }

    /// A GET with Python's client, trusting `caFile` and sending the
    /// credentials: a client other than the one under test.
    func get(_ path: String) throws -> String {
      let auth = credentials.map { "\($0.user):\($0.password)" } ?? ""
      return try SystemTools.shell(
        """
        python3 -c '
        import base64, ssl, sys, urllib.request
        request = urllib.request.Request(sys.argv[1])
        if sys.argv[3]:
            request.add_header("Authorization", "Basic " + base64.b64encode(sys.argv[3].encode()).decode())
        context = ssl.create_default_context(cafile=sys.argv[2]) if sys.argv[2] else None
        sys.stdout.write(urllib.request.urlopen(request, timeout=5, context=context).read().decode())
        ' '\(url + path)' '\(caFile ?? "")' '\(auth)'
        """
      ).text
    }

    /// The active alerts, as Alertmanager's API v2 lists them (an alert
    /// whose endsAt has passed is not active).
    func activeAlerts() throws -> [[String: Any]] {
      let output = try get("/api/v2/alerts?active=true")
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
    "\n[notify]\nalertmanager_url = \"\(am.url)\"\ndatabase = \"\(h.root)/notify.db\"\nresend_interval = \"\(resend)\"\nlabels = \"team=db\"\ngenerator_url = \"https://grafana.example/d/x?var-series={series}\""
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
    // A series named with a Graphite tag: Alertmanager gets it as a label.
    try h.drop("a.txt", Self.samples("am.series;host=web1", 0..<245, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.query("SELECT closed FROM incidents") == [["0"]])

    let first = try h.run(["notify", "--config", h.config, "--once"])
    #expect(first.status == 0, "\(first.errors)")
    let alerts = try am.activeAlerts()
    let labels = alerts.first?["labels"] as? [String: String]
    let notes = alerts.first?["annotations"] as? [String: String]
    #expect(
      alerts.count == 1 && labels?["alertname"] == "SeasonalOutlier"
        && labels?["series"] == "am.series;host=web1"
        && labels?["host"] == "web1"
        && labels?["direction"] == "high" && labels?["team"] == "db", "\(alerts)")
    #expect(
      notes?["value"] == "900" && notes?["baseline"] == "recent" && notes?["incident"] == "1", "\(alerts)")
    #expect(alerts.first?["startsAt"] as? String == "2026-01-05T20:00:00.000Z")
    #expect(
      alerts.first?["generatorURL"] as? String
        == "https://grafana.example/d/x?var-series=am.series%3Bhost%3Dweb1")
    // Within resend_interval nothing is sent again.
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    #expect(try am.received("firing") == 1)

    // Quiet for longer than incident_gap: the incident closes, and with it the alert.
    try h.drop("b.txt", Self.samples("am.series;host=web1", 245..<288, spikeAt: -1))
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

  /// The on-call loop against an Alertmanager behind TLS and basic auth:
  /// an incident opened under a silence is held back by two notifiers (one
  /// to Alertmanager, one exec hook) and delivered by both when the
  /// silence ends while it is still open; a rejected password is said, and
  /// a reload with the right one delivers; the close resolves it at once
  /// (its endsAt is its last alert's time, not minutes ahead).
  @Test func anHTTPSAlertmanagerWithBasicAuthGetsTheWholeLoop() throws {
    let h = try Harness()
    let am = try Alertmanager(root: h.root, tls: true)
    let password = h.root + "/am.password"
    try "wrong\n".write(toFile: password, atomically: true, encoding: .utf8)
    let https =
      "\n[notify]\nalertmanager_url = \"\(am.url)\"\nca_file = \"\(am.caFile!)\"\nusername = \"outlierd\"\npassword_file = \"\(password)\"\ndatabase = \"\(h.root)/notify.db\"\nresend_interval = \"1h\""
    try h.writeConfig(detection: "threshold = 4.0\nmin_samples = 4", input: https)
    #expect(h.waitFor(seconds: 20) { am.ready() })
    #expect(try h.run(["check-config", "--quiet", "--config", h.config]).status == 0)
    let hook = h.root + "/hook", hookConfig = h.root + "/hook.conf"
    try FileSystem.makeDirectory(hook)
    try String(contentsOfFile: h.config, encoding: .utf8)
      .replacingOccurrences(
        of: https,
        with: "\n[notify]\nexec = \"cat > \(hook)/$(date +%s%N).json\"\ndatabase = \"\(h.root)/hook.db\""
      )
      .write(toFile: hookConfig, atomically: true, encoding: .utf8)

    try h.drop("a.txt", Self.samples("tls.series", 0..<10, spikeAt: -1))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.run(["silence", "add", "tls.*", "--for", "2h", "--config", h.config]).status == 0)
    let notifier = try h.start(["notify", "--config", h.config])
    defer { if notifier.isRunning { notifier.terminate(); notifier.waitUntilExit() } }
    try h.drop("b.txt", Self.samples("tls.series", 10..<245, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.query("SELECT closed FROM incidents") == [["0"]])
    #expect(
      h.waitFor { h.stderr(of: notifier).contains("opened under silence #1") }, "\(h.stderr(of: notifier))")
    let held = try h.run(["notify", "--once", "--config", hookConfig])
    #expect(held.errors.contains("opened under silence #1"), "\(held.errors)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: hook).isEmpty)
    #expect(try am.received("firing") == 0)

    // The silence ends with the incident still open: both deliver it. The
    // wrong password is answered 401, and said.
    #expect(try h.run(["silence", "expire", "1", "--config", h.config]).status == 0)
    #expect(h.waitFor { h.stderr(of: notifier).contains("answered 401") }, "\(h.stderr(of: notifier))")
    #expect(try am.activeAlerts().isEmpty)
    #expect(try SilenceTests.delivery(h) == "failing")
    #expect(try h.run(["notify", "--once", "--config", hookConfig]).status == 0)
    #expect(try FileManager.default.contentsOfDirectory(atPath: hook).count == 1)

    // Without the CA file the certificate is not trusted (the system's
    // store does not hold the test CA): verification is on.
    let untrusting = h.root + "/untrusting.conf"
    try String(contentsOfFile: h.config, encoding: .utf8)
      .replacingOccurrences(of: "ca_file = \"\(am.caFile!)\"\n", with: "")
      .replacingOccurrences(of: "\(h.root)/notify.db", with: "\(h.root)/untrusting.db")
      .write(toFile: untrusting, atomically: true, encoding: .utf8)
    let refused = try h.run(["notify", "--once", "--config", untrusting])
    #expect(refused.status == 1 && refused.errors.contains("certificate"), "\(refused.errors)")

    // The right password, read again on SIGHUP.
    try "am-secret\n".write(toFile: password, atomically: true, encoding: .utf8)
    kill(notifier.processIdentifier, SIGHUP)
    #expect(
      h.waitFor(seconds: 30) { (try? am.activeAlerts().count) == 1 }, "\(h.stderr(of: notifier))")
    let alert = try am.activeAlerts().first
    #expect(
      (alert?["labels"] as? [String: String])?["series"] == "tls.series", "\(String(describing: alert))")
    #expect(alert?["startsAt"] as? String == "2026-01-05T20:00:00.000Z")
    #expect(h.stderr(of: notifier).contains("configuration reloaded"))

    // Quiet past incident_gap: resolved in Alertmanager at once.
    try h.drop("c.txt", Self.samples("tls.series", 245..<288, spikeAt: -1))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.query("SELECT closed FROM incidents") == [["1"]])
    #expect(h.waitFor(seconds: 30) { (try? am.received("resolved")) == 1 }, "\(h.stderr(of: notifier))")
    #expect(try am.activeAlerts().isEmpty)
    let ledger = try SQLiteDatabase(path: h.root + "/notify.db", readOnly: true)
    #expect(try ledger.scalarText("SELECT state || ' ' || sends FROM deliveries") == "resolved 2")
    #expect(try SilenceTests.delivery(h) == "resolved")
  }
}
