import Foundation
import Testing

@testable import OutlierdCore

#if canImport(Glibc)
  import Glibc
#endif

/// Whoever may write `control/` may ask the daemon to reset a series or
/// relearn a sample, and nothing more: the real binary, with a real
/// unprivileged administrator planting symlinks and odd files there.
@Suite("Control requests", .serialized)
struct ControlRequestTests {
  static let (admin, admins) = ("odt-admin", "odt-admins")

  /// A daemon with a few samples applied, its `control/` opened to the
  /// administrators' group as the package's tmpfiles.d does.
  static func runningDaemon(_ h: Harness, extra: String = "") throws -> Process {
    try SystemTools.ensureUsers([admin], group: admins)
    try h.writeConfig(detection: "threshold = 4.0\nmin_samples = 4", input: extra)
    try h.drop("a.txt", "c.a 1 1767571200\nc.a 2 1767571500\n")
    let daemon = try h.start(["run", "--config", h.config])
    #expect(h.waitFor(seconds: 10) { h.spoolFiles().isEmpty && (try? h.count("series")) == 1 })
    try SystemTools.shell(
      "chmod 0711 \(h.root) && chgrp \(admins) \(h.root)/control && chmod 2770 \(h.root)/control")
    return daemon
  }

  /// As the administrator: writes a request under a dot name and renames it.
  static func request(_ h: Harness, _ name: String, _ text: String) throws {
    let control = h.root + "/control"
    let result = try SystemTools.asUser(
      admin,
      "printf '%s\\n' \(SystemTools.quoted(text)) > \(control)/.\(name) && mv \(control)/.\(name) \(control)/\(name)"
    )
    #expect(result.status == 0, "\(result.text)")
  }

