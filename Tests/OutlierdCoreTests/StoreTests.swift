import Foundation
import Testing

@testable import OutlierdCore

@Suite("Store")
struct StoreTests {
  /// The writer's hold on a new database never leaves an empty file behind:
  /// killed right after taking it, before the store wrote a table, the next
  /// start must find a database, not the empty file it refuses (a crash
  /// test found this window: the file was created empty, then locked).
  @Test func aNewDatabaseIsNeverAnEmptyFile() throws {
    let directory = NSTemporaryDirectory() + "outlierd-new-" + UUID().uuidString.prefix(8)
    try FileSystem.makeDirectory(directory)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/outlierd.db"
    do {
      _ = try DatabaseFile(path: path)
      let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
      #expect(size > 0)
    }
    let again = try DatabaseFile(path: path)
    let db = try SQLiteDatabase(path: path)
    #expect(try db.scalarText("PRAGMA page_size") == "16384")
    #expect(try db.scalarText("PRAGMA journal_mode") == "wal")
    #expect(!FileManager.default.fileExists(atPath: path + ".creating"))
    withExtendedLifetime(again) {}
  }

  /// A database of schema 4 (two-column keys, stored pools) opens as the
  /// current schema with the same slots under integer keys and the same
  /// history in rows of ten series.
  @Test func schemaFourMigratesToTheCurrentSchema() throws {
    let path = NSTemporaryDirectory() + "outlierd-store-" + UUID().uuidString.prefix(8) + ".db"
    defer {
      for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
    // Series 3 and 7 share a row of history, 13 is in the next one.
    let samples: [(hour: Int64, series: Int64, pairs: [(Double, Double)])] = [
      (491_000, 7, [(1_767_600_000, 1.5), (1_767_600_300, -2)]), (491_000, 3, [(1_767_600_060, 4)]),
      (491_000, 13, [(1_767_600_000, 8)]), (491_001, 7, [(1_767_603_600, 9)]),
    ]
    var slots = SlotBlock()
    slots.slots[3].add(x: 1_767_571_200, y: 12.5)
    slots.slots[3].add(x: 1_768_176_000, y: 13.5)
    do {
      let db = try SQLiteDatabase(path: path)
      for migration in Schema.migrations.prefix(4) {
        try db.execute(migration.sql)
        try migration.convert?(db)
      }
      try db.execute(
        """
        PRAGMA user_version = 4;
        INSERT INTO series (id, name, newest_ts, samples, created_at) VALUES (7, 'a.b', 1768176000, 2, 0);
        INSERT INTO noise VALUES (5, 7, 1.5, 2);
        """)
      try db.prepare("INSERT INTO slot_blocks VALUES (5, 7, ?)").bind(.blob(slots.encoded())).run()
      let history = try db.prepare("INSERT INTO samples VALUES (?, ?, ?)")
      for (hour, series, pairs) in samples {
        let blob = pairs.flatMap { [$0, $1] }.withUnsafeBytes { [UInt8]($0) }
        try history.bind(.integer(hour), .integer(series), .blob(blob)).run()
      }
    }
    let store = try Store(path: path, calendar: try SlotCalendar(period: 604_800, slotWidth: 300))
    #expect(try store.slotBlock(series: 7, block: 5) == slots)
    #expect(try store.slotBlock(series: 7, block: 4) == SlotBlock())
    let db = try SQLiteDatabase(path: path, readOnly: true)
    #expect(try db.scalarText("PRAGMA user_version") == String(Schema.migrations.count))
    #expect(
      try db.scalarText("SELECT key = 5 << 32 AND block = 5 AND first_series_id = 0 FROM slot_blocks") == "1")
    #expect(
      try db.scalarText(
        "SELECT group_concat((key - (hour << 32)) || '@' || hour, ' ') FROM (SELECT * FROM samples ORDER BY key)"
      )
        == "0@491000 1@491000 0@491001")
    for series: Int64 in [3, 7, 13] {
      let stored = try Store.history(db, series: series, from: 0, to: 2e9)
      let wanted = samples.filter { $0.series == series }.flatMap(\.pairs)
      #expect(
        stored.map(\.time) == wanted.map(\.0) && stored.map(\.value) == wanted.map(\.1), "series \(series)")
    }
    #expect(try db.scalarText("SELECT count(*) FROM sqlite_master WHERE name = 'noise'") == "0")
  }

  /// A database of schema 3 (one row per slot) opens as the current schema
  /// with the same slots, through the frozen migration 4 and the rest.
  @Test func schemaThreeMigratesToTheCurrentSchema() throws {
    let path = NSTemporaryDirectory() + "outlierd-store-" + UUID().uuidString.prefix(8) + ".db"
    defer {
      for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
    var block = SlotBlock()
    block.slots[3].add(x: 1_767_571_200, y: 12.5)
    block.slots[3].add(x: 1_768_176_000, y: 13.5)
    block.slots[11].add(x: 1_767_575_100, y: -4)
    do {
      let db = try SQLiteDatabase(path: path)
      for migration in Schema.migrations.prefix(3) { try db.execute(migration.sql) }
      try db.execute(
        """
        PRAGMA user_version = 3;
        INSERT INTO series (id, name, newest_ts, samples, created_at) VALUES (17, 'a.b', 1768176000, 3, 0);
        """)
      let insert = try db.prepare("INSERT INTO slots VALUES (17, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      for (index, slot) in block.learned {
        try insert.bind(
          .integer(Int64(5 * SlotBlock.size + index)), .real(slot.weight), .real(slot.originX),
          .real(slot.originY), .real(slot.offsetMeanX), .real(slot.offsetMeanY), .real(slot.cxx),
          .real(slot.cxy), .real(slot.cyy)
        ).run()
      }
    }
    let store = try Store(path: path, calendar: try SlotCalendar(period: 604_800, slotWidth: 300))
    #expect(try store.slotBlock(series: 17, block: 5) == block)
    #expect(try store.slotBlock(series: 17, block: 6) == SlotBlock())
    #expect(try store.slotBlock(series: 7, block: 5) == SlotBlock())
  }
}

extension Store {
  /// A block of a series' slots as the store holds it.
  func slotBlock(series: Int64, block: Int32) throws -> SlotBlock {
    var slots: [SlotRegression] = []
    try loadSlots(series: series, block: block, appendingTo: &slots)
    var found = SlotBlock()
    for i in 0..<SlotBlock.size { found.slots[i] = slots[i] }
    return found
  }
}
