extension Schema {
  /// Migration 17: silences live in the daemon's database, which every
  /// notifier reads, so that one `outlierd silence add` holds back every
  /// target (they were in each notifier's own ledger).
  ///
  /// Frozen: it must do to a version-16 database exactly what it did when
  /// released, so it names no application type and no live encoder.
  static let migration17 = Migration(
    sql: """
      CREATE TABLE silences (
        id INTEGER PRIMARY KEY,
        pattern TEXT NOT NULL,            -- a shell glob on series names
        starts REAL NOT NULL,             -- Unix seconds
        ends REAL NOT NULL,
        comment TEXT NOT NULL,
        created_by TEXT NOT NULL
      );
      """)
}
