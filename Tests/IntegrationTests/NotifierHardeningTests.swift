import Foundation
import Testing

@testable import OutlierdCore

#if canImport(Glibc)
  import Glibc
#endif

/// The notifier against what goes wrong around it: kills mid-pass, slow
/// servers, chatty hooks, its own full disk, and a daemon database that was
/// replaced. The real binary, real processes.
@Suite("Notifier hardening", .serialized)
struct NotifierHardeningTests {
  /// `count` series with one open incident each.
  static func incidents(_ h: Harness, _ count: Int, prefix: String = "n") throws {
    try h.drop(
      "a.txt",
      (0..<count).map { AlertmanagerTests.samples("\(prefix).s\($0)", 0..<245, spikeAt: 240) }.joined())
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.count("incidents") >= count)
  }

  /// Lines of the hook's log: one per delivery, with the incident's series.
  static func deliveries(_ path: String) -> [String] {
    ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
  }

  static func ledger(_ h: Harness, _ sql: String, path: String? = nil) -> String {
    do {
      return try SQLiteDatabase(path: path ?? h.root + "/notify.db", readOnly: true).scalarText(sql) ?? ""
    } catch {
      return "\(error)"
    }
  }

  /// A kill -9 mid-pass re-delivered 108 of 301 incidents: the ledger was
  /// committed once, at the end of the pass.
  @Test func aKillMidPassRedeliversAtMostTheDeliveriesInFlight() throws {
    let h = try Harness()
    let log = h.root + "/hook.log"
    try ExecHookTests.configure(h, exec: "sleep 0.1; grep -o '\"series\":\"[^\"]*\"' >> \(log)")
    try Self.incidents(h, 40)
    let notifier = try h.start(["notify", "--config", h.config])
    #expect(h.waitFor(seconds: 20) { Self.deliveries(log).count >= 12 })
    // Committed as it goes: the ledger already holds what was delivered.
    #expect(Int(Self.ledger(h, "SELECT count(*) FROM deliveries WHERE sends > 0")) ?? 0 >= 8)
    kill(notifier.processIdentifier, SIGKILL)
    notifier.waitUntilExit()
    let before = Self.deliveries(log).count
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    let all = Self.deliveries(log)
    #expect(Set(all).count == 40, "\(Set(all).count) series delivered")
    #expect(all.count - 40 <= 4, "\(all.count - 40) delivered twice (killed after \(before))")
  }

  /// A server that answers one byte every 0.5 s held a delivery forever
  /// (the timeout was per read), and SIGTERM waited for it.
  @Test func aTricklingServerTimesOutAndAStopDoesNotWaitForIt() throws {
    let h = try Harness()
    let port = RelayTests.freePort()
    let server = Process()
    server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    server.arguments = [
      "-c",
      """
      import socket, time, threading
      s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
      s.bind(("127.0.0.1", \(port))); s.listen(16)
      def trickle(c):
          c.recv(65536)
          try:
              for b in b"HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\n" * 100:
                  c.send(bytes([b])); time.sleep(0.5)
          except OSError:
              pass
      while True:
          c, _ = s.accept(); threading.Thread(target=trickle, args=(c,), daemon=True).start()
      """,
    ]
    server.standardOutput = FileHandle.nullDevice
    server.standardError = FileHandle.nullDevice
    try server.run()
    defer { kill(server.processIdentifier, SIGKILL) }
    try h.writeConfig(
      detection: "threshold = 4.0\nmin_samples = 4",
      input: "\n[notify]\nalertmanager_url = \"http://127.0.0.1:\(port)\"\ndatabase = \"\(h.root)/notify.db\""
    )
    try Self.incidents(h, 1)
    usleep(300_000)
    let started = Date()
    let once = try h.run(["notify", "--config", h.config, "--once"])
    let took = Date().timeIntervalSince(started)
    #expect(once.status != 0 && once.errors.contains("no answer within 10 s"), "\(once.errors)")
    #expect(took < 13, "\(took) s")

    try SQLiteDatabase(path: h.root + "/notify.db").execute("UPDATE deliveries SET next_attempt = 0")
    let notifier = try h.start(["notify", "--config", h.config])
    usleep(1_500_000)  // inside the delivery
    let stopAt = Date()
    kill(notifier.processIdentifier, SIGTERM)
    notifier.waitUntilExit()
    #expect(Date().timeIntervalSince(stopAt) < 2, "stopped after \(Date().timeIntervalSince(stopAt)) s")
    #expect(h.stderr(of: notifier).contains("interrupted (stopping)"), "\(h.stderr(of: notifier))")
  }

  /// A hook that wrote more than a pipe holds to stderr blocked on it, was
  /// killed after it had delivered, and was run again at every retry.
  @Test func aHookThatSaysALotIsRunOnce() throws {
    let h = try Harness()
    let log = h.root + "/hook.log"
    try ExecHookTests.configure(
      h, exec: "cat >> \(log); head -c 200000 /dev/zero | tr '\\\\0' x >&2", timeout: "5s")
    try Self.incidents(h, 2)
    let started = Date()
    let result = try h.run(["notify", "--config", h.config, "--once"])
    #expect(result.status == 0, "\(result.errors)")
    #expect(Date().timeIntervalSince(started) < 4)
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    #expect(Self.deliveries(log).count == 2)
  }

  /// With its ledger's disk full, the notifier ran every hook again every
  /// 2 s (10 incidents, 105 runs in 20 s): it now delivers nothing it
  /// cannot record, and backs off.
  @Test(.enabled(if: SystemTools.isRoot, "a small tmpfs needs root"))
  func aFullDiskUnderTheLedgerDeliversNothingTwice() throws {
    let h = try Harness()
    let disk = h.root + "/ledger"
    try FileSystem.makeDirectory(disk)
    #expect(try SystemTools.shell("mount -t tmpfs -o size=512k tmpfs \(disk)").status == 0)
    defer { _ = try? SystemTools.shell("umount \(disk)") }
    let log = h.root + "/hook.log"
    try h.writeConfig(
      detection: "threshold = 4.0\nmin_samples = 4",
      input: "\n[notify]\nexec = \"cat >> \(log); echo >> \(log)\"\ndatabase = \"\(disk)/notify.db\"")
    let notifier = try h.start(["notify", "--config", h.config])
    defer { if notifier.isRunning { kill(notifier.processIdentifier, SIGTERM) } }
    #expect(h.waitFor(seconds: 10) { FileManager.default.fileExists(atPath: disk + "/notify.db") })
    usleep(2_500_000)  // a first pass has set the ledger up
    _ = try SystemTools.shell("dd if=/dev/zero of=\(disk)/fill bs=4k 2>/dev/null")
    try Self.incidents(h, 10)
    usleep(8_000_000)
    let whileFull = Self.deliveries(log).filter { !$0.isEmpty }.count
    let log2 = h.stderr(of: notifier)
    #expect(whileFull <= 4, "\(whileFull) deliveries while the ledger could not be written: \(log2)")
    #expect(log2.contains("next pass in 4 s") || log2.contains("next pass in 8 s"), "\(log2)")
    unlink(disk + "/fill")
    #expect(
      h.waitFor(seconds: 40) {
        Self.ledger(h, "SELECT count(*) FROM deliveries WHERE sends = 1", path: disk + "/notify.db") == "10"
      },
      "\(Self.ledger(h, "SELECT count(*) FROM deliveries WHERE sends = 1", path: disk + "/notify.db")) \(h.stderr(of: notifier))"
    )
    kill(notifier.processIdentifier, SIGTERM)
    notifier.waitUntilExit()
    let lines = Self.deliveries(log).filter { !$0.isEmpty }
    #expect(lines.count <= 10 + whileFull, "\(lines.count) deliveries for 10 incidents")
  }

  /// The daemon's database moved aside (as its "damaged" message advises):
  /// the new one's incidents reused ids the ledger had seen, and nothing
  /// was delivered, with no word.
  @Test func aReplacedDatabaseIsFollowedWithAWarning() throws {
    let h = try Harness()
    let log = h.root + "/hook.log"
    try ExecHookTests.configure(h, exec: "grep -o '\"series\":\"[^\"]*\"' >> \(log)")
    try Self.incidents(h, 2, prefix: "old")
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    #expect(Self.deliveries(log).count == 2)
    for suffix in ["", "-wal", "-shm"] { rename(h.database + suffix, h.database + ".damaged" + suffix) }
    try Self.incidents(h, 1, prefix: "new")
    let result = try h.run(["notify", "--config", h.config, "--once"])
    #expect(result.status == 0)
    #expect(Self.deliveries(log).last == "\"series\":\"new.s0\"", "\(Self.deliveries(log))")
    #expect(result.errors.contains("is another database than the ledger followed"), "\(result.errors)")
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    #expect(Self.deliveries(log).count == 3)

    // Restored from an older copy: the ids it hands out next were seen.
    #expect(try SystemTools.shell("sqlite3 \(h.database) '.backup \(h.root)/backup.db'").status == 0)
    try h.drop("b.txt", AlertmanagerTests.samples("mid.s0", 0..<245, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    #expect(Self.deliveries(log).last == "\"series\":\"mid.s0\"")
    for suffix in ["-wal", "-shm"] { unlink(h.database + suffix) }
    rename(h.root + "/backup.db", h.database)
    try h.drop("c.txt", AlertmanagerTests.samples("again.s0", 0..<245, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let restored = try h.run(["notify", "--config", h.config, "--once"])
    #expect(restored.errors.contains("restored from an older copy"), "\(restored.errors)")
    #expect(Self.deliveries(log).contains("\"series\":\"again.s0\""), "\(Self.deliveries(log))")
  }

  /// A bearer token and a client certificate reach a server that demands
  /// both (Python's TLS server, requiring a certificate signed by the test
  /// CA), which records what it was sent.
  @Test func aBearerTokenAndAClientCertificateAreSent() throws {
    let h = try Harness()
    try SystemTools.makeCertificates(in: h.root)
    let port = RelayTests.freePort()
    let received = h.root + "/received.jsonl"
    let server = Process()
    server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    server.arguments = [
      "-c",
      """
      import http.server, json, ssl, sys
      root, port = sys.argv[1], int(sys.argv[2])
      class Handler(http.server.BaseHTTPRequestHandler):
          def do_POST(self):
              body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
              subject = dict(part[0] for part in self.connection.getpeercert()["subject"])
              with open(root + "/received.jsonl", "a") as out:
                  out.write(json.dumps({"authorization": self.headers.get("Authorization"),
                      "client": subject.get("commonName"), "alerts": len(json.loads(body))}) + "\\n")
              self.send_response(200)
              self.end_headers()
          def log_message(self, *args):
              pass
      context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
      context.load_cert_chain(root + "/server.pem", root + "/server.key")
      context.verify_mode = ssl.CERT_REQUIRED
      context.load_verify_locations(root + "/ca.pem")
      server = http.server.HTTPServer(("127.0.0.1", port), Handler)
      server.socket = context.wrap_socket(server.socket, server_side=True)
      server.serve_forever()
      """,
      h.root, String(port),
    ]
    try server.run()
    defer { kill(server.processIdentifier, SIGKILL) }
    let token = h.root + "/token"
    try "s3cret-token\n".write(toFile: token, atomically: true, encoding: .utf8)
    let tls =
      "\n[notify]\nalertmanager_url = \"https://127.0.0.1:\(port)/\"\nca_file = \"\(h.root)/ca.pem\"\ndatabase = \"\(h.root)/notify.db\"\nbearer_token_file = \"\(token)\""
    try h.writeConfig(
      detection: "threshold = 4.0\nmin_samples = 4", input: tls + "\ncert_file = \"\(h.root)/client.pem\"")
    // Only one of a certificate and its key: said by check-config.
    let half = try h.run(["check-config", "--config", h.config])
    #expect(
      half.status == 78 && half.errors.contains("notify.cert_file and notify.key_file go together"),
      "\(half.errors)")
    try h.writeConfig(
      detection: "threshold = 4.0\nmin_samples = 4",
      input: tls + "\ncert_file = \"\(h.root)/client.pem\"\nkey_file = \"\(h.root)/client.key\"")
    try Self.incidents(h, 1)
    #expect(
      h.waitFor { (try? h.run(["notify", "--once", "--config", h.config]).status) == 0 }, "server not up?")
    let lines = Self.deliveries(received)
    #expect(
      lines.count == 1 && lines[0].contains("\"authorization\": \"Bearer s3cret-token\"")
        && lines[0].contains("\"client\": \"outlierd-client\""), "\(lines)")
    // A token file that is gone is named, with the key.
    try FileManager.default.removeItem(atPath: token)
    let gone = try h.run(["check-config", "--config", h.config])
    #expect(
      gone.status == 78 && gone.errors.contains("notify.bearer_token_file \"\(token)\" does not exist"),
      "\(gone.errors)")
  }
}
