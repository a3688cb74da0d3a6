extension Schema {
  /// Migration 12: which noise family judged each alert, and its score
  /// under that family. Alerts from before were judged by the slots alone:
  /// 'additive', no family score.
  ///
  /// Frozen: it must do to a version-11 database exactly what it did when
  /// released, so it names no application type and no live encoder.
  static let migration12 = Migration(
    sql: """
      ALTER TABLE alerts ADD COLUMN family TEXT NOT NULL DEFAULT 'additive'; -- additive, multiplicative, counts, intermittent, constant
      ALTER TABLE alerts ADD COLUMN family_z REAL;                           -- normal-equivalent score under the family
      """)
}
