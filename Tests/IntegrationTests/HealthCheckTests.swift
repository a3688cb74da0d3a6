import Foundation
import Testing

@testable import OutlierdCore

#if canImport(Glibc)
  import Glibc
#endif

/// `outlierd status --check`, the real binary, as monitoring runs it.
@Suite("Health check")
struct HealthCheckTests {
  @Test func itSaysWhetherTheDaemonRunsAndWhetherTheSpoolKeepsUp() throws {
    let h = try Harness()
    // No database yet: nothing can be known.
    let unknown = try h.run(["status", "--check", "--config", h.config])
    #expect(unknown.status == 3 && unknown.output.hasPrefix("UNKNOWN: cannot open"), "\(unknown.output)")

    try h.drop("a.txt", "h.series 1 1767571200\n")
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let down = try h.run(["status", "--check", "--config", h.config])
    #expect(down.status == 2 && down.output.hasPrefix("CRITICAL: outlierd is not running"), "\(down.output)")

    let daemon = try h.start(["run", "--config", h.config])
    defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGTERM) } }
    var up = try h.run(["status", "--check", "--config", h.config])
    #expect(
      h.waitFor(seconds: 10) {
        up = (try? h.run(["status", "--check", "--config", h.config])) ?? up
        return up.status == 0
      }, "\(up.output)")
    #expect(up.output == "OK: outlierd runs; 0 files wait in the spool\n", "\(up.output)")
    kill(daemon.processIdentifier, SIGTERM)
    daemon.waitUntilExit()

    // Stopped with files waiting, the oldest an hour old.
    try h.drop("b.txt", "h.series 2 1767571500\n")
    try h.drop("c.txt", "h.series 3 1767571800\n")
    var times = [
      timeval(tv_sec: time(nil) - 3600, tv_usec: 0), timeval(tv_sec: time(nil) - 3600, tv_usec: 0),
    ]
    utimes(h.spool + "/b.txt", &times)
    let late = try h.run([
      "status", "--check", "--config", h.config, "--max-lag", "30m", "--max-backlog", "1",
    ])
    let lines = late.output.split(separator: "\n").map(String.init)
    #expect(late.status == 2, "\(late.output)")
    #expect(lines.contains("CRITICAL: outlierd is not running: nothing holds \(h.database)"), "\(lines)")
    #expect(
      lines.contains { $0.hasPrefix("CRITICAL: the oldest of 2 spool files waits for 360") }, "\(lines)")
    // Within the lag limit, the backlog alone warns.
    let backlog = try h.run([
      "status", "--check", "--config", h.config, "--max-lag", "2h", "--max-backlog", "1",
    ])
    #expect(backlog.output.contains("WARNING: 2 files wait in the spool (limit 1)"), "\(backlog.output)")
  }

  /// An operator's `BEGIN; SELECT …` held open while ingest ran took the
  /// write-ahead log to 2.4 GB, where it stayed until a restart, and the
  /// check said nothing.
  @Test func aWriteAheadLogPinnedByAReaderIsNamedAndShrinksWhenItEnds() throws {
    let h = try Harness()
    try h.drop("a.txt", "w.s0 1 1767571200\n")
    let daemon = try h.start(["run", "--config", h.config])
    defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGTERM) } }
    #expect(h.waitFor(seconds: 10) { h.spoolFiles().isEmpty && (try? h.count("series")) == 1 })
    // A reader holds a transaction open.
    let reader = Process()
    reader.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    reader.arguments = [
      "-c",
      "import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1], isolation_level=None)\nc.execute('BEGIN')\nc.execute('SELECT count(*) FROM series').fetchall()\nsys.stdin.read()\nc.execute('COMMIT')",
      h.database,
    ]
    let input = Pipe()
    reader.standardInput = input
    try reader.run()
    usleep(500_000)
    // 10,000 series a file, each file its own commit: every commit writes
    // each series' slot row again (about 10 MB).
    for f in 0..<15 {
      try h.drop("b\(f).txt", (0..<10_000).map { "w.s\($0) \($0 % 7) \(1_767_571_500 + f * 300)\n" }.joined())
      #expect(h.waitFor(seconds: 30) { h.spoolFiles().isEmpty })
    }
    func walSize() -> Int {
      var info = stat()
      return stat(h.database + "-wal", &info) == 0 ? Int(info.st_size) : 0
    }
    #expect(walSize() > 2 * Store.writeAheadLogLimit, "\(walSize())")
    let pinned = try h.run(["status", "--check", "--config", h.config])
    #expect(pinned.status == 1 && pinned.output.contains("-wal is "), "\(pinned.output)")
    try input.fileHandleForWriting.close()
    reader.waitUntilExit()
    // The next commit truncates it.
    try h.drop("c.txt", "w.s0 2 1767600000\n")
    #expect(
      h.waitFor(seconds: 20) { h.spoolFiles().isEmpty && walSize() <= Store.writeAheadLogLimit },
      "\(walSize())")
    let after = try h.run(["status", "--check", "--config", h.config])
    #expect(after.status == 0, "\(after.output)")
    kill(daemon.processIdentifier, SIGTERM)
    daemon.waitUntilExit()
  }
}
