import Foundation
import Testing

@testable import OutlierdCore

/// A temporary outlierd installation: a config, a spool, a database, and
/// the real `outlierd` binary run against them.
final class Harness {
  let root: String
  var spool: String { root + "/spool" }
  var database: String { root + "/outlierd.db" }
  var rejected: String { root + "/rejected" }
  var config: String { root + "/outlierd.conf" }
  var logs: [String] = []

  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

  /// The binary `swift build` made (scripts/test builds it before the
  /// tests). OUTLIERD_TEST_BINARY runs the tests against another build, to
  /// show a regression test failing on an earlier commit; it is not checked.
  static var binary: String {
    ProcessInfo.processInfo.environment["OUTLIERD_TEST_BINARY"] ?? packageRoot + "/.build/debug/outlierd"
  }

  /// Why the binary cannot be tested, or nil: it is missing, or it is
  /// older than objects compiled for it since (a build of the tests alone
  /// recompiled the library but did not link the daemon), so the tests
  /// would judge an old build. Checked once. (Objects, not sources: the
  /// compiler skips a source whose content did not change.)
  static let binaryProblem: String? = {
    if ProcessInfo.processInfo.environment["OUTLIERD_TEST_BINARY"] != nil { return nil }
    var info = stat()
    guard stat(binary, &info) == 0 else {
      return "\(binary) does not exist: run `swift build` first (scripts/test does)"
    }
    let built = (info.st_mtim.tv_sec, info.st_mtim.tv_nsec)
    let products = packageRoot + "/.build/debug"
    for module in ["OutlierdCore.build", "outlierd.build"] {
      let directory = products + "/" + module
      for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
      where name.hasSuffix(".o") {
        guard stat(directory + "/" + name, &info) == 0 else { continue }
        if (info.st_mtim.tv_sec, info.st_mtim.tv_nsec) > built {
          return
            "\(binary) is older than \(directory)/\(name), compiled since: the tests would run an old build; run `swift build` first (scripts/test does)"
        }
      }
    }
    return nil
  }()

  /// The binary for tests that run it as other users: a copy in a
  /// directory everyone may enter, since the checkout itself may not be
  /// (a clone in a `mktemp -d` directory or a home directory is 0700).
  static let binaryForOtherUsers: String = {
    let directory = NSTemporaryDirectory() + "outlierd-test-binary-\(getpid())"
    let copy = directory + "/outlierd"
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try? FileManager.default.removeItem(atPath: copy)
    try? FileManager.default.copyItem(atPath: binary, toPath: copy)
    chmod(directory, 0o755)
    chmod(copy, 0o755)
    return copy
  }()

  struct StaleBinary: Error, CustomStringConvertible {
    var description: String
  }

  init(
    detection: String = "threshold = 4.0\nmin_samples = 4", input: String = "", extraStorage: String = "",
    rescanInterval: String = "1s"
  ) throws {
    if let problem = Self.binaryProblem { throw StaleBinary(description: problem) }
    root = NSTemporaryDirectory() + "outlierd-test-" + UUID().uuidString.prefix(8)
    self.rescanInterval = rescanInterval
    try FileSystem.makeDirectory(spool)
    try writeConfig(detection: detection, input: input, storage: extraStorage)
  }

  let rescanInterval: String

  deinit { try? FileManager.default.removeItem(atPath: root) }

  func writeConfig(
    detection: String, input: String = "", timeZone: String = "UTC", storage: String = "",
    spoolSettings: String = ""
  ) throws {
    let text = """
      [storage]
      database = "\(database)"
      \(storage)
      [spool]
      directory = "\(spool)"
      rejected = "\(rejected)"
      rescan_interval = "\(rescanInterval)"
      \(spoolSettings)
      [input]
      max_future = "1w"
      \(input)
      [calendar]
      time_zone = "\(timeZone)"
      [detection]
      \(detection)
      """
    try text.write(toFile: config, atomically: true, encoding: .utf8)
  }

  /// Drops a file into the spool the way producers should: write under a
  /// dot name, then rename into place.
  func drop(_ name: String, _ content: String) throws {
    let hidden = spool + "/." + name
    try content.write(toFile: hidden, atomically: false, encoding: .utf8)
    guard rename(hidden, spool + "/" + name) == 0 else {
      throw FileSystem.Failure(path: name, operation: "rename", code: errno)
    }
  }

  func spoolFiles() -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? []).filter { !$0.hasPrefix(".") }
      .sorted()
  }

  struct Result {
    var status: Int32
    var output: String
    var errors: String
  }

  /// Runs the binary to completion.
  @discardableResult
  func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
    let process = try start(arguments, environment: environment)
    process.waitUntilExit()
    return collect(process)
  }

  private var outputs: [ObjectIdentifier: (String, String)] = [:]

  /// Starts the binary; stdout and stderr go to files in the test directory.
  func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.binary)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "JOURNAL_STREAM")
    env.removeValue(forKey: "NOTIFY_SOCKET")
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let id = UUID().uuidString.prefix(8)
    let out = root + "/stdout-\(id)", err = root + "/stderr-\(id)"
    _ = FileManager.default.createFile(atPath: out, contents: nil)
    _ = FileManager.default.createFile(atPath: err, contents: nil)
    process.standardOutput = FileHandle(forWritingAtPath: out)
    process.standardError = FileHandle(forWritingAtPath: err)
    try process.run()
    outputs[ObjectIdentifier(process)] = (out, err)
    return process
  }

  func collect(_ process: Process) -> Result {
    let (out, err) = outputs[ObjectIdentifier(process)] ?? ("", "")
    let errors = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
    logs.append(errors)
    return Result(
      status: process.terminationStatus, output: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
      errors: errors)
  }

  func stderr(of process: Process) -> String {
    guard let (_, err) = outputs[ObjectIdentifier(process)] else { return "" }
    return (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
  }

  /// Waits until the condition holds, polling; false on timeout.
  func waitFor(seconds: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if try condition() { return true }
      usleep(20_000)
    }
    return try condition()
  }

  /// Rows of a query, each column as text ("" for NULL). Select blobs
  /// through hex(): their bytes are not text.
  func query(_ sql: String) throws -> [[String]] {
    let db = try SQLiteDatabase(path: database, readOnly: true)
    db.setBusyTimeout(milliseconds: 5000)
    let statement = try db.prepare(sql)
    var rows: [[String]] = []
    let columns = statement.columnCount
    while try statement.step() {
      rows.append((0..<columns).map { statement.text($0) ?? "" })
    }
    return rows
  }

  func count(_ table: String) throws -> Int { Int(try query("SELECT count(*) FROM \(table)")[0][0]) ?? -1 }
}

/// Graphite lines of DemoData, cut into files of `hours` hours.
func demoFiles(_ data: DemoData, hours: Double = 24) -> [(name: String, content: String)] {
  var files: [(String, String)] = []
  var lines: [String] = []
  var fileStart = data.start
  for sample in data.samples() {
    if sample.time >= fileStart + hours * 3600 {
      files.append(("m-\(Int(fileStart)).txt", lines.joined(separator: "\n") + "\n"))
      lines.removeAll()
      fileStart = sample.time
    }
    lines.append("\(data.seriesName(sample.series)) \(sample.value) \(Int(sample.time))")
  }
  if !lines.isEmpty { files.append(("m-\(Int(fileStart)).txt", lines.joined(separator: "\n") + "\n")) }
  return files
}
