import Foundation
import Testing

@testable import OutlierdCore

/// The schema and the stored bytes, against snapshots checked in under
/// Fixtures/schema/: a change to a table, a view, a key or a blob layout
/// shows here and needs a new migration (docs/schema.md). After such a
/// change, write the new snapshots with
///
///     OUTLIERD_UPDATE_SNAPSHOTS=1 swift test --filter SchemaSnapshotTests
///
/// and review their diff.
@Suite("Schema snapshots")
struct SchemaSnapshotTests {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/schema")

  /// `sqlite_master`, one entry per line group, in name order.
  static func master(_ db: SQLiteDatabase) throws -> String {
    let rows = try db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name")
    var text = ""
    while try rows.step() {
      text += "-- \(rows.text(0) ?? "") \(rows.text(1) ?? "") on \(rows.text(2) ?? "")\n"
      text += (rows.text(3) ?? "(automatic)") + "\n"
    }
    return text
  }

  /// Every table's rows, each column through SQLite's `quote()` (blobs as
  /// hex), sorted, table by table in name order.
  static func contents(_ db: SQLiteDatabase) throws -> String {
    var tables: [String] = []
    let names = try db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    while try names.step() { tables.append(names.text(0) ?? "") }
    var text = ""
    for table in tables {
      var columns: [String] = []
      let info = try db.prepare("PRAGMA table_info(\"\(table)\")")
      while try info.step() { columns.append(info.text(1) ?? "") }
      let rendered = columns.map { "quote(\"\($0)\")" }.joined(separator: " || '|' || ")
      let rows = try db.prepare("SELECT \(rendered) FROM \"\(table)\"")
      var lines: [String] = []
      while try rows.step() { lines.append(Self.maskingIdentity(rows.text(0) ?? "", in: table)) }
      text += "-- \(table) (\(columns.joined(separator: ", ")))\n" + lines.sorted().joined(separator: "\n")
      text += lines.isEmpty ? "" : "\n"
    }
    return text
  }

  /// The database's identity is random (migration 10): its row is
  /// checked for shape, 32 lower-case hex digits, and shown as `<id>`.
  static func maskingIdentity(_ line: String, in table: String) -> String {
    guard table == "meta", line.hasPrefix("'database_id'|'") else { return line }
    let value = line.dropFirst("'database_id'|'".count).dropLast()
    #expect(value.count == 32 && value.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(line)")
    return "'database_id'|'<id>'"
  }

  /// A tiny database: the oracle's input, applied at a fixed clock.
  static func tinyDatabase() throws -> (path: String, cleanUp: () -> Void) {
    let path = NSTemporaryDirectory() + "outlierd-snapshot-" + UUID().uuidString.prefix(8) + ".db"
    let input = try Data(
      contentsOf: PipelineOracleTests.directory.appendingPathComponent("input.txt"))
    let settings = PipelineOracleTests.settings(database: path)
    let store = try Store(path: path, calendar: try settings.calendar())
    let ingestor = try Ingestor(settings: settings, store: store)
    _ = try ingestor.withBatch {
      try ingestor.apply(bytes: Array(input), name: "input.txt", sha256: "snapshot", now: 1_800_000_000)
    }
    return (
      path,
      {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
      }
    )
  }

  static func compare(_ actual: String, snapshot name: String) throws {
    let url = directory.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["OUTLIERD_UPDATE_SNAPSHOTS"] == "1" {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      try actual.write(to: url, atomically: true, encoding: .utf8)
      return
    }
    let wanted = try String(contentsOf: url, encoding: .utf8)
    let got = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let want = wanted.split(separator: "\n", omittingEmptySubsequences: false)
    let first = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
    #expect(
      actual == wanted,
      "\(name) differs from line \(first + 1): got \(first < got.count ? String(got[first]) : "(end)"), the snapshot has \(first < want.count ? String(want[first]) : "(end)")"
    )
  }

  @Test func aNewDatabaseHasTheSnapshotSchema() throws {
    let (path, cleanUp) = try Self.tinyDatabase()
    defer { cleanUp() }
    let db = try SQLiteDatabase(path: path, readOnly: true)
    #expect(try db.scalarText("PRAGMA user_version") == String(Schema.migrations.count))
    try Self.compare(try Self.master(db), snapshot: "sqlite_master.txt")
  }

  @Test func aTinyDatabaseHoldsTheSnapshotBytes() throws {
    let (path, cleanUp) = try Self.tinyDatabase()
    defer { cleanUp() }
    try Self.compare(try Self.contents(try SQLiteDatabase(path: path, readOnly: true)), snapshot: "tiny.txt")
  }
}
