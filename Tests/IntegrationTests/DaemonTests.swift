import Foundation
import Testing

@testable import OutlierdCore

/// The real binary against a temporary spool and SQLite file.
@Suite("Daemon end to end", .serialized)
struct DaemonTests {
  let t0 = 1_767_571_200  // Monday 2026-01-05 00:00Z

  @Test func filesDroppedByRenameAreAppliedAndRemoved() throws {
    let h = try Harness()
    let daemon = try h.start(["run", "--config", h.config])
    defer { if daemon.isRunning { daemon.terminate() } }
    #expect(h.waitFor { FileManager.default.fileExists(atPath: h.database) })
    for week in 0..<3 {
      try h.drop("w\(week).txt", "a.b \(10 + week) \(t0 + week * 604_800)\nc.d 5 \(t0 + week * 604_800)\n")
    }
    #expect(h.waitFor { h.spoolFiles().isEmpty && (try? h.count("files")) == 3 })
    #expect(
      try h.query("SELECT name, lines_accepted, lines_rejected FROM files ORDER BY id") == [
        ["w0.txt", "2", "0"], ["w1.txt", "2", "0"], ["w2.txt", "2", "0"],
      ])
    #expect(
      try h.query("SELECT name, samples, newest_ts FROM series ORDER BY name") == [
        ["a.b", "3", "\(Double(t0 + 2 * 604_800))"], ["c.d", "3", "\(Double(t0 + 2 * 604_800))"],
      ])
    // Temporary names are never read.
    try "x.y 1 \(t0)\n".write(toFile: h.spool + "/.partial", atomically: false, encoding: .utf8)
    try "x.y 1 \(t0)\n".write(toFile: h.spool + "/half.tmp", atomically: false, encoding: .utf8)
    usleep(1_500_000)
    #expect(try h.count("files") == 3)
    let started = Date()
    daemon.terminate()
    daemon.waitUntilExit()
    #expect(daemon.terminationStatus == 0)
    #expect(Date().timeIntervalSince(started) < 1.5)
  }

  @Test func badLinesAreRejectedWithLineNumbersAndReasons() throws {
    let h = try Harness()
    let file = h.root + "/mixed.txt"
    try """
    # a comment, then good and bad lines
    good.one 1.5 \(t0)
    bad line
    good.two 2 \(t0)
    nan.value nan \(t0)
    good.one 1.0 \(t0)
    weird*name 1 \(t0)

    good.one 3 \(t0 + 60)
    """.write(toFile: file, atomically: true, encoding: .utf8)
    let result = try h.run(["ingest", "--config", h.config, file])
    #expect(result.status == 0, "\(result.errors)")
    #expect(
      try h.query("SELECT line, kind FROM rejections ORDER BY line") == [
        ["3", "field_count"], ["5", "bad_number"], ["6", "not_newer"], ["7", "bad_series"],
      ])
    #expect(try h.query("SELECT lines_accepted, lines_rejected FROM files") == [["3", "4"]])
    let rejectedFiles = try FileManager.default.contentsOfDirectory(atPath: h.rejected)
    #expect(rejectedFiles.count == 1)
    let text = try String(contentsOfFile: h.rejected + "/" + rejectedFiles[0], encoding: .utf8)
    #expect(text.contains("# line 3: expected 3 fields"))
    #expect(text.contains("\nbad line\n"))
    #expect(text.contains("# line 6: timestamp \(t0) is not newer"))
    // ingest leaves the operator's file in place.
    #expect(FileManager.default.fileExists(atPath: file))
  }

  @Test func reDroppedFilesAndReSentSamplesChangeNothing() throws {
    let h = try Harness()
    let files = demoFiles(DemoData(seriesCount: 2, weeks: 5), hours: 24 * 7)
    let paths = try files.map { file -> String in
      let path = h.root + "/" + file.name
      try file.content.write(toFile: path, atomically: true, encoding: .utf8)
      return path
    }
    #expect(try h.run(["ingest", "--config", h.config] + paths).status == 0)
    let slots = try h.query("SELECT key, hex(data) FROM slot_blocks ORDER BY key")
    let alerts = try h.query("SELECT * FROM alerts ORDER BY id")
    let series = try h.query("SELECT * FROM series ORDER BY id")
    // Both series (ids 1 and 2) share each block's row.
    #expect(slots.count == 2016 / SlotBlock.size)
    // The same files again: already in the ledger.
    let again = try h.run(["ingest", "--config", h.config] + paths)
    #expect(again.status == 0)
    #expect(again.errors.contains("already in the ledger"))
    #expect(try h.count("files") == files.count)
    // The same samples in a new file (different bytes): every line rejected as not newer.
    let resent = h.root + "/resent.txt"
    try ("# re-sent\n" + files[2].content).write(toFile: resent, atomically: true, encoding: .utf8)
    #expect(try h.run(["ingest", "--config", h.config, resent]).status == 0)
    let lines = files[2].content.split(separator: "\n").count
    #expect(
      try h.query("SELECT lines_accepted, lines_rejected FROM files WHERE name = 'resent.txt'") == [
        ["0", "\(lines)"]
      ])
    #expect(try h.query("SELECT DISTINCT kind FROM rejections") == [["not_newer"]])
    #expect(
      try h.query("SELECT key, hex(data) FROM slot_blocks ORDER BY key") == slots)
    #expect(try h.query("SELECT * FROM alerts ORDER BY id") == alerts)
    #expect(try h.query("SELECT * FROM series ORDER BY id") == series)
  }

  /// Differential, on purpose: the pipeline's plumbing (blocks, pools
  /// built from slots, batches, spills, the store) against the same engine
  /// run over dictionaries in memory. That the engine's numbers are right is
  /// checked independently: SlotRegressionTests and StudentTTests against
  /// exact and mpmath fixtures, PipelineOracleTests end to end against a
  /// 50-digit Python oracle.
  @Test func alertScoresEqualTheEngines() throws {
    let h = try Harness(detection: "threshold = 3.0\nmin_samples = 2\nlearning = \"clip\"\nshift_after = 3")
    let data = DemoData(seriesCount: 3, weeks: 6, anomaliesFromWeek: 3)
    let paths = try demoFiles(data, hours: 24).map { file -> String in
      let path = h.root + "/" + file.name
      try file.content.write(toFile: path, atomically: true, encoding: .utf8)
      return path
    }
    #expect(try h.run(["ingest", "--config", h.config] + paths).status == 0)

    // The same samples through the engine alone, in memory: slots, pooled
    // noise blocks and series tracks in dictionaries, no store.
    let settings = try Settings.load(path: h.config)
    let calendar = try settings.calendar()
    let rules = settings.rules(forSeries: "any")
    var slots: [Int: SlotRegression] = [:]
    var pools: [Int: NoisePool] = [:]
    var tracks: [Int: SeriesTrack] = [:]
    var expected: [[String]] = []
    var flats: [[String]] = []
    for sample in data.samples() {
      let slot = calendar.slot(at: sample.time)
      let key = sample.series * 10_000 + slot
      let blockKey = sample.series * 10_000 + slot / settings.poolSlots
      var regression = slots[key] ?? SlotRegression()
      var track = tracks[sample.series] ?? SeriesTrack()
      let value = Double("\(sample.value)")!
      let trendAfter = Double(settings.trendAfter)
      let before = NoisePool.contribution(of: regression, trendAfter: trendAfter)
      let verdict = rules.judgeWithNoise(
        &regression, x: sample.time, y: value, pool: pools[blockKey] ?? NoisePool(), track: &track,
        shiftAfter: settings.shiftAfter, shiftConfirm: settings.shiftConfirm)
      pools[blockKey, default: NoisePool()].update(
        from: before, to: NoisePool.contribution(of: regression, trendAfter: trendAfter))
      slots[key] = regression
      if case .confirmed(let ratio) = verdict.shift {
        for other in 0..<calendar.slotCount {
          let otherKey = sample.series * 10_000 + other
          guard var scaled = slots[otherKey] else { continue }
          let otherBlock = sample.series * 10_000 + other / settings.poolSlots
          let old = NoisePool.contribution(of: scaled, trendAfter: trendAfter)
          scaled.scaleLevel(by: ratio)
          slots[otherKey] = scaled
          pools[otherBlock, default: NoisePool()].update(
            from: old, to: NoisePool.contribution(of: scaled, trendAfter: trendAfter))
        }
      }
      if case .scored(let score) = verdict.assessment, verdict.isAlert {
        expected.append([
          data.seriesName(sample.series), "\(sample.time)", "\(score.studentized)", "\(score.expected)",
          "\(score.pValue)",
        ])
      }
      if case .scored = verdict.assessment, let flat = verdict.flatScore {
        flats.append([data.seriesName(sample.series), "\(sample.time)", "\(flat)"])
      }
      tracks[sample.series] = track
    }
    let stored = try h.query(
      "SELECT series, ts, score, expected, p_value FROM alerts WHERE kind = 'point' ORDER BY ts, series")
    let storedFlats = try h.query(
      "SELECT series, ts, family_z FROM alerts WHERE kind = 'variance' ORDER BY ts, series")
    #expect(storedFlats.count == flats.count)
    for (row, want) in zip(storedFlats, flats.sorted { ($0[1], $0[0]) < ($1[1], $1[0]) }) {
      let a = Double(row[2])!, b = Double(want[2])!
      #expect(
        row[0] == want[0] && Double(row[1]) == Double(want[1]) && abs(a - b) <= 1e-12 * abs(b),
        "\(row) vs \(want)")
    }
    expected.sort { ($0[1], $0[0]) < ($1[1], $1[0]) }
    #expect(expected.count > 10)
    #expect(stored.count == expected.count)
    for (row, want) in zip(stored, expected) {
      #expect(row[0] == want[0] && Double(row[1]) == Double(want[1]))
      for column in 2...4 {
        let a = Double(row[column])!, b = Double(want[column])!
        #expect(abs(a - b) <= 1e-12 * abs(b), "\(row) vs \(want)")
      }
    }
  }

  /// A backlog is applied in batches of files per transaction; the
  /// database must be the one that applying the files one at a time gives,
  /// with a duplicate, a rejected line and a refused file among them.
  @Test func aBacklogInBatchesEqualsOneFileAtATime() throws {
    var files = demoFiles(DemoData(seriesCount: 3, weeks: 5, anomaliesFromWeek: 3, seed: 5), hours: 12)
    #expect(files.count > Settings().batchFiles, "one batch only")
    files[20].content += "broken line\n"
    files.append((name: "m-9999999998-dup.txt", content: files[30].content))
    files.append((name: "m-9999999999-nul.txt", content: "a.b 1 1767571200\n\0\n"))

    let batched = try Harness()
    for (index, file) in files.enumerated() {
      try batched.drop(file.name, file.content)
      var times = [
        timespec(tv_sec: 1_700_000_000 + index, tv_nsec: 0),
        timespec(tv_sec: 1_700_000_000 + index, tv_nsec: 0),
      ]
      utimensat(AT_FDCWD, batched.spool + "/" + file.name, &times, 0)
    }
    #expect(try batched.run(["run", "--config", batched.config, "--exit-when-idle"]).status == 0)
    #expect(batched.spoolFiles().isEmpty)

    let alone = try Harness()
    for file in files {
      let path = alone.root + "/" + file.name
      try file.content.write(toFile: path, atomically: true, encoding: .utf8)
      _ = try alone.run(["ingest", "--config", alone.config, path])
    }
    #expect(try alone.count("alerts") > 0)
    for sql in [
      "SELECT key, hex(data) FROM slot_blocks ORDER BY key",
      "SELECT id, name, newest_ts, samples, hex(track) FROM series ORDER BY id",
      "SELECT key, hex(data) FROM samples ORDER BY key",
      "SELECT id, name, size, sha256, lines_accepted, lines_rejected, alerts FROM files ORDER BY id",
      "SELECT * FROM alerts ORDER BY id",
      "SELECT * FROM incidents ORDER BY id",
      "SELECT series, ts, kind, detail, file_id FROM events ORDER BY id",
      "SELECT * FROM rejections ORDER BY file_id, line",
    ] {
      let a = try batched.query(sql), b = try alone.query(sql)
      #expect(a.count == b.count && a == b, "\(sql): \(a.count) vs \(b.count) rows")
    }
    #expect(try batched.query("SELECT count(*) FROM files") == [["\(files.count - 2)"]])
  }

  /// Series created by a later process join the rows (ten series each) of
  /// earlier ones: the rows must be read, not taken for new, or the earlier
  /// series' slots and history would be lost.
  @Test func aLaterSeriesJoinsTheRowsOfEarlierOnes() throws {
    let t0 = 1_767_571_200
    let files = [
      "a.one 1 \(t0)\na.two 2 \(t0)\n", "a.three 3 \(t0)\na.one 1.5 \(t0 + 300)\n",
      "a.four 4 \(t0 + 300)\na.two 2.5 \(t0 + 600)\n",
    ]
    let restarted = try Harness(), once = try Harness()
    var paths: [String] = []
    for (index, content) in files.enumerated() {
      let path = restarted.root + "/f\(index).txt"
      try content.write(toFile: path, atomically: true, encoding: .utf8)
      paths.append(path)
      #expect(try restarted.run(["ingest", "--config", restarted.config, path]).status == 0)
    }
    #expect(try once.run(["ingest", "--config", once.config] + paths).status == 0)
    for sql in [
      "SELECT key, hex(data) FROM slot_blocks ORDER BY key",
      "SELECT key, hex(data) FROM samples ORDER BY key",
    ] {
      let a = try restarted.query(sql), b = try once.query(sql)
      #expect(a.count == 1 && a == b, "\(sql)")
    }
  }

  @Test func refusedFilesAreMovedAsideWithTheirReason() throws {
    let h = try Harness(input: "max_file_size = 100")
    // Ends in a newline: a scan-found file whose last line is unfinished
    // would be held for its writer (SpoolWatcher.unfinishedLineSettleTime).
    try Data([0x61, 0x20, 0x31, 0x00, 0x32, 0x0A]).write(to: URL(fileURLWithPath: h.spool + "/binary.dat"))
    try String(repeating: "a.b 1 \(t0)\n", count: 20).write(
      toFile: h.spool + "/big.txt", atomically: true, encoding: .utf8)
    symlink("/etc/passwd", h.spool + "/link")
    mkfifo(h.spool + "/fifo", 0o600)
    try "a.b 1 \(t0)\n".write(toFile: h.spool + "/fine.txt", atomically: true, encoding: .utf8)
    usleep(1_100_000)  // let the scan-found files settle
    let result = try h.run(["run", "--config", h.config, "--exit-when-idle"])
    #expect(result.status == 0, "\(result.errors)")
    #expect(h.spoolFiles().isEmpty)
    let moved = try FileManager.default.contentsOfDirectory(atPath: h.rejected)
    for name in ["binary.dat", "big.txt", "link", "fifo"] {
      let reason = try #require(
        moved.first { $0.hasPrefix(name + ".") && $0.hasSuffix(".reason") }, "\(moved)")
      let text = try String(contentsOfFile: h.rejected + "/" + reason, encoding: .utf8)
      // Regular files are moved beside their reason; a symlink or FIFO is
      // removed, never followed or opened, and its reason says what it was.
      let movedBeside = moved.contains(String(reason.dropLast(".reason".count)))
      switch name {
      case "link":
        #expect(!movedBeside && text.contains("(symlink to /etc/passwd) removed"), "\(text)")
      case "fifo": #expect(!movedBeside && text.contains("(FIFO) removed"), "\(text)")
      default: #expect(movedBeside && text.contains("refused by outlierd"), "\(text)")
      }
    }
    #expect(result.errors.contains("not text (NUL byte at offset 3)"))
    #expect(result.errors.contains("over input.max_file_size"))
    #expect(result.errors.contains("(symlink)"))
    #expect(result.errors.contains("(FIFO)"))
    #expect(try h.count("files") == 1)
  }

  @Test func configErrorsNameFileLineAndKeyAndFail() throws {
    let h = try Harness(detection: "threshold = 4\nmin_sample = 3")
    let result = try h.run(["check-config", "--config", h.config])
    // EX_CONFIG: the unit's RestartPreventExitStatus=78 stops the restarts.
    #expect(result.status == 78)
    #expect(result.errors.contains("\(h.config):"))
    #expect(result.errors.contains("detection.min_sample: unknown key"))
    let run = try h.run(["run", "--config", h.config])
    #expect(run.status == 78)
    #expect(try h.run(["status", "--config", h.config]).status == 78)
    try h.writeConfig(detection: "threshold = 5")
    let ok = try h.run(["check-config", "--config", h.config])
    #expect(ok.status == 0)
    #expect(ok.output.contains("threshold = 5.0"))
  }

  /// check-config checks [notify] as `notify` does: what the notifier
  /// would refuse (exit 78) is refused here, with the key and the fix.
  /// (It passed both before.)
  @Test func checkConfigRefusesWhatTheNotifierWould() throws {
    let h = try Harness()
    let notify = "\n[notify]\ndatabase = \"\(h.root)/notify.db\"\n"
    for (section, complaint) in [
      (
        "alertmanager_url = \"https://outlierd:secret@am.example:9093\"",
        "a user and password go in notify.username and notify.password_file"
      ),
      (
        "alertmanager_url = \"https://am.example:9093\"\nca_file = \"/nonexistent/ca.pem\"",
        "notify.ca_file \"/nonexistent/ca.pem\" does not exist"
      ),
      ("alertmanager_url = \"http://am.example:9093\"\nca_file = \"/etc/hostname\"", "is not https://"),
      ("alertmanager_url = \"http://127.0.0.1:9093\"\nexec = \"cat\"", "are both set"),
    ] {
      try h.writeConfig(detection: "", input: notify + section)
      let check = try h.run(["check-config", "--quiet", "--config", h.config])
      #expect(check.status == 78 && check.errors.contains(complaint), "\(check.errors)")
      let run = try h.run(["notify", "--once", "--config", h.config])
      #expect(run.status == 78 && run.errors.contains(complaint), "\(run.errors)")
    }
    try h.writeConfig(detection: "", input: notify + "alertmanager_url = \"http://127.0.0.1:9093\"")
    #expect(try h.run(["check-config", "--quiet", "--config", h.config]).status == 0)
  }

  /// A mistyped spool or database directory is refused with its path, and
  /// not created; check-config refuses it too.
  @Test func aMissingDirectoryIsRefusedNotCreated() throws {
    let h = try Harness()
    let config = try String(contentsOfFile: h.config, encoding: .utf8)
    let typo = h.root + "/spoool"
    try config.replacingOccurrences(of: "directory = \"\(h.spool)\"", with: "directory = \"\(typo)\"")
      .write(toFile: h.config, atomically: true, encoding: .utf8)
    let run = try h.run(["run", "--config", h.config, "--exit-when-idle"])
    #expect(run.status == 78)
    #expect(run.errors.contains("spool.directory: the directory \(typo) does not exist"), "\(run.errors)")
    #expect(!FileManager.default.fileExists(atPath: typo))
    // check-config says so before a start or a reload would.
    let check = try h.run(["check-config", "--quiet", "--config", h.config])
    #expect(
      check.status == 78 && check.errors.contains("spool.directory: the directory \(typo)"), "\(check.errors)"
    )
    let database = h.root + "/nowhere/outlierd.db"
    try config.replacingOccurrences(of: "database = \"\(h.database)\"", with: "database = \"\(database)\"")
      .write(toFile: h.config, atomically: true, encoding: .utf8)
    let second = try h.run(["run", "--config", h.config, "--exit-when-idle"])
    #expect(
      second.status == 78 && second.errors.contains("storage.database: the directory \(h.root)/nowhere"))
  }

  @Test func aChangedCalendarIsRefused() throws {
    let h = try Harness()
    try "a.b 1 \(t0)\n".write(toFile: h.spool + "/one.txt", atomically: true, encoding: .utf8)
    #expect(try h.run(["ingest", "--config", h.config, h.spool + "/one.txt"]).status == 0)
    try h.writeConfig(detection: "threshold = 4", timeZone: "Europe/Berlin")
    // check-config sees it before a restart would (and ExecReload runs it).
    let check = try h.run(["check-config", "--quiet", "--config", h.config])
    #expect(check.status == 78 && check.output.isEmpty)
    #expect(check.errors.contains("time_zone is UTC in the database"), "\(check.errors)")
    let result = try h.run(["run", "--config", h.config, "--exit-when-idle"])
    #expect(result.status == 78)
    #expect(result.errors.contains("time_zone is UTC in the database, Europe/Berlin in the config"))
    try h.writeConfig(detection: "threshold = 4")
    let quiet = try h.run(["check-config", "--quiet", "--config", h.config])
    #expect(quiet.status == 0 && quiet.output.isEmpty)
    let version = try h.run(["--version"])
    #expect(version.status == 0 && version.output == "outlierd \(OutlierdVersion.description)\n")
  }

  @Test func aSecondInstanceIsRefused() throws {
    let h = try Harness()
    let first = try h.start(["run", "--config", h.config])
    defer { if first.isRunning { first.terminate(); first.waitUntilExit() } }
    #expect(
      h.waitFor { (try? String(contentsOfFile: h.database + ".lock", encoding: .utf8))?.isEmpty == false })
    let second = try h.run(["run", "--config", h.config])
    #expect(second.status != 0)
    #expect(
      second.errors.contains(
        "another outlierd (pid \(first.processIdentifier)) is already using this database"))
  }

  /// SIGHUP while a batch is being applied: the reload waits for the end of
  /// the batch, which is applied with one set of settings.
  @Test func sighupDuringABatchWaitsForItsEnd() throws {
    let h = try Harness()
    let daemon = try h.start(["run", "--config", h.config])
    defer { if daemon.isRunning { daemon.terminate(); daemon.waitUntilExit() } }
    #expect(h.waitFor { h.stderr(of: daemon).contains("outlierd started") })
    let lines = (0..<300_000).map { "hup.s\($0 % 1000) \($0 % 7 + 1) \(t0 + $0 / 1000 * 300)" }
    try h.drop("big.txt", lines.joined(separator: "\n") + "\n")
    var signals = 0
    while daemon.isRunning && !h.spoolFiles().isEmpty {
      kill(daemon.processIdentifier, SIGHUP)
      signals += 1
      usleep(20_000)
    }
    #expect(daemon.isRunning, "\(h.stderr(of: daemon).suffix(2000))")
    #expect(signals > 5, "the file was applied before the signals")
    #expect(try h.query("SELECT sum(lines_accepted) FROM files") == [["300000"]])
    #expect(h.waitFor { h.stderr(of: daemon).contains("configuration reloaded") })
  }

  @Test func sighupReloadsDetectionSettingsAndRefusesCalendarChanges() throws {
    let h = try Harness()
    let daemon = try h.start(["run", "--config", h.config])
    defer { if daemon.isRunning { daemon.terminate(); daemon.waitUntilExit() } }
    #expect(h.waitFor { h.stderr(of: daemon).contains("outlierd started") })
    try h.writeConfig(detection: "threshold = 6.5")
    kill(daemon.processIdentifier, SIGHUP)
    #expect(h.waitFor { h.stderr(of: daemon).contains("configuration reloaded") })
    // The reload names what changed (min_samples fell back to its default).
    #expect(
      h.stderr(of: daemon).contains(
        ": detection.threshold (4.0 → 6.5), detection.min_samples (4 → 3)\n"), "\(h.stderr(of: daemon))")
    // A restart-only key changed and changed back: only the first reload
    // says it waits for a restart (it compares with the running daemon).
    let original = try String(contentsOfFile: h.config, encoding: .utf8)
    try original.replacingOccurrences(
      of: "directory = \"\(h.spool)\"", with: "directory = \"\(h.root)/other\""
    )
    .write(toFile: h.config, atomically: true, encoding: .utf8)
    kill(daemon.processIdentifier, SIGHUP)
    #expect(h.waitFor { h.stderr(of: daemon).contains("spool.directory take effect after a restart") })
    try original.write(toFile: h.config, atomically: true, encoding: .utf8)
    kill(daemon.processIdentifier, SIGHUP)
    #expect(
      h.waitFor {
        h.stderr(of: daemon).components(separatedBy: "configuration reloaded").count == 4
      })
    let last = h.stderr(of: daemon).components(separatedBy: "configuration reloaded").last ?? ""
    #expect(last.contains("spool.directory (") && !last.contains("after a restart"), "\(last)")
    try h.writeConfig(detection: "threshold = 6.5", timeZone: "Asia/Tokyo")
    kill(daemon.processIdentifier, SIGHUP)
    #expect(h.waitFor { h.stderr(of: daemon).contains("reload refused") })
    #expect(daemon.isRunning)
  }

  @Test func readersNeverBlockTheDaemon() throws {
    let h = try Harness()
    let daemon = try h.start(["run", "--config", h.config])
    defer { if daemon.isRunning { daemon.terminate(); daemon.waitUntilExit() } }
    try h.drop("first.txt", "a.b 1 \(t0)\n")
    #expect(h.waitFor { (try? h.count("files")) == 1 })
    // A reader holds an open read transaction while files keep arriving.
    let reader = try SQLiteDatabase(path: h.database, readOnly: true)
    try reader.execute("BEGIN")
    let select = try reader.prepare("SELECT count(*) FROM files")
    #expect(try select.step() && select.int64(0) == 1)
    for i in 1...5 { try h.drop("more\(i).txt", "a.b \(i + 1) \(t0 + i * 604_800)\n") }
    #expect(h.waitFor(seconds: 10) { (try? h.count("files")) == 6 })
    try reader.execute("COMMIT")
    // The sqlite3 shell, as an operator runs it, while the daemon writes.
    for i in 6...9 { try h.drop("shell\(i).txt", "a.b \(i + 1) \(t0 + i * 604_800)\n") }
    let shell = Process()
    shell.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    shell.arguments = [
      h.database,
      "select series, datetime(ts,'unixepoch'), value, expected, score from alerts order by ts desc limit 10; select count(*) from files;",
    ]
    let output = Pipe()
    shell.standardOutput = output
    try shell.run()
    shell.waitUntilExit()
    #expect(shell.terminationStatus == 0)
    let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(Int(printed.split(separator: "\n").last ?? "") ?? 0 >= 6)
    #expect(h.waitFor(seconds: 10) { (try? h.count("files")) == 10 })
  }
}

