extension Schema {
  /// Migration 18: a level shift's event records its ratio as a number, so
  /// that a plot can draw each sample's band in the units it was judged in
  /// (a confirmed shift rescales the slots). NULL for other events and
  /// those from before.
  ///
  /// Frozen: it must do to a version-17 database exactly what it did when
  /// released, so it names no application type and no live encoder.
  static let migration18 = Migration(
    sql: """
      ALTER TABLE events ADD COLUMN ratio REAL;   -- shift events: the level over the learned pattern
      """)
}
