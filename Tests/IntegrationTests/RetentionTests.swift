import Foundation
import Testing

@testable import OutlierdCore

/// `[storage] retention`, the real binary: old records go, the model and
/// recent records stay, and nothing is counted twice.
@Suite("Retention")
struct RetentionTests {
  /// Day `d` of a steady series with a spike at 20:00 on `spikeDays`.
  static func day(_ d: Int, spikeDays: Set<Int>) -> String {
    (0..<288).map { s in
      let t = 1_767_571_200 + d * 86_400 + s * 300
      return "r.series \(spikeDays.contains(d) && s == 240 ? 900 : 100 + (s * 7) % 5 - 2) \(t)\n"
    }.joined()
  }

  @Test func recordsOlderThanTheRetentionGoAndTheModelStays() throws {
    let h = try Harness(extraStorage: "retention = \"7d\"")
    for d in 0..<21 { try h.drop(String(format: "day%02d.txt", d), Self.day(d, spikeDays: [3, 18])) }
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let newest = Double(1_767_571_200 + 20 * 86_400 + 287 * 300)
    let alerts = try h.query("SELECT ts FROM alerts").compactMap { Double($0[0]) }
    #expect(!alerts.isEmpty && alerts.allSatisfy { $0 >= newest - 7 * 86_400 }, "\(alerts)")
    #expect(alerts.contains(Double(1_767_571_200 + 18 * 86_400 + 240 * 300)))
    #expect(try h.query("SELECT count(*) FROM incidents WHERE end_ts < \(newest - 7 * 86_400)") == [["0"]])
    // The model is whole: 21 days of samples, and its slots still judge.
    #expect(try h.query("SELECT samples FROM series") == [["6048"]])
    #expect(try h.query("SELECT count(*) FROM files") == [["21"]])
  }

  @Test func theFileLedgerAndRejectedLinesGoByTheClock() throws {
    let h = try Harness(extraStorage: "retention = 1")
    try h.drop(
      "a.txt",
      Self.day(0, spikeDays: []).split(separator: "\n")[..<12].joined(separator: "\n") + "\nbad line\n")
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.query("SELECT count(*) FROM rejections") == [["1"]])
    usleep(1_500_000)
    // The next hour of data: pruning runs, and a.txt's rows are older than 1 s.
    try h.drop(
      "b.txt", Self.day(0, spikeDays: []).split(separator: "\n")[12..<24].joined(separator: "\n") + "\n")
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.query("SELECT name FROM files") == [["b.txt"]])
    #expect(try h.query("SELECT count(*) FROM rejections") == [["0"]])
    // a.txt sent again: applied anew, but none of its samples counts twice.
    try h.drop(
      "a.txt",
      Self.day(0, spikeDays: []).split(separator: "\n")[..<12].joined(separator: "\n") + "\nbad line\n")
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.query("SELECT samples FROM series") == [["24"]])
    #expect(try h.query("SELECT lines_accepted FROM files WHERE name = 'a.txt'") == [["0"]])
  }
}