@Suite("Incidents and events", .serialized)
struct IncidentTests {
  @Test func consecutiveAlertsFormOneIncidentAndStaleSeriesAreReported() throws {
    let h = try Harness(
      detection: "threshold = 4.0\nshift_after = 0\nincident_gap = \"30m\"\nstale_after = \"1h\"")
    // 4 weeks of a flat-ish series, then three high samples in a row, a
    // quiet hour, and one low sample: two incidents.
    let t0 = 1_767_571_200
    var rng = SplitMix64(seed: 5)
    var lines: [String] = []
    for week in 0..<4 {
      for step in 0..<24 {
        lines.append("a.b \(100 + rng.nextGaussian()) \(t0 + week * 604_800 + step * 300)")
      }
    }
    let w = t0 + 4 * 604_800
    for step in 0..<24 {
      let value: Double
      switch step {
      case 2, 3, 4: value = 200
      case 18: value = 20
      default: value = 100 + rng.nextGaussian()
      }
      lines.append("a.b \(value) \(w + step * 300)")
    }
    let file = h.root + "/a.txt"
    try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
    // Counted in the summary, not logged one by one, unless --verbose.
    let quiet = try h.run(["ingest", "--config", h.config, file])
    #expect(quiet.status == 0 && !quiet.errors.contains("ALERT") && !quiet.errors.contains("INCIDENT #"))
    #expect(quiet.errors.contains("ingest: 2 incidents opened, 2 turned critical"), "\(quiet.errors)")
    for name in ["outlierd.db", "outlierd.db-wal", "outlierd.db-shm"] {
      try? FileManager.default.removeItem(atPath: h.root + "/" + name)
    }
    let result = try h.run(["ingest", "--verbose", "--config", h.config, file])
    #expect(result.status == 0, "\(result.errors)")
    #expect(
      try h.query("SELECT direction, alerts, start_ts, end_ts, closed FROM incidents ORDER BY id") == [
        ["1", "3", "\(Double(w + 600))", "\(Double(w + 1200))", "1"],
        ["-1", "1", "\(Double(w + 18 * 300))", "\(Double(w + 18 * 300))", "0"],
      ])
    #expect(try h.query("SELECT count(*) FROM alerts WHERE incident_id IS NULL") == [["0"]])
    #expect(result.errors.contains("INCIDENT #1 opened"))
    #expect(result.errors.contains("INCIDENT #1 closed"))

    // The daemon finds the series silent (its samples are from January).
    let run = try h.run(["run", "--config", h.config, "--exit-when-idle"])
    #expect(run.errors.contains("STALE a.b: no sample for"))
    #expect(try h.query("SELECT kind FROM events") == [["stale"]])
    let again = try h.run(["run", "--config", h.config, "--exit-when-idle"])
    #expect(!again.errors.contains("STALE"))  // once, not on every pass
    try "a.b 100 \(w + 86_400)\n".write(toFile: h.root + "/b.txt", atomically: true, encoding: .utf8)
    #expect(try h.run(["ingest", "--config", h.config, h.root + "/b.txt"]).status == 0)
    #expect(try h.query("SELECT kind FROM events ORDER BY id") == [["stale"], ["resumed"]])
  }
}

extension NoisePool {
  /// A running pool, as a different method from outlierd's pairwise sums:
  /// the old contribution out, the new one in.
  fileprivate mutating func update(from old: NoisePool, to new: NoisePool) {
    rss = rss - old.rss + new.rss
    degreesOfFreedom = degreesOfFreedom - old.degreesOfFreedom + new.degreesOfFreedom
  }
}
