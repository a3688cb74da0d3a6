extension Schema {
  /// Migration 7: Slot blocks of ten series to a row (SlotRow), for the same reason.
  ///
  /// Frozen: it must do to a version-6 database exactly what it did when
  /// released, so it names no application type and no live encoder.
  static let migration7 = Migration(
    sql: """
      CREATE TABLE slot_blocks_v7 (
        key INTEGER PRIMARY KEY,      -- block << 32 | series_id / 10, block = slot / 12
        data BLOB NOT NULL,           -- 10 series (series_id % 10) × 12 slots × 8 float64 (weight, origin_x, origin_y, mean_dx, mean_dy, cxx, cxy, cyy)
        block INTEGER GENERATED ALWAYS AS (key >> 32) VIRTUAL,
        first_series_id INTEGER GENERATED ALWAYS AS ((key & 4294967295) * 10) VIRTUAL
      );
      """,
    convert: { db in
      // Frozen: a v7 row is 10 places of 768 bytes (12 slots × 64), place
      // series_id % 10, zeros where a series has no block; v5 rows are keyed
      // block << 32 | series_id.
      let read = try db.prepare("SELECT key, data FROM slot_blocks ORDER BY key")
      let write = try db.prepare("INSERT INTO slot_blocks_v7 (key, data) VALUES (?, ?)")
      let blockSize = 768
      var pending: (key: Int64, row: [UInt8])? = nil
      func flush() throws {
        guard let (key, row) = pending else { return }
        try write.run(key, blob: row)
      }
      while try read.step() {
        let old = read.int64(0)
        let series = old & 0xFFFF_FFFF
        let key = (old >> 32) << 32 | series / 10
        if pending?.key != key {
          try flush()
          pending = (key, Array(repeating: 0, count: 10 * blockSize))
        }
        let place = Int(series % 10) * blockSize
        read.withBlob(1) { blob in
          let count = min(blob.count, blockSize)
          pending!.row.replaceSubrange(place..<place + count, with: blob.prefix(count))
        }
      }
      try flush()
      try db.execute(
        """
        DROP TABLE slot_blocks;
        ALTER TABLE slot_blocks_v7 RENAME TO slot_blocks;
        """)
    })
}
