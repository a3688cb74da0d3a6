extension Schema {
  /// Migration 14: what an alert's slot learned of its sample, and what it
  /// would have learned of it as an ordinary sample, both in the slot's
  /// units, so that `outlierd feedback … normal` unlearns exactly what was
  /// learned. NULL in alerts from before (feedback on them is refused) and
  /// once the slot no longer holds it as learned (it started over).
  ///
  /// Frozen: it must do to a version-13 database exactly what it did when
  /// released, so it names no application type and no live encoder.
  static let migration14 = Migration(
    sql: """
      ALTER TABLE alerts ADD COLUMN learned REAL;   -- what the slot learned of the sample (NULL: nothing, or unknown)
      ALTER TABLE alerts ADD COLUMN unclipped REAL; -- what it would have learned as an ordinary sample
      """)
}