  static func answer(_ h: Harness, _ name: String) -> String? {
    guard let bytes = try? FileSystem.readSmallRegularFile(h.root + "/control/" + name, limit: 100_000) else {
      return nil
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// A symlink at the daemon's former temporary names (`NAME.done.tmp`,
  /// `outlierd.prom.tmp`) pointed its answer, and its metrics, into the
  /// database: the next start found it "damaged".
  @Test(.enabled(if: SystemTools.isRoot, "users need root"))
  func symlinksPlantedBesideTheAnswersNeverRedirectAWrite() throws {
    let h = try Harness()
    let metrics = h.root + "/textfile"
    try FileSystem.makeDirectory(metrics, mode: 0o777)
    symlink(h.database, metrics + "/outlierd.prom.tmp")
    let daemon = try Self.runningDaemon(h, extra: "[metrics]\ntextfile_directory = \"\(metrics)\"")
    defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGTERM) } }
    let planted = try SystemTools.asUser(
      Self.admin,
      "ln -s ../outlierd.db \(h.root)/control/x.done.tmp && ln -s ../outlierd.db \(h.root)/control/x.done")
    #expect(planted.status == 0, "\(planted.text)")
    try Self.request(h, "x.req", "reset c.a")
    #expect(h.waitFor(seconds: 10) { Self.answer(h, "x.done") != nil })
    #expect(Self.answer(h, "x.done") == "reset c.a: model dropped; it learns anew\n")
    kill(daemon.processIdentifier, SIGTERM)
    daemon.waitUntilExit()
    #expect(daemon.terminationStatus == 0, "\(h.stderr(of: daemon))")
    let check = try SystemTools.shell(
      "sqlite3 \(h.database) 'PRAGMA quick_check; SELECT count(*) FROM series'")
    #expect(check.text == "ok\n1\n", "\(check.text)")
    var info = stat()
    #expect(lstat(h.root + "/control/x.done.tmp", &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
    #expect(lstat(metrics + "/outlierd.prom", &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
    // And it starts again on the same database.
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
  }

  /// A request is read only when it is a small regular file: a sparse 2 GB
  /// file took the daemon's memory to 6 GB and stopped ingest for minutes,
  /// a FIFO blocked it for good, and a symlink to a secret put the
  /// secret's first line into the answer.
  @Test(.enabled(if: SystemTools.isRoot, "users need root"))
  func requestsThatAreNotSmallRegularFilesAreRefusedAtOnce() throws {
    let h = try Harness()
    let daemon = try Self.runningDaemon(h)
    defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGTERM) } }
    let secret = h.root + "/secret"
    try "TOPSECRET\n".write(toFile: secret, atomically: true, encoding: .utf8)
    chmod(secret, 0o600)
    let control = h.root + "/control"
    let made = try SystemTools.asUser(
      Self.admin,
      """
      truncate -s 2G \(control)/.big && mv \(control)/.big \(control)/big.req && \
      mkfifo \(control)/fifo.req && ln -s \(secret) \(control)/link.req && mkdir \(control)/dir.req
      """)
    #expect(made.status == 0, "\(made.text)")
    let started = Date()
    try h.drop("b.txt", "c.a 3 1767571800\n")
    #expect(h.waitFor(seconds: 10) { h.spoolFiles().isEmpty && (try? h.count("files")) == 2 })
    #expect(Date().timeIntervalSince(started) < 10)
    for name in ["big", "fifo", "link", "dir"] {
      #expect(h.waitFor(seconds: 5) { Self.answer(h, name + ".done") != nil }, "\(name)")
      let answer = Self.answer(h, name + ".done") ?? ""
      #expect(answer.hasPrefix("error: request refused: "), "\(name): \(answer)")
      #expect(!answer.contains("TOPSECRET"), "\(name): \(answer)")
      var info = stat()
      #expect(lstat(control + "/" + name + ".req", &info) != 0, "\(name).req is left")
    }
    let status = try String(contentsOfFile: "/proc/\(daemon.processIdentifier)/status", encoding: .utf8)
    let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
    let kibibytes =
      Int(peak.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
    #expect(kibibytes < 200 * 1024, "\(peak)")
    kill(daemon.processIdentifier, SIGTERM)
    daemon.waitUntilExit()
  }

  /// The daemon makes `control/` for its own user only: a reader of the
  /// database (its group) may not ask for changes to the models.
  @Test(.enabled(if: SystemTools.isRoot, "users need root"))
  func aControlDirectoryTheDaemonMakesIsItsOwn() throws {
    let h = try Harness()
    let reader = "odt-reader"
    try SystemTools.ensureUsers([reader], group: "odt-readers")
    try h.drop("a.txt", "c.a 1 1767571200\n")
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    var info = stat()
    #expect(stat(h.root + "/control", &info) == 0 && info.st_mode & 0o7777 == 0o700)
    try SystemTools.shell(
      "chgrp -R odt-readers \(h.root) && chmod 0750 \(h.root) && chmod 0640 \(h.database)")
    let read = try SystemTools.asUser(reader, "sqlite3 \(h.database) 'SELECT count(*) FROM series'")
    #expect(read.text == "1\n", "\(read.text)")
    let asked = try SystemTools.asUser(reader, "echo 'reset c.a' > \(h.root)/control/r.req")
    #expect(asked.status != 0 && asked.text.contains("Permission denied"), "\(asked.text)")
  }

  /// An administrator who may not write the database asks the running
  /// daemon through `control/`; a reader is told who may.
  @Test(.enabled(if: SystemTools.isRoot, "users need root"))
  func anAdministratorAsksTheDaemonAndAReaderIsToldWhoMay() throws {
    let h = try Harness()
    let daemon = try Self.runningDaemon(h)
    defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGTERM) } }
    try SystemTools.ensureUsers(["odt-reader"], group: "odt-readers")
    try SystemTools.shell("chmod 0644 \(h.config) \(h.database)")
    let reset = try SystemTools.asUser(
      Self.admin, "\(Harness.binaryForOtherUsers) series reset c.a --config \(h.config)")
    #expect(reset.status == 0 && reset.text == "reset c.a: model dropped; it learns anew\n", "\(reset.text)")
    let refused = try SystemTools.asUser(
      "odt-reader", "\(Harness.binaryForOtherUsers) series reset c.a --config \(h.config)")
    #expect(refused.status != 0 && refused.text.contains("outlierd-admins"), "\(refused.text)")
    kill(daemon.processIdentifier, SIGTERM)
    daemon.waitUntilExit()
  }
}
