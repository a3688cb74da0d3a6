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
    let h = try Harness()
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
