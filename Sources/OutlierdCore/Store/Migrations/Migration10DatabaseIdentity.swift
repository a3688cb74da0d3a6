extension Schema {
  /// Migration 10: the database's identity, a random id made once, so that
  /// the notifier's ledger can tell this database from one that replaced it
  /// (moved aside and started anew, or restored from a backup), whose
  /// incident ids start over.
  ///
  /// Frozen: it must do to a version-9 database exactly what it did when
  /// released, so it names no application type and no live encoder.
  static let migration10 = Migration(
    sql: """
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO meta VALUES ('database_id', lower(hex(randomblob(16))));
      """)
}
