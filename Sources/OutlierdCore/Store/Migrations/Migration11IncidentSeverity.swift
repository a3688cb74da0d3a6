extension Schema {
  /// Migration 11: incidents' severity (`warning` or `critical`), the
  /// evidence it comes from, and when an incident turned critical. An
  /// incident from before has no evidence: a warning.
  ///
  /// Frozen: it must do to a version-10 database exactly what it did when
  /// released, so it names no application type and no live encoder.
  static let migration11 = Migration(
    sql: """
      ALTER TABLE incidents ADD COLUMN severity TEXT NOT NULL DEFAULT 'warning'; -- 'warning' or 'critical'
      ALTER TABLE incidents ADD COLUMN evidence REAL NOT NULL DEFAULT 0;         -- Fisher's sum of -2 ln p over its alerts
      ALTER TABLE incidents ADD COLUMN critical_at REAL;                         -- when it turned critical
      DROP VIEW incidents_readable;
      CREATE VIEW incidents_readable AS
        SELECT id, series, CASE direction WHEN 1 THEN 'high' ELSE 'low' END AS direction, severity,
               datetime(start_ts, 'unixepoch') AS start_utc, datetime(end_ts, 'unixepoch') AS end_utc,
               round((end_ts - start_ts) / 60.0, 1) AS minutes, round(peak_score, 2) AS peak_z, alerts,
               CASE closed WHEN 1 THEN 'closed' ELSE 'open' END AS state,
               datetime(critical_at, 'unixepoch') AS critical_utc
        FROM incidents;
      """)
}
