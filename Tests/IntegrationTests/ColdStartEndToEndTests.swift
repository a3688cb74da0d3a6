import Foundation
import Testing

@testable import OutlierdCore

@Suite("Cold start end to end")
struct ColdStartEndToEndTests {
  let t0 = 1_767_571_200.0  // Monday 2026-01-05 00:00Z

  /// The real binary: a new series is watched from its first hours, the
  /// alert stored with baseline 'recent'; `cold_start = false` restores the
  /// silence of the first weeks.
  @Test func aNewSeriesIsWatchedFromItsFirstHours() throws {
    for coldStart in [true, false] {
      let h = try Harness(detection: "cold_start = \(coldStart)")
      var lines: [String] = []
      for step in 0..<288 {
        let value = step == 240 ? 900 : 100 + Double((step * 7) % 5) - 2
        lines.append("n.x \(value) \(Int(t0) + step * 300)")
      }
      let path = h.root + "/day.txt"
      try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
      #expect(try h.run(["ingest", "--config", h.config, path]).status == 0)
      let rows = try h.query("SELECT CAST(ts AS INTEGER), baseline, value FROM alerts")
      if coldStart {
        #expect(rows == [["\(Int(t0) + 240 * 300)", "recent", "900.0"]])
      } else {
        #expect(rows.isEmpty)
      }
    }
  }
}
