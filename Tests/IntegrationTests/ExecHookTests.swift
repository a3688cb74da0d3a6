import Foundation
import Testing

@testable import OutlierdCore

/// `outlierd notify` with `notify.exec`, the real binary and a real shell.
@Suite("Exec hook")
struct ExecHookTests {
  static func configure(_ h: Harness, exec: String, timeout: String = "10s") throws {
    try h.writeConfig(
      detection: "threshold = 4.0\nmin_samples = 4",
      input:
        "\n[notify]\nexec = \"\(exec.replacingOccurrences(of: "\"", with: "\\\""))\"\nexec_timeout = \"\(timeout)\"\ndatabase = \"\(h.root)/notify.db\"\nlabels = \"team=db\""
    )
  }

  /// The alerts a hook writing one file each (`cat > DIR/$(date +%s%N).json`)
  /// received, oldest first.
  static func delivered(_ directory: String) throws -> [[String: Any]?] {
    try FileManager.default.contentsOfDirectory(atPath: directory).sorted().map {
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/" + $0)))
        as? [String: Any]
    }
  }

  @Test func theCommandGetsEachIncidentAsJSONWhenItOpensAndWhenItCloses() throws {
    let h = try Harness()
    let out = h.root + "/delivered"
    try FileSystem.makeDirectory(out)
    try Self.configure(h, exec: "cat > \(out)/$(date +%s%N).json")
    try h.drop("a.txt", AlertmanagerTests.samples("x.series", 0..<245, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    // Once only while open: a command is not re-sent what it already has.
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    try h.drop("b.txt", AlertmanagerTests.samples("x.series", 245..<288, spikeAt: -1))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    let alerts = try Self.delivered(out)
    try #require(alerts.count == 2, "\(alerts)")
    let labels = alerts[0]?["labels"] as? [String: String]
    #expect(
      labels == [
        "alertname": "SeasonalOutlier", "series": "x.series", "direction": "high", "severity": "critical",
        "kind": "point",
        "team": "db",
      ])
    #expect((alerts[0]?["annotations"] as? [String: String])?["value"] == "900")
    #expect(
      alerts[0]?["endsAt"] == nil && alerts[1]?["endsAt"] as? String == "2026-01-05T20:00:01Z", "\(alerts)")
  }

  /// SIGHUP (`systemctl reload outlierd-notify`) reads the config again:
  /// the next incident goes where the new one says; a config it would
  /// refuse is refused and the running one stays. (Before, SIGHUP was
  /// ignored and the notifier kept its first config.)
  @Test func aReloadedNotifierDeliversWhereTheNewConfigSays() throws {
    let h = try Harness()
    let first = h.root + "/first", second = h.root + "/second"
    for directory in [first, second] { try FileSystem.makeDirectory(directory) }
    try Self.configure(h, exec: "cat > \(first)/$(date +%s%N).json")
    let notifier = try h.start(["notify", "--config", h.config])
    defer { if notifier.isRunning { notifier.terminate(); notifier.waitUntilExit() } }
    try h.drop("a.txt", AlertmanagerTests.samples("r.one", 0..<245, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(h.waitFor { (try? FileManager.default.contentsOfDirectory(atPath: first).count) == 1 })

    // A config it would refuse: refused, still delivering to the first.
    try h.writeConfig(
      detection: "threshold = 4.0\nmin_samples = 4",
      input:
        "\n[notify]\nexec = \"cat\"\nalertmanager_url = \"http://127.0.0.1:9\"\ndatabase = \"\(h.root)/notify.db\""
    )
    kill(notifier.processIdentifier, SIGHUP)
    #expect(h.waitFor { h.stderr(of: notifier).contains("reload refused") }, "\(h.stderr(of: notifier))")
    #expect(notifier.isRunning)

    try Self.configure(h, exec: "cat > \(second)/$(date +%s%N).json")
    kill(notifier.processIdentifier, SIGHUP)
    #expect(
      h.waitFor { h.stderr(of: notifier).contains("configuration reloaded") }, "\(h.stderr(of: notifier))")
    try h.drop("b.txt", AlertmanagerTests.samples("r.two", 0..<245, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(h.waitFor { (try? FileManager.default.contentsOfDirectory(atPath: second).count) == 1 })
    #expect(try FileManager.default.contentsOfDirectory(atPath: first).count == 1)
    #expect(notifier.isRunning)
  }

  @Test func aFailingOrHangingCommandIsRetriedAndSaysWhy() throws {
    let h = try Harness()
    try Self.configure(h, exec: "cat >/dev/null; echo no route >&2; exit 3")
    try h.drop("a.txt", AlertmanagerTests.samples("y.series", 0..<245, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let failed = try h.run(["notify", "--config", h.config, "--once"])
    #expect(failed.status == 1 && failed.errors.contains("exit status 3: no route"), "\(failed.errors)")
    let ledger = h.root + "/notify.db"
    #expect(
      try SQLiteDatabase(path: ledger, readOnly: true).scalarText(
        "SELECT state || ' ' || sends || ' ' || failures FROM deliveries") == "firing 0 1")

    try Self.configure(h, exec: "sleep 30", timeout: "0.5s")
    // The backoff (5 s) holds the retry back; a later clock would not.
    try SQLiteDatabase(path: ledger).execute("UPDATE deliveries SET next_attempt = 0")
    let started = Date()
    let hung = try h.run(["notify", "--config", h.config, "--once"])
    #expect(
      hung.status == 1 && hung.errors.contains("killed after 0.5 s (notify.exec_timeout)"), "\(hung.errors)")
    #expect(Date().timeIntervalSince(started) < 10)
  }

  /// The `plot` annotation is a command operators paste: a series named
  /// `x;./pwn;y` made it run a producer's program.
  @Test func thePlotCommandAnOperatorPastesRunsNothingButOutlierd() throws {
    let h = try Harness()
    let out = h.root + "/delivered"
    try FileSystem.makeDirectory(out)
    try Self.configure(h, exec: "cat > \(out)/alert.json")
    // The names' alphabet has `;` and `/`: enough to run a program.
    let name = "x;./pwn;y/../../z"
    try "#!/bin/sh\ntouch PWNED\n".write(toFile: h.root + "/pwn", atomically: false, encoding: .utf8)
    chmod(h.root + "/pwn", 0o755)
    try h.drop("a.txt", AlertmanagerTests.samples(name, 0..<245, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    let alert = try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: out + "/alert.json")))
    let plot = try #require(((alert as? [String: Any])?["annotations"] as? [String: String])?["plot"])
    #expect(plot.hasPrefix("outlierd plot "), "\(plot)")
    // Pasted into a shell where `outlierd` only prints its arguments.
    let pasted = try SystemTools.shell(
      "cd \(h.root) && outlierd() { printf '%s\\n' \"$@\"; } && \(plot)")
    let words = pasted.text.split(separator: "\n").map(String.init)
    #expect(words.count == 8 && words[1] == name && words[6] == "-o", "\(plot) → \(words)")
    #expect(words.last.map { !$0.contains("/") && $0.hasSuffix(".svg") } == true, "\(words)")
    #expect(!FileManager.default.fileExists(atPath: h.root + "/PWNED"))
  }
}
