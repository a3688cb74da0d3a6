import Foundation
import Testing

@testable import OutlierdCore

#if canImport(Glibc)
  import Glibc
#endif

/// The daemon's textfile-collector file, the real binary.
@Suite("Textfile metrics")
struct MetricsTests {
  /// `name value` lines of a .prom file, by name.
  static func values(_ path: String) -> [String: Double] {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    var values: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
      let parts = line.split(separator: " ")
      if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
    }
    return values
  }

  @Test func theDaemonCountsWhatItDidIntoAtomicallyReplacedPromFiles() throws {
    // A rescan interval longer than the metrics' 10 s: the file must be
    // refreshed while the spool is quiet too.
    let h = try Harness(rescanInterval: "60s")
    let directory = h.root + "/textfile"
    try FileSystem.makeDirectory(directory)
    try h.writeConfig(
      detection: "threshold = 4.0\nmin_samples = 4", input: "[metrics]\ntextfile_directory = \"\(directory)\""
    )
    let prom = directory + "/outlierd.prom"
    let daemon = try h.start(["run", "--config", h.config])
    defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGTERM) } }
    #expect(h.waitFor(seconds: 10) { Self.values(prom)["outlierd_up"] == 1 })
    let day = (0..<288).map { s in
      "m.series \(s == 240 ? 900 : 100 + (s * 7) % 5 - 2) \(1_767_571_200 + s * 300)\n"
    }
    try h.drop("a.txt", day[..<200].joined() + "not a sample\n")
    try h.drop("b.txt", day[200...].joined())
    // Written at most every 10 s; the stop writes the last figures at once.
    #expect(h.waitFor(seconds: 10) { h.spoolFiles().isEmpty })
    // node_exporter runs as another user: the file is 0644 whatever the
    // daemon's umask (it was 0640), and it is rewritten every 10 s while
    // nothing arrives (it waited for the rescan, 60 s here).
    func modified() -> (mode: mode_t, time: Int) {
      var info = stat()
      stat(prom, &info)
      return (info.st_mode & 0o777, info.st_mtim.tv_sec)
    }
    #expect(modified().mode == 0o644)
    let before = modified().time
    #expect(h.waitFor(seconds: 15) { modified().time > before }, "not refreshed within 15 s")
    kill(daemon.processIdentifier, SIGTERM)
    daemon.waitUntilExit()
    let values = Self.values(prom)
    #expect(values["outlierd_up"] == 0, "\(values)")
    #expect(
      values["outlierd_files_applied_total"] == 2 && values["outlierd_samples_total"] == 288, "\(values)")
    #expect(values["outlierd_rejected_lines_total"] == 1 && values["outlierd_alerts_total"] == 1, "\(values)")
    #expect(
      values["outlierd_incidents_opened_total"] == 1 && values["outlierd_spool_backlog_files"] == 0,
      "\(values)")
    #expect((values["outlierd_last_success_timestamp_seconds"] ?? 0) > Date().timeIntervalSince1970 - 60)
    let text = try String(contentsOfFile: prom, encoding: .utf8)
    #expect(text.contains("# TYPE outlierd_samples_total counter\n"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["outlierd.prom"])
  }
}
