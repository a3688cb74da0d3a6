extension Schema {
  /// Migration 2: recent raw samples, for plots.
  ///
  /// Frozen: it must do to a version-1 database exactly what it did when
  /// released, so it names no application type and no live encoder.
  static let migration2 = Migration(
    sql: """
      CREATE TABLE samples (
        series_id INTEGER NOT NULL REFERENCES series(id),
        day INTEGER NOT NULL,         -- floor(ts / 86400), UTC days
        data BLOB NOT NULL,           -- little-endian float64 pairs (ts, value), oldest first
        PRIMARY KEY (series_id, day)
      ) WITHOUT ROWID;
      """)
}
