import Foundation
import Testing

@testable import OutlierdCore

/// The ledger records what was applied: a file whose lines were ahead of
/// the clock can be dropped again, identical, once they no longer are,
/// and nothing of it is applied twice.
@Suite("Ledger", .serialized)
struct LedgerTests {
  @Test func aFileWithLinesAheadOfTheClockIsAppliedAgainAndNothingTwice() throws {
    let h = try Harness(detection: "")
    let now = Int(Date().timeIntervalSince1970)
    // Two samples of the past, one two weeks ahead (input.max_future is a
    // week in the harness's config).
    let content = "later.a 1 \(now - 3600)\nlater.a 2 \(now - 1800)\nlater.a 3 \(now + 14 * 86_400)\n"
    func dropAndRun() throws -> String {
      try h.drop("later.txt", content)
      let result = try h.run(["run", "--config", h.config, "--exit-when-idle"])
      #expect(result.status == 0, "\(result.errors)")
      #expect(h.spoolFiles().isEmpty)
      return result.errors
    }
    func samples() throws -> String { try h.query("SELECT samples FROM series WHERE name = 'later.a'")[0][0] }

    let first = try dropAndRun()
    #expect(first.contains("1 lines are more than input.max_future ahead of the clock"), "\(first)")
    #expect(try samples() == "2")
    #expect(try h.query("SELECT lines_accepted, lines_later FROM files") == [["2", "1"]])

    // Dropped again while the line is still ahead: applied again, the two
    // applied lines rejected as not newer, the third still ahead.
    let second = try dropAndRun()
    #expect(second.contains("applied again"), "\(second)")
    #expect(try samples() == "2")

    // Time passes (here: the limit grows past the line).
    let config = try String(contentsOfFile: h.config, encoding: .utf8)
    try config.replacingOccurrences(of: "max_future = \"1w\"", with: "max_future = \"4w\"")
      .write(toFile: h.config, atomically: true, encoding: .utf8)
    let third = try dropAndRun()
    #expect(third.contains("applied again") && third.contains("1 samples applied"), "\(third)")
    #expect(try samples() == "3")

    // Now nothing of it is ahead: the same file again is only cleaned up.
    let fourth = try dropAndRun()
    #expect(fourth.contains("already in the ledger"), "\(fourth)")
    #expect(try samples() == "3")
    #expect(
      try h.query("SELECT lines_accepted, lines_later, sha256 LIKE '%.superseded.%' FROM files ORDER BY id")
        == [["2", "1", "1"], ["0", "1", "1"], ["1", "0", "0"]])
    #expect(try h.query("SELECT count(*) FROM rejections WHERE kind = 'not_newer'") == [["4"]])
  }
}
