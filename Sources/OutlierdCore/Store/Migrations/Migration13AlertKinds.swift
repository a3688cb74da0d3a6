extension Schema {
  /// Migration 13: what each alert and incident says is out of the
  /// ordinary: 'point' (one sample off its model: every alert before) or
  /// 'variance' (the series stopped varying). Each kind has incidents of
  /// its own.
  ///
  /// Frozen: it must do to a version-12 database exactly what it did when
  /// released, so it names no application type and no live encoder.
  static let migration13 = Migration(
    sql: """
      ALTER TABLE alerts ADD COLUMN kind TEXT NOT NULL DEFAULT 'point';    -- 'point' or 'variance'
      ALTER TABLE incidents ADD COLUMN kind TEXT NOT NULL DEFAULT 'point'; -- the kind of its alerts
      DROP VIEW incidents_readable;
      CREATE VIEW incidents_readable AS
        SELECT id, series, kind, CASE direction WHEN 1 THEN 'high' ELSE 'low' END AS direction, severity,
               datetime(start_ts, 'unixepoch') AS start_utc, datetime(end_ts, 'unixepoch') AS end_utc,
               round((end_ts - start_ts) / 60.0, 1) AS minutes, round(peak_score, 2) AS peak_z, alerts,
               CASE closed WHEN 1 THEN 'closed' ELSE 'open' END AS state,
               datetime(critical_at, 'unixepoch') AS critical_utc
        FROM incidents;
      """)
}
