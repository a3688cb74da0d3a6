extension Schema {
  /// Migration 4: Slots packed by blocks of 12 (one row per series and hour of the
  /// week instead of one per slot), history keyed by hour. Both keyed time
  /// first: a file brings the same hour for every series, and with the
  /// hour leading the key those rows sit side by side in the b-tree, so a
  /// file rewrites a few hundred pages instead of one page per series.
  ///
  /// Frozen: it must do to a version-3 database exactly what it did when
  /// released, so it names no application type and no live encoder.
  static let migration4 = Migration(
    sql: """
      CREATE TABLE slot_blocks (
        block INTEGER NOT NULL,       -- slot / 12
        series_id INTEGER NOT NULL REFERENCES series(id),
        data BLOB NOT NULL,           -- 12 slots × 8 float64 (weight, origin_x, origin_y, mean_dx, mean_dy, cxx, cxy, cyy)
        PRIMARY KEY (block, series_id)
      ) WITHOUT ROWID;
      DROP TABLE samples;
      CREATE TABLE samples (
        hour INTEGER NOT NULL,        -- floor(ts / 3600)
        series_id INTEGER NOT NULL REFERENCES series(id),
        data BLOB NOT NULL,           -- little-endian float64 pairs (ts, value), oldest first
        PRIMARY KEY (hour, series_id)
      ) WITHOUT ROWID;
      DROP TABLE noise;
      CREATE TABLE noise (
        block INTEGER NOT NULL,       -- slot / pool_slots
        series_id INTEGER NOT NULL REFERENCES series(id),
        rss REAL NOT NULL,
        dof REAL NOT NULL,
        PRIMARY KEY (block, series_id)
      ) WITHOUT ROWID;
      """,
    convert: { db in
      // Frozen: the v4 blob of a block is 12 slots × 8 little-endian
      // float64 in column order, zeros for a slot with no row.
      let read = try db.prepare(
        "SELECT series_id, slot, weight, origin_x, origin_y, mean_dx, mean_dy, cxx, cxy, cyy FROM slots ORDER BY series_id, slot"
      )
      struct Key: Hashable {
        var series: Int64
        var block: Int64
      }
      var blocks: [Key: [Double]] = [:]
      while try read.step() {
        let slot = read.int64(1)
        let key = Key(series: read.int64(0), block: slot / 12)
        let first = Int(slot % 12) * 8
        for k in 0..<8 {
          blocks[key, default: Array(repeating: 0, count: 96)][first + k] = read.double(Int32(2 + k))
        }
      }
      let write = try db.prepare("INSERT INTO slot_blocks VALUES (?, ?, ?)")
      for (key, values) in blocks {
        let bytes = values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        try write.bind(.integer(key.block), .integer(key.series), .blob(bytes)).run()
      }
      try db.execute("DROP TABLE slots")
    })
}
