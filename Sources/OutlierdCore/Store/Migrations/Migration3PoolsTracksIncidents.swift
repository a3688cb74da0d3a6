extension Schema {
  /// Migration 3: pooled noise, series tracks, incidents, events.
  ///
  /// Frozen: it must do to a version-2 database exactly what it did when
  /// released, so it names no application type and no live encoder.
  static let migration3 = Migration(
    sql: """
      ALTER TABLE series ADD COLUMN track TEXT;   -- JSON: outlier run, level shift, open incident

      -- Sums of RSS and of n - 2 over a block of neighbouring slots.
      CREATE TABLE noise (
        series_id INTEGER NOT NULL REFERENCES series(id),
        block INTEGER NOT NULL,
        rss REAL NOT NULL,
        dof REAL NOT NULL,
        PRIMARY KEY (series_id, block)
      ) WITHOUT ROWID;

      ALTER TABLE alerts ADD COLUMN z REAL;               -- normal-equivalent score, signed
      ALTER TABLE alerts ADD COLUMN critical REAL;        -- |score| above which it alerted
      ALTER TABLE alerts ADD COLUMN dof REAL;             -- degrees of freedom of the noise estimate
      ALTER TABLE alerts ADD COLUMN incident_id INTEGER;

      -- Consecutive alerts of one series in one direction.
      CREATE TABLE incidents (
        id INTEGER PRIMARY KEY,
        series TEXT NOT NULL,
        direction INTEGER NOT NULL,   -- +1 above the band, -1 below
        start_ts REAL NOT NULL,
        end_ts REAL NOT NULL,
        peak_score REAL NOT NULL,     -- largest |z|, signed
        alerts INTEGER NOT NULL,
        closed INTEGER NOT NULL       -- 1 once quiet for longer than incident_gap
      );
      CREATE INDEX incidents_by_start ON incidents(start_ts);

      -- Level shifts and stale series.
      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        series TEXT NOT NULL,
        ts REAL NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL,
        file_id INTEGER
      );

      DROP VIEW alerts_readable;
      CREATE VIEW alerts_readable AS
        SELECT a.id, a.series,
               datetime(a.ts, 'unixepoch') AS time_utc,
               a.value, round(a.expected, 6) AS expected,
               round(a.lower, 6) AS lower, round(a.upper, 6) AS upper,
               round(a.score, 3) AS score, round(a.z, 2) AS z, a.p_value, a.slot, a.n,
               a.incident_id, f.name AS file
        FROM alerts a JOIN files f ON f.id = a.file_id;

      CREATE VIEW incidents_readable AS
        SELECT id, series, CASE direction WHEN 1 THEN 'high' ELSE 'low' END AS direction,
               datetime(start_ts, 'unixepoch') AS start_utc, datetime(end_ts, 'unixepoch') AS end_utc,
               round((end_ts - start_ts) / 60.0, 1) AS minutes, round(peak_score, 2) AS peak_z, alerts,
               CASE closed WHEN 1 THEN 'closed' ELSE 'open' END AS state
        FROM incidents;
      """)
}
