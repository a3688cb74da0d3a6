extension Schema {
  /// Migration 1, the first schema: series, slots, the file ledger, alerts, rejections.
  ///
  /// Frozen: it must do to a version-0 database exactly what it did when
  /// released, so it names no application type and no live encoder.
  static let migration1 = Migration(
    sql: """
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
      """)
}
