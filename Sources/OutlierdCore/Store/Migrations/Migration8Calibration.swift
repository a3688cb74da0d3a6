extension Schema {
  /// Migration 8: Calibration beside the parametric figures, and the baseline.
  ///
  /// Frozen: it must do to a version-7 database exactly what it did when
  /// released, so it names no application type and no live encoder.
  static let migration8 = Migration(
    sql: """
      ALTER TABLE alerts ADD COLUMN tail_factor REAL;    -- the series' κ: critical = κ × the parametric critical value
      ALTER TABLE alerts ADD COLUMN calibrated_z REAL;   -- z / κ, signed: the score against the series' own tail
      ALTER TABLE alerts ADD COLUMN baseline TEXT;       -- what judged it: 'weekly' (its slot) or 'recent' (the recent level, while the slot warms up)
      """)
}
