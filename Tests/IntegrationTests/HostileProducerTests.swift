import Foundation
import Testing

@testable import OutlierdCore

/// One regression test per hole of the adversarial review of 2026-12-01
/// (docs/security.md): the real binary, with real bind mounts and real
/// non-root users where mounts and permissions matter. Each failed on
/// commit 7058975 (run with OUTLIERD_TEST_BINARY=that build).
@Suite("Hostile producers and broken storage", .serialized)
struct HostileProducerTests {
  let t0 = 1_767_571_200  // Monday 2026-01-05 00:00Z

  /// 1. With spool and rejected/ on different mounts (the service's
  /// layout), a refused file is copied across: a symlink to a secret must
  /// not be followed, a FIFO must not stall the spool.
  @Test(.enabled(if: SystemTools.isRoot, "bind mounts need root"))
  func symlinksAndFIFOsAcrossMountsAreRemovedNeverFollowed() throws {
    let h = try Harness()
    try FileSystem.makeDirectory(h.rejected)
    let secret = h.root + "/secret"
    try "TOPSECRET\n".write(toFile: secret, atomically: true, encoding: .utf8)
    chmod(secret, 0o600)
    for directory in [h.spool, h.rejected] {
      #expect(try SystemTools.shell("mount --bind \(directory) \(directory)").status == 0)
    }
    defer { for directory in [h.spool, h.rejected] { _ = try? SystemTools.shell("umount \(directory)") } }
    symlink(secret, h.spool + "/link.txt")
    mkfifo(h.spool + "/fifo.txt", 0o600)
    try Data([0x61, 0x00, 0x0A]).write(to: URL(fileURLWithPath: h.spool + "/binary.txt"))
    try h.drop("fine.txt", "a.b 1 \(t0)\n")
    usleep(1_100_000)
    let daemon = try h.start(["run", "--config", h.config, "--exit-when-idle"])
    let stopped = h.waitFor(seconds: 20) { !daemon.isRunning }
    if !stopped { daemon.terminate() }
    daemon.waitUntilExit()
    #expect(stopped, "the daemon never drained the spool: \(h.stderr(of: daemon))")
    #expect(h.spoolFiles().isEmpty)
    #expect(try h.count("files") == 1)
    var copiedBinary = false
    for name in try FileManager.default.contentsOfDirectory(atPath: h.rejected) {
      let content = try Data(contentsOf: URL(fileURLWithPath: h.rejected + "/" + name))
      #expect(String(decoding: content, as: UTF8.self).contains("TOPSECRET") == false, "\(name)")
      if name.hasPrefix("binary.txt.") && !name.hasSuffix(".reason") {
        copiedBinary = content == Data([0x61, 0x00, 0x0A])
      }
    }
    #expect(copiedBinary, "a refused regular file is copied across mounts whole")
  }

  /// 2. A file name is text from a producer: under journald a newline and
  /// `<2>` in it must not forge an entry of its own.
  @Test func fileNamesCannotForgeLogLines() throws {
    let h = try Harness()
    let name = "x\n<2>CRITICAL forged\nWARNING ALERT fake"
    try h.drop(name, "a.b 1 \(t0)\nbad line\n")
    let result = try h.run(
      ["run", "--config", h.config, "--exit-when-idle"], environment: ["JOURNAL_STREAM": "8:1"])
    #expect(result.status == 0, "\(result.errors)")
    let lines = result.errors.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
    #expect(lines.count > 2)
    for line in lines {
      #expect(line.range(of: #"^<[0-7]>"#, options: .regularExpression) != nil, "\(line)")
      #expect(!line.hasPrefix("<2>CRITICAL") && !line.contains(">WARNING ALERT"), "\(line)")
    }
    #expect(result.errors.contains(#"x\n<2>CRITICAL forged\nWARNING ALERT fake"#))
  }

