extension Schema {
  /// Migration 9: operators' feedback on alerts (`outlierd feedback`).
  ///
  /// Frozen: it must do to a version-8 database exactly what it did when
  /// released, so it names no application type and no live encoder.
  static let migration9 = Migration(
    sql: """
      ALTER TABLE alerts ADD COLUMN feedback TEXT;       -- 'normal': re-learned as an ordinary sample on request
      """)
}
