extension Schema {
  /// Migration 6: History of ten series to a row (HistoryRow): a file of an hour
  /// for 1,000 series writes 100 rows instead of 1,000.
  ///
  /// Frozen: it must do to a version-5 database exactly what it did when
  /// released, so it names no application type and no live encoder.
  static let migration6 = Migration(
    sql: """
      CREATE TABLE samples_v6 (
        key INTEGER PRIMARY KEY,      -- hour << 32 | series_id / 10, hour = floor(ts / 3600)
        data BLOB NOT NULL,           -- 10 uint32 counts, then each series' float64 (ts, value) pairs, oldest first
        hour INTEGER GENERATED ALWAYS AS (key >> 32) VIRTUAL,
        first_series_id INTEGER GENERATED ALWAYS AS ((key & 4294967295) * 10) VIRTUAL
      );
      """,
    convert: { db in
      // Frozen: a v6 row holds series ids group * 10 ... group * 10 + 9:
      // 10 little-endian uint32 counts, then each series' (ts, value)
      // float64 pairs in order. v5 rows are keyed hour << 32 | series_id.
      let read = try db.prepare("SELECT key, data FROM samples ORDER BY key")
      let write = try db.prepare("INSERT INTO samples_v6 (key, data) VALUES (?, ?)")
      var pending: (key: Int64, pairs: [[UInt8]])? = nil
      func flush() throws {
        guard let (key, pairs) = pending else { return }
        var row: [UInt8] = []
        for place in pairs { withUnsafeBytes(of: UInt32(place.count / 16).littleEndian) { row += $0 } }
        for place in pairs { row += place }
        try write.run(key, blob: row)
      }
      while try read.step() {
        let old = read.int64(0)
        let series = old & 0xFFFF_FFFF
        let key = (old >> 32) << 32 | series / 10
        if pending?.key != key {
          try flush()
          pending = (key, Array(repeating: [], count: 10))
        }
        read.withBlob(1) { raw in
          pending!.pairs[Int(series % 10)] += raw.prefix(raw.count / 16 * 16)
        }
      }
      try flush()
      try db.execute(
        """
        DROP TABLE samples;
        ALTER TABLE samples_v6 RENAME TO samples;
        """)
    })
}
