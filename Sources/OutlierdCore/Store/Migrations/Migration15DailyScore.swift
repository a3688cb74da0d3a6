extension Schema {
  /// Migration 15: a young weekly slot's alert records its score against
  /// the same hour on the series' previous days, which severity counts
  /// where it is less extreme than the slot's. NULL for other alerts and
  /// those from before.
  ///
  /// Frozen: it must do to a version-14 database exactly what it did when
  /// released, so it names no application type and no live encoder.
  static let migration15 = Migration(
    sql: """
      ALTER TABLE alerts ADD COLUMN daily_z REAL;   -- normal-equivalent score against the series' previous days at this hour
      """)
}
