import Foundation
import Testing

@testable import OutlierdCore

@Suite("Operator commands", .serialized)
struct OperatorCommandTests {
  /// A database with 3 series over 6 weeks, anomalies in the last three.
  static func populated() throws -> Harness {
    let h = try Harness(detection: "threshold = 4.0\nmin_samples = 3")
    let paths = try demoFiles(DemoData(seriesCount: 3, weeks: 6, anomaliesFromWeek: 3), hours: 24).map {
      file in
      let path = h.root + "/" + file.name
      try file.content.write(toFile: path, atomically: true, encoding: .utf8)
      return path
    }
    let result = try h.run(["ingest", "--config", h.config] + paths)
    #expect(result.status == 0)
    #expect(
      result.errors.contains(
        "ingest: \(paths.count) files (\(paths.count) applied, 0 already applied, 0 refused)"))
    // The first weeks' samples meet slots that cannot judge yet, and say so.
    #expect(result.errors.contains("not judged yet (slots warming up)"))
    return h
  }

  /// The little-endian float64 words of a BLOB given as SQLite's hex().
  static func float64s(hex: String) -> [Double] {
    let digits = Array(hex.utf8)
    let bytes = stride(from: 0, to: digits.count - 1, by: 2).map { i in
      UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16)!
    }
    return stride(from: 0, to: bytes.count - 7, by: 8).map { at in
      Double(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * $1) })
    }
  }

  func json(_ text: String) throws -> [[String: Any]] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
  }

  @Test func alertsFilterBySeriesSinceAndLimit() throws {
    let h = try Self.populated()
    let all = try json(
      try h.run(["alerts", "--config", h.config, "--format", "json", "--limit", "100000"]).output)
    #expect(all.count == (try h.count("alerts")))
    #expect(all.count > 0)
    let one = try json(
      try h.run([
        "alerts", "--config", h.config, "--format", "json", "--series", "demo.host1.*", "--limit", "100000",
      ]).output)
    #expect(one.allSatisfy { ($0["series"] as? String)?.hasPrefix("demo.host1.") == true })
    #expect(
      one.count == Int(try h.query("SELECT count(*) FROM alerts WHERE series LIKE 'demo.host1.%'")[0][0]))
    let since = "2026-02-10T00:00"
    let recent = try json(
      try h.run(["alerts", "--config", h.config, "--format", "json", "--since", since, "--limit", "100000"])
        .output)
    let cutoff = TimeExpression.parse(since, zone: .gmt)!
    #expect(recent.count == Int(try h.query("SELECT count(*) FROM alerts WHERE ts >= \(cutoff)")[0][0]))
    let limited = try h.run(["alerts", "--config", h.config, "--format", "csv", "--limit", "3"])
    #expect(limited.output.split(separator: "\n").count == 4)
    #expect(
      limited.output.hasPrefix(
        "time,series,value,expected,lower,upper,score,z,p_value,n,slot,incident_id,ts,alert_id\n"))
    let table = try h.run(["alerts", "--config", h.config, "--limit", "2"])
    #expect(table.output.split(separator: "\n").count == 4)
    let bad = try h.run(["alerts", "--config", h.config, "--since", "last tuesday"])
    #expect(bad.status != 0 && bad.errors.contains("cannot read \"last tuesday\""))
  }

  @Test func modelMatchesTheSlotStatistics() throws {
    let h = try Self.populated()
    let at = "2026-02-13T09:02"
    let rows = try json(
      try h.run(["model", "demo.host1.metric1", "--config", h.config, "--at", at, "--format", "json"]).output)
    let row = try #require(rows.first)
    #expect(row["slot"] as? Int == 4 * 288 + 9 * 12)
    #expect(row["slot_start"] as? String == "Fri 09:00")
    // The slot's words, read from the row as docs/schema.md lays it out
    // (not through StoreReader, which `model` itself uses): row key
    // block << 32 | id / 10, series at place id % 10, 12 slots of 8 float64.
    let slot = 4 * 288 + 9 * 12
    let id = try #require(Int(try h.query("SELECT id FROM series WHERE name = 'demo.host1.metric1'")[0][0]))
    let key = (slot / 12) << 32 | id / 10
    let offset = (id % 10) * 768 + (slot % 12) * 64
    let hex = try h.query("SELECT hex(substr(data, \(offset + 1), 64)) FROM slot_blocks WHERE key = \(key)")[
      0][0]
    let words = Self.float64s(hex: hex)
    #expect(words[0] == 6)  // six weeks of Fridays at 09:00
    #expect(row["samples"] as? Double == words[0])
    #expect(row["judges"] as? String == "yes")
    // Fewer than trend_after (8) samples: the line is flat at the mean,
    // origin_y + mean_dy.
    let expected = try #require(row["expected"] as? Double)
    #expect(abs(expected - (words[2] + words[4])) <= 1e-9 * abs(expected))
    let lower = try #require(row["lower"] as? Double), upper = try #require(row["upper"] as? Double)
    #expect(lower < expected && expected < upper)
    let missing = try h.run(["model", "no.such.series", "--config", h.config])
    #expect(missing.status != 0 && missing.errors.contains("no series named"))
  }

  @Test func statusCountsSeriesSlotsFilesAndSize() throws {
    let h = try Self.populated()
    let row = try #require(
      try json(try h.run(["status", "--config", h.config, "--format", "json"]).output).first)
    #expect(row["series"] as? Int == 3)
    #expect(row["files_ingested"] as? Int == (try h.count("files")))
    #expect((row["slots_warm"] as? Int ?? 0) + (row["slots_cold"] as? Int ?? 0) == 3 * 2016)
    // Counted again from the rows' bytes as docs/schema.md lays them out
    // (not through StoreReader, which `status` uses): a slot is warm once
    // its weight, its first word, reaches min_samples (3). Six weeks make
    // most slots warm, but a slot that started over (one whose learned
    // values its neighbours contradicted) may be warming again.
    let ids = Set(try h.query("SELECT id FROM series").compactMap { Int($0[0]) })
    var warm = 0
    var cold = 0
    for block in try h.query("SELECT first_series_id, hex(data) FROM slot_blocks") {
      let first = try #require(Int(block[0]))
      let words = Self.float64s(hex: block[1])
      try #require(words.count == 10 * 12 * 8)
      for place in 0..<10 where ids.contains(first + place) {
        for slot in 0..<12 {
          let weight = words[place * 96 + slot * 8]
          if weight >= 3 * (1 - 1e-12) { warm += 1 } else if weight > 0 { cold += 1 }
        }
      }
    }
    #expect(warm + cold == 3 * 2016)
    #expect(warm >= 3 * 2016 - 3)
    #expect(row["slots_warm"] as? Int == warm)
    #expect(row["slots_cold"] as? Int == cold)
    #expect((row["database_bytes"] as? Int ?? 0) > 0)
  }

  @Test func plotWritesAnSVGWithSamplesBandAndAlerts() throws {
    let h = try Self.populated()
    let svg = h.root + "/plot.svg"
    let result = try h.run(["plot", "demo.host1.metric1", "--config", h.config, "-o", svg])
    #expect(result.status == 0, "\(result.errors)")
    let text = try String(contentsOfFile: svg, encoding: .utf8)
    let alerts = Int(
      try h.query(
        "SELECT count(*) FROM alerts WHERE series = 'demo.host1.metric1' AND ts >= (SELECT newest_ts - 7 * 86400 FROM series WHERE name = 'demo.host1.metric1')"
      )[0][0])!
    #expect(text.hasPrefix("<svg"))
    #expect(text.components(separatedBy: "<circle").count - 2 == alerts)  // one circle is the legend's
    #expect(text.contains("<polygon"))
    #expect(result.output.contains("2017 samples"))  // 7 days of 5-minute samples, both ends included
  }
}
