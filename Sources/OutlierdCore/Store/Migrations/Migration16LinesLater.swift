extension Schema {
  /// Migration 16: the ledger records what was applied, not only what was
  /// seen. A file's lines stamped too far ahead of the clock (time fixes
  /// that) are counted; while a file has such lines its identical copy,
  /// dropped again later, is applied again (its other lines are then not
  /// newer than their series and are rejected, so none counts twice).
  ///
  /// Frozen: it must do to a version-15 database exactly what it did when
  /// released, so it names no application type and no live encoder.
  static let migration16 = Migration(
    sql: """
      ALTER TABLE files ADD COLUMN lines_later INTEGER NOT NULL DEFAULT 0;  -- lines rejected as ahead of the clock: the file may be applied again
      """)
}
