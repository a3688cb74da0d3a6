import Foundation
import Testing

@testable import OutlierdCore

/// kill -9 at random instants while the daemon works through a spool;
/// after restarts the database must equal an uninterrupted run's.
@Suite("Crash consistency", .serialized)
struct CrashTests {
  /// Kills per run and weeks of data; scripts/crash-test raises both for
  /// the long run (≥ 100 kills).
  static let kills = Int(ProcessInfo.processInfo.environment["OUTLIERD_CRASH_KILLS"] ?? "") ?? 25
  static let weeks = Int(ProcessInfo.processInfo.environment["OUTLIERD_CRASH_WEEKS"] ?? "") ?? 10

  @Test func killedAtRandomMomentsCountsEverySampleOnce() throws {
    let data = DemoData(seriesCount: 4, weeks: Self.weeks, anomaliesFromWeek: 3, seed: 7)
    var files = demoFiles(data, hours: 6)
    // Some bad lines, which must be rejected exactly once too.
    for i in stride(from: 5, to: files.count, by: 17) { files[i].content += "broken line\n" }

    // The reference: one uninterrupted `ingest` of the files in name order.
    let reference = try Harness()
    let referencePaths = try files.map { file -> String in
      let path = reference.root + "/" + file.name
      try file.content.write(toFile: path, atomically: true, encoding: .utf8)
      return path
    }.sorted()
    #expect(try reference.run(["ingest", "--config", reference.config] + referencePaths).status == 0)

    // The same files in a spool, oldest first in name order, and a daemon
    // killed with SIGKILL again and again.
    let h = try Harness()
    for (index, file) in files.sorted(by: { $0.name < $1.name }).enumerated() {
      try h.drop(file.name, file.content)
      var times = [
        timespec(tv_sec: 1_700_000_000 + index, tv_nsec: 0),
        timespec(tv_sec: 1_700_000_000 + index, tv_nsec: 0),
      ]
      utimensat(AT_FDCWD, h.spool + "/" + file.name, &times, 0)
    }
    var rng = SplitMix64(seed: 99)
    var killed = 0
    while killed < Self.kills && !h.spoolFiles().isEmpty {
      let daemon = try h.start(["run", "--config", h.config])
      usleep(UInt32(10_000 + rng.next() % 150_000))
      kill(daemon.processIdentifier, SIGKILL)
      daemon.waitUntilExit()
      killed += 1
    }
    let finish = try h.run(["run", "--config", h.config, "--exit-when-idle"])
    #expect(finish.status == 0, "\(finish.errors)")
    #expect(killed >= min(Self.kills, 5), "the spool emptied before enough kills")
    #expect(h.spoolFiles().isEmpty)

    let tables = [
      "SELECT key, hex(data) FROM slot_blocks ORDER BY key",
      "SELECT id, name, newest_ts, samples, hex(track) FROM series ORDER BY id",
      "SELECT * FROM incidents ORDER BY id",
      "SELECT series, ts, kind, detail, file_id FROM events ORDER BY id",
      "SELECT key, hex(data) FROM samples ORDER BY key",
      "SELECT * FROM alerts ORDER BY id",
      "SELECT name, size, sha256, lines_accepted, lines_rejected, alerts FROM files ORDER BY id",
      "SELECT * FROM rejections ORDER BY file_id, line",
    ]
    for sql in tables {
      let got = try h.query(sql), want = try reference.query(sql)
      #expect(got.count == want.count, "\(sql)")
      #expect(got == want, "\(sql)")
    }
    #expect(
      try h.query("SELECT sum(lines_accepted) FROM files") == [
        ["\(data.samplesPerSeries * data.seriesCount)"]
      ])
    print(
      "crash test: \(killed) kills, \(files.count) files, \(data.samplesPerSeries * data.seriesCount) samples: database equal to the uninterrupted run's"
    )
  }
}