  /// 3. A 240-byte name with a bad line, and a name that is not UTF-8,
  /// are applied like any other file instead of stalling the spool.
  @Test func longAndNonUTF8NamesAreAppliedNotStuck() throws {
    let h = try Harness()
    let long = String(repeating: "n", count: 240)
    try h.drop(long, "a.b 1 \(t0)\nbad line\n")
    // 0xBF alone is not UTF-8.
    let raw = Array((h.spool + "/bad-").utf8) + [0xBF] + Array("-name".utf8) + [0]
    let fd = raw.withUnsafeBufferPointer { p in
      p.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT, 0o640) }
    }
    #expect(fd >= 0)
    let line = Array("c.d 2 \(t0)\n".utf8)
    _ = write(fd, line, line.count)
    close(fd)
    let daemon = try h.start(["run", "--config", h.config, "--exit-when-idle"])
    let stopped = h.waitFor(seconds: 20) { !daemon.isRunning }
    if !stopped { daemon.terminate() }
    daemon.waitUntilExit()
    let log = h.stderr(of: daemon)
    #expect(stopped, "\(log)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: h.spool).isEmpty)
    #expect(try h.count("files") == 2, "\(log)")
    #expect(log.contains("bad-%BF-name"), "\(log)")
    let rejected = try FileManager.default.contentsOfDirectory(atPath: h.rejected)
    #expect(rejected.contains { $0.hasSuffix(".rejected") && $0.utf8.count <= 255 }, "\(rejected)")
  }

  /// 4. A large file of bad lines: rejections are bounded per file in
  /// memory, database and rejected/, counted in full, and the file itself
  /// is kept so that no line is lost.
  @Test func rejectionsAreBoundedPerFileAndCountedInFull() throws {
    let h = try Harness()
    let badLines = 400_000
    let text = String(repeating: "this is not a sample at all\n", count: badLines)  // 11 MB
    try h.drop("bad.txt", text)
    let daemon = try h.start(["run", "--config", h.config, "--exit-when-idle"])
    let (status, peak) = SystemTools.peakMemory(of: daemon)
    #expect(status == 0, "\(h.stderr(of: daemon))")
    #expect(peak < 150 * 1024, "peak RSS \(peak) KiB")
    #expect(try h.query("SELECT lines_rejected FROM files") == [["\(badLines)"]])
    #expect(try h.count("rejections") == FileReport.rejectionDetailLimit)
    let names = try FileManager.default.contentsOfDirectory(atPath: h.rejected)
    let listing = try #require(names.first { $0.hasSuffix(".rejected") })
    let size = try #require(
      try FileManager.default.attributesOfItem(atPath: h.rejected + "/" + listing)[.size] as? Int)
    #expect(size < 200_000, "\(listing): \(size) bytes")
    let kept = try #require(names.first { $0.hasSuffix(".original") })
    #expect(try String(contentsOfFile: h.rejected + "/" + kept, encoding: .utf8) == text)
  }

  /// 5. 1e200 squared overflows: learned, it made a pool's noise NaN and
  /// blinded two hours of the week. Values out of range are refused, so a
  /// spike there still alerts as on a control series.
  @Test func absurdValuesAreRefusedAndCannotBlindAPool() throws {
    let h = try Harness()
    var lines: [String] = []
    for week in 0..<6 {
      for slot in 0..<12 {
        let t = t0 + week * 604_800 + slot * 300
        let normal = 100 + Double((week * 13 + slot * 7) % 5 - 2)
        let value = week == 5 && slot == 6 ? 10_000 : normal
        if week == 0 && slot == 0 {
          lines.append("p.x 1e200 \(t)")
          lines.append("p.x 1e-400 \(t)")
        }
        lines += ["p.x \(value) \(t + 1)", "p.ctl \(value) \(t + 1)"]
      }
    }
    let path = h.root + "/poison.txt"
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    let result = try h.run(["ingest", "--config", h.config, path])
    #expect(result.status == 0, "\(result.errors)")
    #expect(try h.query("SELECT kind FROM rejections ORDER BY line") == [["out_of_range"], ["out_of_range"]])
    let alerted = try h.query("SELECT series FROM alerts WHERE value = 10000 ORDER BY series").map { $0[0] }
    #expect(alerted == ["p.ctl", "p.x"])
  }

  /// 6. The lock was the configured path plus `.lock`: a symlink or a hard
  /// link to the database let a second daemon in.
  @Test func aSecondDaemonThroughALinkIsRefused() throws {
    let h = try Harness()
    try h.drop("a.txt", "a.b 1 \(t0)\n")
    let first = try h.start(["run", "--config", h.config])
    defer {
      first.terminate()
      first.waitUntilExit()
    }
    #expect(h.waitFor { h.spoolFiles().isEmpty })
    let config = try String(contentsOfFile: h.config, encoding: .utf8)
    for (kind, link) in [("symlink", h.root + "/via-symlink.db"), ("hard link", h.root + "/via-hardlink.db")]
    {
      if kind == "symlink" { symlink(h.database, link) } else { Glibc.link(h.database, link) }
      let other = h.root + "/other-\(kind.count).conf"
      try config.replacingOccurrences(of: "database = \"\(h.database)\"", with: "database = \"\(link)\"")
        .write(toFile: other, atomically: true, encoding: .utf8)
      let second = try h.run(["ingest", "--config", other, h.root + "/none.txt"])
      #expect(second.status != 0, "\(kind)")
      #expect(second.errors.contains("already using this database"), "\(kind): \(second.errors)")
    }
    #expect(first.isRunning)
  }

  /// 7. After `rm outlierd.db*` later files were applied into the unlinked
  /// file and deleted from the spool: lost.
  @Test func aDeletedDatabaseStopsTheDaemonWithTheFilesKept() throws {
    let h = try Harness()
    let daemon = try h.start(["run", "--config", h.config])
    try h.drop("one.txt", "a.b 1 \(t0)\n")
    #expect(h.waitFor { h.spoolFiles().isEmpty })
    for suffix in ["", "-wal", "-shm"] { unlink(h.database + suffix) }
    try h.drop("two.txt", "a.b 2 \(t0 + 300)\n")
    let stopped = h.waitFor(seconds: 10) { !daemon.isRunning }
    if !stopped { daemon.terminate() }
    daemon.waitUntilExit()
    #expect(stopped && daemon.terminationStatus != 0)
    #expect(h.spoolFiles() == ["two.txt"])
    #expect(
      h.stderr(of: daemon).contains("was deleted while outlierd was running"), "\(h.stderr(of: daemon))")
  }

  /// 8. A damaged, empty or non-regular database is refused at start with
  /// what to do, instead of being written into or silently started over.
  @Test func aDamagedEmptyOrStrangeDatabaseIsRefusedAtStart() throws {
    let h = try Harness()
    var lines: [String] = []
    for i in 0..<20_000 { lines.append("s.\(i % 500) \(i % 7) \(t0 + (i / 500) * 300)") }
    let path = h.root + "/fill.txt"
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    #expect(try h.run(["ingest", "--config", h.config, path]).status == 0)
    let size = try #require(try FileManager.default.attributesOfItem(atPath: h.database)[.size] as? Int)
    #expect(size > 4 * 16384)
    // The daemon keeps its WAL (for readers); empty it so that the pages
    // below are read from the file itself, then overwrite pages 2 to 4.
    try SQLiteDatabase(path: h.database).execute("PRAGMA wal_checkpoint(TRUNCATE)")
    let handle = try #require(FileHandle(forUpdatingAtPath: h.database))
    try handle.seek(toOffset: 16384)
    handle.write(Data(repeating: 0x55, count: 3 * 16384))
    try handle.close()
    let damaged = try h.run(["run", "--config", h.config, "--exit-when-idle"])
    #expect(damaged.status != 0 && damaged.errors.contains("is damaged"), "\(damaged.errors)")
    unlink(h.database)
    _ = FileManager.default.createFile(atPath: h.database, contents: nil)
    let empty = try h.run(["run", "--config", h.config, "--exit-when-idle"])
    #expect(empty.status != 0 && empty.errors.contains("empty file where a database was expected"))
    #expect(try FileManager.default.attributesOfItem(atPath: h.database)[.size] as? Int == 0)
    unlink(h.database)
    mkfifo(h.database, 0o600)
    let fifo = try h.start(["run", "--config", h.config, "--exit-when-idle"])
    let stopped = h.waitFor(seconds: 10) { !fifo.isRunning }
    if !stopped { fifo.terminate() }
    fifo.waitUntilExit()
    #expect(stopped && fifo.terminationStatus != 0 && h.stderr(of: fifo).contains("is a FIFO"))
  }

  /// 8b. A series' track damaged in the file (its bytes are not a track)
  /// stops the daemon at start, and the reports, with the series named and
  /// the statement that lets it start over, not a bare "not a track"; that
  /// statement works, and the other series keep theirs.
  @Test func aDamagedTrackNamesItsSeriesAndTheWayOut() throws {
    let h = try Harness()
    let lines = (0..<400).flatMap { i in
      ["t.a \(10 + i % 5) \(t0 + i * 300)", "t.b \(20 + i % 3) \(t0 + i * 300)"]
    }
    let path = h.root + "/fill.txt"
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    #expect(try h.run(["ingest", "--config", h.config, path]).status == 0)
    let id = try #require(try h.query("SELECT id FROM series WHERE name = 't.b'").first?.first)
    let kept = try h.query("SELECT hex(track) FROM series WHERE name = 't.a'")
    try SQLiteDatabase(path: h.database).execute(
      "UPDATE series SET track = substr(track, 1, length(track) - 8) WHERE id = \(id)")
    let damaged = try h.run(["run", "--config", h.config, "--exit-when-idle"])
    let fix = "UPDATE series SET track = NULL WHERE id = \(id)"
    #expect(damaged.status != 0, "\(damaged.errors)")
    #expect(
      damaged.errors.contains("the track of series t.b (series.id \(id)) is damaged"), "\(damaged.errors)")
    #expect(damaged.errors.contains(fix), "\(damaged.errors)")
    // The reports say the same.
    for command in [["status"], ["series", "list"]] {
      let report = try h.run(command + ["--config", h.config])
      #expect(
        report.status != 0 && report.errors.contains("series t.b (series.id \(id))"),
        "\(command): \(report.errors)")
    }
    try SQLiteDatabase(path: h.database).execute(fix)
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.query("SELECT hex(track) FROM series WHERE name = 't.a'") == kept)
  }

  /// 9. SIGTERM while SQLite waits on a lock (busy_timeout may be an hour)
  /// stops the daemon within a second, with the file kept.
  @Test func sigtermDuringALockWaitStopsWithinASecond() throws {
    let h = try Harness(extraStorage: "busy_timeout = \"1h\"")
    let daemon = try h.start(["run", "--config", h.config])
    #expect(h.waitFor { h.stderr(of: daemon).contains("outlierd started") })
    let holder = try SQLiteDatabase(path: h.database)
    try holder.execute("BEGIN IMMEDIATE")
    try h.drop("a.txt", "a.b 1 \(t0)\n")
    usleep(1_000_000)
    let sent = Date()
    kill(daemon.processIdentifier, SIGTERM)
    let stopped = h.waitFor(seconds: 10) { !daemon.isRunning }
    let took = Date().timeIntervalSince(sent)
    if !stopped { kill(daemon.processIdentifier, SIGKILL) }
    daemon.waitUntilExit()
    try holder.execute("ROLLBACK")
    #expect(stopped && took < 1.5, "took \(took) s")
    #expect(h.spoolFiles() == ["a.txt"])
  }

  /// 10. A spool directory removed and made again is watched again: files
  /// dropped in it do not wait for the rescan (an hour here).
  @Test func aRecreatedSpoolIsWatchedAgain() throws {
    let h = try Harness(rescanInterval: "1h")
    let daemon = try h.start(["run", "--config", h.config])
    defer {
      daemon.terminate()
      daemon.waitUntilExit()
    }
    try h.drop("one.txt", "a.b 1 \(t0)\n")
    #expect(h.waitFor { (try? h.count("files")) == 1 })
    try FileManager.default.removeItem(atPath: h.spool)
    usleep(300_000)
    try FileSystem.makeDirectory(h.spool)
    usleep(1_500_000)
    try h.drop("two.txt", "a.b 2 \(t0 + 300)\n")
    #expect(h.waitFor(seconds: 10) { (try? h.count("files")) == 2 }, "\(h.stderr(of: daemon))")
  }

  /// 11. A producer that writes in place and pauses mid-line lost its
  /// lines: half a line was rejected and the file deleted under it.
  @Test func aFileWrittenInPlaceIsNotTakenMidLine() throws {
    let h = try Harness()
    let path = h.spool + "/inplace.txt"
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    let writer = try #require(FileHandle(forWritingAtPath: path))
    writer.write(Data("a.b 1 \(t0)\na.b 2 \(t0 + 300)\na.b 3".utf8))
    let daemon = try h.start(["run", "--config", h.config])
    defer {
      daemon.terminate()
      daemon.waitUntilExit()
    }
    usleep(3_000_000)
    #expect(h.spoolFiles() == ["inplace.txt"])
    #expect((try? h.count("rejections")) ?? 0 == 0)
    writer.write(Data(" \(t0 + 600)\n".utf8))
    try writer.close()
    #expect(
      h.waitFor(seconds: 10) {
        (try? h.query("SELECT lines_accepted, lines_rejected FROM files")) == [["3", "0"]]
      })
    // The file goes right after its commit, not with it: wait for that too.
    #expect(h.waitFor(seconds: 5) { h.spoolFiles().isEmpty }, "\(h.spoolFiles())")
  }

  /// 12. Real users: the shipped spool mode keeps producers from deleting
  /// each other's files, and a file the daemon cannot read is listed by
  /// `status` and moved aside with its reason instead of sitting forever.
  /// A database the daemon's user cannot write is refused at start.
  @Test(.enabled(if: SystemTools.isRoot, "users and ownership need root"))
  func realUsersCannotDeleteEachOthersFilesAndUnreadableFilesAreMovedAside() throws {
    let h = try Harness()
    let (daemonUser, p1, p2, group) = ("odt-daemon", "odt-p1", "odt-p2", "odt-producers")
    try SystemTools.ensureUsers([p1, p2], group: group)
    try SystemTools.ensureUsers([daemonUser], group: group)
    let tmpfiles = try String(
      contentsOfFile: Harness.packageRoot + "/systemd/outlierd.tmpfiles", encoding: .utf8)
    let spoolLine = try #require(
      tmpfiles.split(separator: "\n").first { $0.hasPrefix("d /var/spool/outlierd ") })
    let mode = String(spoolLine.split(separator: " ")[2])
    #expect(mode == "3770")
    try SystemTools.shell("chown -R \(daemonUser) \(h.root) && chmod 0755 \(h.root)")
    try SystemTools.shell("chown \(daemonUser):\(group) \(h.spool) && chmod \(mode) \(h.spool)")
    let a = h.spool + "/a.txt"
    #expect(
      try SystemTools.asUser(
        p1, "umask 022; printf 'a.b 1 \(t0)\\n' > \(h.spool)/.a && mv \(h.spool)/.a \(a)"
      )
      .status == 0)
    let removal = try SystemTools.asUser(p2, "rm -f \(a)")
    #expect(removal.status != 0 && FileManager.default.fileExists(atPath: a), "\(removal.text)")
    let binary = Harness.binaryForOtherUsers
    let first = try SystemTools.asUser(
      daemonUser, "timeout 20 \(binary) run --config \(h.config) --exit-when-idle")
    #expect(first.status == 0 && h.spoolFiles().isEmpty, "\(first.text)")
    #expect(
      try SystemTools.asUser(
        p1, "umask 077; printf 'c.d 1 \(t0)\\n' > \(h.spool)/.s && mv \(h.spool)/.s \(h.spool)/secret.txt"
      ).status == 0)
    let status = try SystemTools.asUser(daemonUser, "\(binary) status --config \(h.config) --format csv")
    #expect(status.text.contains("secret.txt"), "\(status.text)")
    let run = try SystemTools.asUser(
      daemonUser, "timeout 20 \(binary) run --config \(h.config) --exit-when-idle")
    #expect(run.status == 0, "\(run.text)")
    #expect(h.spoolFiles().isEmpty, "\(run.text)")
    let reasons = try FileManager.default.contentsOfDirectory(atPath: h.rejected).filter {
      $0.hasPrefix("secret.txt.") && $0.hasSuffix(".reason")
    }
    let reason = try String(contentsOfFile: h.rejected + "/" + (reasons.first ?? "none"), encoding: .utf8)
    #expect(reason.contains("not readable by outlierd (mode 600"), "\(reason)")
    // The database now belongs to root and is not writable by the daemon's user.
    try SystemTools.shell("chown root:root \(h.database) && chmod 0644 \(h.database)")
    let readOnly = try SystemTools.asUser(
      daemonUser, "timeout 20 \(binary) run --config \(h.config) --exit-when-idle")
    #expect(readOnly.status != 0 && readOnly.text.contains("Permission denied"), "\(readOnly.text)")
  }

  /// 13. Command-line input is range-checked: no crash on absurd times, no
  /// hang on a FIFO, missing files named, no idle wait after the spool drains.
  @Test func commandLineInputIsCheckedAndNeverCrashesOrHangs() throws {
    let h = try Harness(rescanInterval: "1h")
    let path = h.root + "/one.txt"
    try "a.b 1 \(t0)\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(try h.run(["ingest", "--config", h.config, path]).status == 0)
    for at in ["inf", "1e19", "1e300", "-1e300", "nan", "1e300d"] {
      let result = try h.run(["model", "--config", h.config, "a.b", "--at=\(at)"])
      #expect(
        result.status == 64 && result.errors.contains("cannot read"),
        "--at \(at): \(result.status) \(result.errors)")
    }
    let fifo = h.root + "/fifo.db"
    mkfifo(fifo, 0o600)
    let reader = try h.start(["status", "--database", fifo])
    let returned = h.waitFor(seconds: 5) { !reader.isRunning }
    if !returned { reader.terminate() }
    reader.waitUntilExit()
    #expect(returned && reader.terminationStatus != 0 && h.stderr(of: reader).contains("is a FIFO"))
    let missing = try h.run(["ingest", "--config", h.config, "/nonexistent/file.txt"])
    #expect(missing.status == 2 && missing.errors.contains("/nonexistent/file.txt"), "\(missing.errors)")
    try h.drop("two.txt", "a.b 2 \(t0 + 300)\n")
    let started = Date()
    let idle = try h.run(["run", "--config", h.config, "--exit-when-idle"])
    #expect(idle.status == 0 && Date().timeIntervalSince(started) < 5)
  }
}
