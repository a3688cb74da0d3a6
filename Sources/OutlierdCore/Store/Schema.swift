/// The database schema as versioned migrations. `PRAGMA user_version` holds
/// the number of migrations applied; each runs in its own transaction.
enum Schema {
  struct Migration: Sendable {
    var sql: String
    /// Data conversion SQL alone cannot do, run after `sql` in the same transaction.
    var convert: (@Sendable (SQLiteDatabase) throws -> Void)? = nil
  }

  static let migrations: [Migration] =
    sqlMigrations.map { Migration(sql: $0) } + [
      // 4: slots packed by blocks of 12 (one row per series and hour of the
      // week instead of one per slot), history keyed by hour. Both keyed time
      // first: a file brings the same hour for every series, and with the
      // hour leading the key those rows sit side by side in the b-tree, so a
      // file rewrites a few hundred pages instead of one page per series.
      Migration(
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
          let read = try db.prepare(
            "SELECT series_id, slot, weight, origin_x, origin_y, mean_dx, mean_dy, cxx, cxy, cyy FROM slots ORDER BY series_id, slot"
          )
          var blocks: [Ingestor.BlockKey: SlotBlock] = [:]
          while try read.step() {
            let slot = Int(read.int64(1))
            let key = Ingestor.BlockKey(series: read.int64(0), block: Int32(slot / SlotBlock.size))
            blocks[key, default: SlotBlock()].slots[slot % SlotBlock.size] = SlotRegression(
              weight: read.double(2), originX: read.double(3), originY: read.double(4),
              offsetMeanX: read.double(5),
              offsetMeanY: read.double(6), cxx: read.double(7), cxy: read.double(8), cyy: read.double(9))
          }
          let write = try db.prepare("INSERT INTO slot_blocks VALUES (?, ?, ?)")
          for (key, block) in blocks {
            try write.bind(.integer(Int64(key.block)), .integer(key.series), .blob(block.encoded())).run()
          }
          try db.execute("DROP TABLE slots")
        }),
      // 5: integer keys and no stored pools. A rowid table keyed by one
      // integer (time first, as before) writes the same rows 1.3–1.65×
      // faster than a two-column WITHOUT ROWID key (docs/performance.md);
      // the old columns remain as virtual ones for queries. The pooled noise
      // is a sum over the slots, so it is now computed from them when a file
      // first needs it instead of being stored: one row fewer per series and
      // file, and pool_slots can change without rebuilding anything.
      Migration(
        sql: """
          CREATE TABLE slot_blocks_v5 (
            key INTEGER PRIMARY KEY,      -- block << 32 | series_id, block = slot / 12
            data BLOB NOT NULL,           -- 12 slots × 8 float64 (weight, origin_x, origin_y, mean_dx, mean_dy, cxx, cxy, cyy)
            block INTEGER GENERATED ALWAYS AS (key >> 32) VIRTUAL,
            series_id INTEGER GENERATED ALWAYS AS (key & 4294967295) VIRTUAL
          );
          INSERT INTO slot_blocks_v5 (key, data) SELECT (block << 32) | series_id, data FROM slot_blocks;
          DROP TABLE slot_blocks;
          ALTER TABLE slot_blocks_v5 RENAME TO slot_blocks;
          CREATE TABLE samples_v5 (
            key INTEGER PRIMARY KEY,      -- hour << 32 | series_id, hour = floor(ts / 3600)
            data BLOB NOT NULL,           -- little-endian float64 pairs (ts, value), oldest first
            hour INTEGER GENERATED ALWAYS AS (key >> 32) VIRTUAL,
            series_id INTEGER GENERATED ALWAYS AS (key & 4294967295) VIRTUAL
          );
          INSERT INTO samples_v5 (key, data) SELECT (hour << 32) | series_id, data FROM samples;
          DROP TABLE samples;
          ALTER TABLE samples_v5 RENAME TO samples;
          DROP TABLE noise;
          DELETE FROM calendar WHERE key = 'pool_slots';
          """),
      // 6: history of ten series to a row (HistoryRow): a file of an hour
      // for 1,000 series writes 100 rows instead of 1,000.
      Migration(
        sql: """
          CREATE TABLE samples_v6 (
            key INTEGER PRIMARY KEY,      -- hour << 32 | series_id / 10, hour = floor(ts / 3600)
            data BLOB NOT NULL,           -- 10 uint32 counts, then each series' float64 (ts, value) pairs, oldest first
            hour INTEGER GENERATED ALWAYS AS (key >> 32) VIRTUAL,
            first_series_id INTEGER GENERATED ALWAYS AS ((key & 4294967295) * 10) VIRTUAL
          );
          """,
        convert: { db in
          let read = try db.prepare("SELECT key, data FROM samples ORDER BY key")
          let write = try db.prepare("INSERT INTO samples_v6 (key, data) VALUES (?, ?)")
          var pending: (key: Int64, pairs: [[Double]])? = nil
          var row: [UInt8] = []
          func flush() throws {
            guard let (key, pairs) = pending else { return }
            var starts = [0]
            for place in pairs { starts.append(starts.last! + place.count / 2) }
            let flat = pairs.flatMap { $0 }
            flat.withUnsafeBufferPointer {
              HistoryRow.merge(nil, newPairs: $0, starts: starts[...], into: &row)
            }
            try row.withUnsafeBytes { try write.bind(key, blob: $0).run() }
          }
          while try read.step() {
            let old = read.int64(0)
            let series = old & 0xFFFF_FFFF
            let key = Store.historyKey(hour: old >> 32, series: series)
            if pending?.key != key {
              try flush()
              pending = (key, Array(repeating: [], count: HistoryRow.places))
            }
            let values = read.withBlob(1) { raw in
              (0..<raw.count / 8).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self) }
            }
            pending!.pairs[Int(series % Int64(HistoryRow.places))] += values.prefix(values.count / 2 * 2)
          }
          try flush()
          try db.execute(
            """
            DROP TABLE samples;
            ALTER TABLE samples_v6 RENAME TO samples;
            """)
        }),
      // 7: slot blocks of ten series to a row (SlotRow), for the same reason.
      Migration(
        sql: """
          CREATE TABLE slot_blocks_v7 (
            key INTEGER PRIMARY KEY,      -- block << 32 | series_id / 10, block = slot / 12
            data BLOB NOT NULL,           -- 10 series (series_id % 10) × 12 slots × 8 float64 (weight, origin_x, origin_y, mean_dx, mean_dy, cxx, cxy, cyy)
            block INTEGER GENERATED ALWAYS AS (key >> 32) VIRTUAL,
            first_series_id INTEGER GENERATED ALWAYS AS ((key & 4294967295) * 10) VIRTUAL
          );
          """,
        convert: { db in
          let read = try db.prepare("SELECT key, data FROM slot_blocks ORDER BY key")
          let write = try db.prepare("INSERT INTO slot_blocks_v7 (key, data) VALUES (?, ?)")
          var pending: (key: Int64, row: [UInt8])? = nil
          func flush() throws {
            guard let (key, row) = pending else { return }
            try row.withUnsafeBytes { try write.bind(key, blob: $0).run() }
          }
          while try read.step() {
            let old = read.int64(0)
            let series = old & 0xFFFF_FFFF
            let key = Store.rowKey(old >> 32, series: series)
            if pending?.key != key {
              try flush()
              pending = (key, SlotRow.empty)
            }
            let place = Store.place(of: series) * SlotRow.blockSize
            read.withBlob(1) { blob in
              let count = min(blob.count, SlotRow.blockSize)
              pending!.row.replaceSubrange(place..<place + count, with: blob.prefix(count))
            }
          }
          try flush()
          try db.execute(
            """
            DROP TABLE slot_blocks;
            ALTER TABLE slot_blocks_v7 RENAME TO slot_blocks;
            """)
        }),
      // 8: calibration beside the parametric figures, and the baseline.
      Migration(
        sql: """
          ALTER TABLE alerts ADD COLUMN tail_factor REAL;    -- the series' κ: critical = κ × the parametric critical value
          ALTER TABLE alerts ADD COLUMN calibrated_z REAL;   -- z / κ, signed: the score against the series' own tail
          ALTER TABLE alerts ADD COLUMN baseline TEXT;       -- what judged it: 'weekly' (its slot) or 'recent' (the recent level, while the slot warms up)
          """),
    ]

  static let sqlMigrations: [String] = [
    // 1: the first schema.
    """
    CREATE TABLE calendar (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE series (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      newest_ts REAL NOT NULL,      -- newest accepted sample, Unix seconds
      samples INTEGER NOT NULL,     -- accepted samples
      created_at REAL NOT NULL
    );

    -- One online regression per (series, slot), in centered form; see docs/model.md.
    CREATE TABLE slots (
      series_id INTEGER NOT NULL REFERENCES series(id),
      slot INTEGER NOT NULL,
      weight REAL NOT NULL,
      origin_x REAL NOT NULL,
      origin_y REAL NOT NULL,
      mean_dx REAL NOT NULL,
      mean_dy REAL NOT NULL,
      cxx REAL NOT NULL,
      cxy REAL NOT NULL,
      cyy REAL NOT NULL,
      PRIMARY KEY (series_id, slot)
    ) WITHOUT ROWID;

    -- The ledger: one row per applied spool file.
    CREATE TABLE files (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      size INTEGER NOT NULL,
      sha256 TEXT NOT NULL UNIQUE,
      lines_accepted INTEGER NOT NULL,
      lines_rejected INTEGER NOT NULL,
      alerts INTEGER NOT NULL,
      ingested_at REAL NOT NULL
    );

    CREATE TABLE alerts (
      id INTEGER PRIMARY KEY,
      series TEXT NOT NULL,
      ts REAL NOT NULL,             -- sample time, Unix seconds
      value REAL NOT NULL,
      expected REAL NOT NULL,
      lower REAL NOT NULL,          -- band: expected -/+ threshold * standard error
      upper REAL NOT NULL,
      score REAL NOT NULL,          -- signed studentized residual
      p_value REAL NOT NULL,        -- two-sided, Student t with n - 2 dof
      slot INTEGER NOT NULL,
      n REAL NOT NULL,              -- slot weight when scored
      threshold REAL NOT NULL,
      file_id INTEGER NOT NULL REFERENCES files(id)
    );
    CREATE INDEX alerts_by_ts ON alerts(ts);
    CREATE INDEX alerts_by_series ON alerts(series, ts);

    CREATE TABLE rejections (
      file_id INTEGER NOT NULL REFERENCES files(id),
      line INTEGER NOT NULL,
      kind TEXT NOT NULL,
      reason TEXT NOT NULL,
      text TEXT NOT NULL,           -- the line, cut at 1000 bytes
      PRIMARY KEY (file_id, line)
    ) WITHOUT ROWID;

    CREATE VIEW alerts_readable AS
      SELECT a.id, a.series,
             datetime(a.ts, 'unixepoch') AS time_utc,
             a.value, round(a.expected, 6) AS expected,
             round(a.lower, 6) AS lower, round(a.upper, 6) AS upper,
             round(a.score, 3) AS score, a.p_value, a.slot, a.n,
             f.name AS file
      FROM alerts a JOIN files f ON f.id = a.file_id;
    """,
    // 2: recent raw samples, for plots.
    """
    CREATE TABLE samples (
      series_id INTEGER NOT NULL REFERENCES series(id),
      day INTEGER NOT NULL,         -- floor(ts / 86400), UTC days
      data BLOB NOT NULL,           -- little-endian float64 pairs (ts, value), oldest first
      PRIMARY KEY (series_id, day)
    ) WITHOUT ROWID;
    """,
    // 3: pooled noise, series tracks, incidents, events.
    """
    ALTER TABLE series ADD COLUMN track TEXT;   -- JSON: outlier run, level shift, open incident

    -- Sums of RSS and of n - 2 over a block of neighbouring slots.
    CREATE TABLE noise (
      series_id INTEGER NOT NULL REFERENCES series(id),
      block INTEGER NOT NULL,
      rss REAL NOT NULL,
      dof REAL NOT NULL,
      PRIMARY KEY (series_id, block)
    ) WITHOUT ROWID;

    ALTER TABLE alerts ADD COLUMN z REAL;               -- normal-equivalent score, signed
    ALTER TABLE alerts ADD COLUMN critical REAL;        -- |score| above which it alerted
    ALTER TABLE alerts ADD COLUMN dof REAL;             -- degrees of freedom of the noise estimate
    ALTER TABLE alerts ADD COLUMN incident_id INTEGER;

    -- Consecutive alerts of one series in one direction.
    CREATE TABLE incidents (
      id INTEGER PRIMARY KEY,
      series TEXT NOT NULL,
      direction INTEGER NOT NULL,   -- +1 above the band, -1 below
      start_ts REAL NOT NULL,
      end_ts REAL NOT NULL,
      peak_score REAL NOT NULL,     -- largest |z|, signed
      alerts INTEGER NOT NULL,
      closed INTEGER NOT NULL       -- 1 once quiet for longer than incident_gap
    );
    CREATE INDEX incidents_by_start ON incidents(start_ts);

    -- Level shifts and stale series.
    CREATE TABLE events (
      id INTEGER PRIMARY KEY,
      series TEXT NOT NULL,
      ts REAL NOT NULL,
      kind TEXT NOT NULL,
      detail TEXT NOT NULL,
      file_id INTEGER
    );

    DROP VIEW alerts_readable;
    CREATE VIEW alerts_readable AS
      SELECT a.id, a.series,
             datetime(a.ts, 'unixepoch') AS time_utc,
             a.value, round(a.expected, 6) AS expected,
             round(a.lower, 6) AS lower, round(a.upper, 6) AS upper,
             round(a.score, 3) AS score, round(a.z, 2) AS z, a.p_value, a.slot, a.n,
             a.incident_id, f.name AS file
      FROM alerts a JOIN files f ON f.id = a.file_id;

    CREATE VIEW incidents_readable AS
      SELECT id, series, CASE direction WHEN 1 THEN 'high' ELSE 'low' END AS direction,
             datetime(start_ts, 'unixepoch') AS start_utc, datetime(end_ts, 'unixepoch') AS end_utc,
             round((end_ts - start_ts) / 60.0, 1) AS minutes, round(peak_score, 2) AS peak_z, alerts,
             CASE closed WHEN 1 THEN 'closed' ELSE 'open' END AS state
      FROM incidents;
    """,
  ]
}
