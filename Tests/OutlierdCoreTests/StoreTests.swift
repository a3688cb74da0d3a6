import Foundation
import Testing

@testable import OutlierdCore

@Suite("Store")
struct StoreTests {
  /// A database of schema 4 (two-column keys, stored pools) opens as schema
  /// 5 with the same slots and history under integer keys.
  @Test func schemaFourMigratesToIntegerKeys() throws {
    let path = NSTemporaryDirectory() + "outlierd-store-" + UUID().uuidString.prefix(8) + ".db"
    defer {
      for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
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
        INSERT INTO samples VALUES (491000, 7, x'0102');
        """)
      try db.prepare("INSERT INTO slot_blocks VALUES (5, 7, ?)").bind(.blob(slots.encoded())).run()
    }
    let store = try Store(path: path, calendar: try SlotCalendar(period: 604_800, slotWidth: 300))
    #expect(try store.slotBlock(series: 7, block: 5) == slots)
    #expect(try store.slotBlock(series: 7, block: 4) == SlotBlock())
    let db = try SQLiteDatabase(path: path, readOnly: true)
    #expect(try db.scalarText("PRAGMA user_version") == String(Schema.migrations.count))
    #expect(
      try db.scalarText("SELECT key = (5 << 32) + 7 AND block = 5 AND series_id = 7 FROM slot_blocks") == "1")
    #expect(
      try db.scalarText(
        "SELECT key = (491000 << 32) + 7 AND hour = 491000 AND hex(data) = '0102' FROM samples") == "1")
    #expect(try db.scalarText("SELECT count(*) FROM sqlite_master WHERE name = 'noise'") == "0")
  }
}
