import Foundation
import Testing

@testable import OutlierdCore

/// The whole pipeline (parser, ingestor, working set, store) against an
/// independent oracle: Fixtures/oracle/oracle.py computes from the
/// definitions, in 50-digit arithmetic, the `slot_blocks` words and the
/// `alerts` rows a tiny input must leave. Not outlierd against itself.
@Suite("Pipeline against an independent oracle")
struct PipelineOracleTests {
  struct Expected: Decodable {
    struct Row: Decodable {
      var key: Int64
      var place: Int
      var index: Int
      var words: [Double]
    }
    struct AlertRow: Decodable {
      var series: String
      var ts: Double
      var value: Double
      var expected: Double
      var lower: Double
      var upper: Double
      var score: Double
      var p_value: Double
      var z: Double
      var critical: Double
      var dof: Double
      var n: Double
      var slot: Int
      var threshold: Double
    }
    var slots: [Row]
    var alerts: [AlertRow]
  }

  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/oracle")

  /// The oracle's settings: the slot alone judges (no pooling, no
  /// calibration, no cold start); everything else is the default.
  static func settings(database: String) -> Settings {
    var settings = Settings()
    settings.database = database
    settings.poolSlots = 1
    settings.calibrate = false
    settings.coldStart = false
    return settings
  }

  @Test func storedSlotsAndAlertsEqualTheOracle() throws {
    let expected: Expected = try loadFixture("oracle/expected.json")
    let input = try Data(contentsOf: Self.directory.appendingPathComponent("input.txt"))
    let path = NSTemporaryDirectory() + "outlierd-oracle-" + UUID().uuidString.prefix(8) + ".db"
    defer {
      for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
    let settings = Self.settings(database: path)
    let store = try Store(path: path, calendar: try settings.calendar())
    let ingestor = try Ingestor(settings: settings, store: store)
    let report = try ingestor.withBatch {
      try ingestor.apply(bytes: Array(input), name: "input.txt", sha256: "oracle", now: 1_800_000_000)
    }
    #expect(report.rejectedLines == 0 && report.accepted == 25)

    let db = try SQLiteDatabase(path: path, readOnly: true)
    // Every stored row, word by word: the oracle's slots at their places,
    // zeros everywhere else.
    var stored: [Int64: [Double]] = [:]
    let rows = try db.prepare("SELECT key, data FROM slot_blocks ORDER BY key")
    while try rows.step() {
      stored[rows.int64(0)] = rows.withBlob(1) { raw in
        (0..<raw.count / 8).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self) }
      }
    }
    #expect(Set(stored.keys) == Set(expected.slots.map(\.key)))
    var wanted: [Int64: [Double]] = stored.mapValues { _ in Array(repeating: 0, count: 960) }
    for row in expected.slots {
      let first = row.place * 96 + row.index * 8
      wanted[row.key, default: Array(repeating: 0, count: 960)].replaceSubrange(
        first..<first + 8, with: row.words)
    }
    for (key, words) in wanted.sorted(by: { $0.key < $1.key }) {
      let got = stored[key] ?? []
      #expect(got.count == 960, "row \(key) holds \(got.count) words")
      for (i, word) in words.enumerated() where i < got.count {
        let what = "row \(key) place \(i / 96) slot \(i % 96 / 8) word \(i % 8)"
        if word == 0 {
          #expect(got[i] == 0, "\(what): \(got[i])")
        } else {
          expectClose(got[i], word, relative: 1e-12, what)
        }
      }
    }

    let alerts = try db.prepare(
      "SELECT series, ts, value, expected, lower, upper, score, p_value, z, critical, dof, n, slot, threshold FROM alerts ORDER BY ts, slot"
    )
    var count = 0
    while try alerts.step() {
      defer { count += 1 }
      guard count < expected.alerts.count else { continue }
      let want = expected.alerts[count]
      let what = "alert \(count)"
      #expect(alerts.text(0) == want.series && alerts.int64(12) == Int64(want.slot), "\(what)")
      let pairs: [(Int32, Double, String)] = [
        (1, want.ts, "ts"), (2, want.value, "value"), (3, want.expected, "expected"),
        (4, want.lower, "lower"),
        (5, want.upper, "upper"), (6, want.score, "score"), (9, want.critical, "critical"),
        (10, want.dof, "dof"),
        (11, want.n, "n"), (13, want.threshold, "threshold"),
      ]
      for (column, value, name) in pairs {
        expectClose(alerts.double(column), value, relative: 1e-11, "\(what) \(name)")
      }
      // Through the incomplete beta function and the normal quantile.
      expectClose(alerts.double(7), want.p_value, relative: 1e-9, "\(what) p_value")
      expectClose(alerts.double(8), want.z, relative: 1e-9, "\(what) z")
    }
    #expect(
      count == expected.alerts.count, "\(count) alerts stored, the oracle wants \(expected.alerts.count)")
  }
}
