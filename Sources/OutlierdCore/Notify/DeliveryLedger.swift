import Foundation

/// The notifier's own database: what was delivered for each incident, so
/// that a restart of the daemon or of the notifier loses nothing and floods
/// nothing. Separate from the daemon's database: the notifier never holds
/// the daemon's write lock, so delivery can never block ingest.
///
/// Contract: a delivery is recorded only after Alertmanager accepted it
/// (at least once: a crash between the two sends it again, which
/// Alertmanager deduplicates by labels; `sends` counts every accepted POST).
package final class DeliveryLedger {
  package enum State: String, Sendable {
    /// Sent as firing; the incident was open when last seen.
    case firing
    /// Sent with its end: nothing more to do.
    case resolved
    /// Closed before the notifier first ran: never sent.
    case skipped
    /// Opened under a silence (`silence_id`): recorded, not sent while a
    /// silence covers it; sent as firing if it is still open once none does.
    case silenced
    /// Opened and closed under silences: never sent.
    case silencedThrough = "silenced_through"
  }

  package struct Delivery: Sendable, Hashable {
    package var incident: Int64
    package var state: State
    package var lastSent: Double?
    package var sends: Int
    package var failures: Int
    package var nextAttempt: Double
    /// The severity it was last delivered with; nil before severity.
    package var severity: String?
  }

  let db: SQLiteDatabase
  package let path: String

  package init(path: String) throws {
    self.path = path
    db = try SQLiteDatabase(path: path)
    db.setBusyTimeout(milliseconds: 5000)
    try db.execute(
      """
      PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
      CREATE TABLE IF NOT EXISTS deliveries (
        incident_id INTEGER PRIMARY KEY,  -- incidents.id of the daemon's database
        state TEXT NOT NULL,              -- firing, resolved, skipped, silenced, silenced_through
        first_sent REAL, last_sent REAL,  -- Unix seconds of accepted POSTs
        sends INTEGER NOT NULL DEFAULT 0, -- accepted POSTs, re-sends included
        failures INTEGER NOT NULL DEFAULT 0,
        next_attempt REAL NOT NULL DEFAULT 0,
        last_error TEXT,
        silence_id INTEGER                -- for state 'silenced'
      );
      -- Silences from before they moved to the daemon's database: read, until they end.
      CREATE TABLE IF NOT EXISTS silences (
        id INTEGER PRIMARY KEY,
        pattern TEXT NOT NULL,            -- a shell glob on series names
        starts REAL NOT NULL,             -- Unix seconds
        ends REAL NOT NULL,
        comment TEXT NOT NULL,
        created_by TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      """)
    // The severity last delivered: a ledger from before severity has none.
    var columns: [String] = []
    let info = try db.prepare("PRAGMA table_info(deliveries)")
    while try info.step() { columns.append(info.text(1) ?? "") }
    if !columns.contains("severity") {
      try db.execute("ALTER TABLE deliveries ADD COLUMN severity TEXT")
    }
  }

  /// The largest incident id seen; nil before the first pass.
  package func lastSeen() throws -> Int64? {
    try db.scalarText("SELECT value FROM meta WHERE key = 'last_seen'").flatMap { Int64($0) }
  }

  func setLastSeen(_ id: Int64) throws {
    try db.prepare("REPLACE INTO meta VALUES ('last_seen', ?)").bind(.text(String(id))).run()
  }

  /// The identity of the daemon's database this ledger follows
  /// (its `meta.database_id`); nil before it was first recorded.
  package func databaseIdentity() throws -> String? {
    try db.scalarText("SELECT value FROM meta WHERE key = 'database_id'")
  }

  /// Starts over for another database: every delivery and the last seen
  /// incident are forgotten (silences are kept), as at a first run, so the
  /// new database's open incidents are delivered and its closed ones are
  /// not; `identity` is recorded.
  func startFresh(for identity: String?) throws {
    try transaction {
      try db.execute(
        "DELETE FROM deliveries; DELETE FROM meta WHERE key IN ('last_seen', 'last_seen_incident')")
      try recordIdentity(identity)
    }
  }

  func recordIdentity(_ identity: String?) throws {
    guard let identity else { return }
    try db.prepare("REPLACE INTO meta VALUES ('database_id', ?)").bind(.text(identity)).run()
  }

  /// The series and start of the last seen incident (`Notifier.fingerprint`).
  func lastSeenFingerprint() throws -> String? {
    try db.scalarText("SELECT value FROM meta WHERE key = 'last_seen_incident'")
  }

  func recordLastSeenFingerprint(_ fingerprint: String?) throws {
    guard let fingerprint else { return }
    try db.prepare("REPLACE INTO meta VALUES ('last_seen_incident', ?)").bind(.text(fingerprint)).run()
  }

  /// Deliveries whose incidents must be followed until they close: those
  /// still firing, and those silenced, which are delivered if they outlive
  /// their silences.
  package func followed() throws -> [Int64] {
    let statement = try db.prepare(
      "SELECT incident_id FROM deliveries WHERE state IN ('firing', 'silenced') ORDER BY incident_id")
    var ids: [Int64] = []
    while try statement.step() { ids.append(statement.int64(0)) }
    return ids
  }

  package func delivery(_ incident: Int64) throws -> Delivery? {
    let s = try db.prepare(
      "SELECT state, last_sent, sends, failures, next_attempt, severity FROM deliveries WHERE incident_id = ?"
    ).bind(.integer(incident))
    guard try s.step() else { return nil }
    return Delivery(
      incident: incident, state: State(rawValue: s.text(0) ?? "") ?? .firing,
      lastSent: s.isNull(1) ? nil : s.double(1), sends: Int(s.int64(2)), failures: Int(s.int64(3)),
      nextAttempt: s.double(4), severity: s.text(5))
  }

  /// Silences of this ledger: those added before silences moved to the
  /// daemon's database are still honoured.
  package typealias Silence = OutlierdCore.Silence

  /// Silences that have not ended by `since`, newest first: the same table
  /// as the daemon's database's, read the same way.
  package func silences(endingAfter since: Double) throws -> [Silence] {
    try Store.silences(db, endingAfter: since)
  }

  func markSilenced(_ incident: Int64, by silence: Int64) throws {
    try db.prepare(
      "INSERT OR IGNORE INTO deliveries (incident_id, state, silence_id) VALUES (?, 'silenced', ?)"
    )
    .bind(.integer(incident), .integer(silence)).run()
  }

  func markSilencedThrough(_ incident: Int64) throws {
    try db.prepare(
      "UPDATE deliveries SET state = 'silenced_through' WHERE incident_id = ? AND state = 'silenced'"
    )
    .bind(.integer(incident)).run()
  }

  func markSkipped(_ incident: Int64) throws {
    try db.prepare("INSERT OR IGNORE INTO deliveries (incident_id, state) VALUES (?, 'skipped')")
      .bind(.integer(incident)).run()
  }

  func markSent(_ incident: Int64, state: State, at time: Double, severity: String) throws {
    try db.prepare(
      """
      INSERT INTO deliveries (incident_id, state, first_sent, last_sent, sends, severity) VALUES (?1, ?2, ?3, ?3, 1, ?4)
      ON CONFLICT (incident_id) DO UPDATE SET state = ?2, first_sent = coalesce(first_sent, ?3),
        last_sent = ?3, sends = sends + 1, next_attempt = 0, last_error = NULL, severity = ?4
      """
    ).bind(.integer(incident), .text(state.rawValue), .real(time), .text(severity)).run()
  }

  func markFailed(_ incident: Int64, error: String, retryAt: Double) throws {
    try db.prepare(
      """
      INSERT INTO deliveries (incident_id, state, failures, next_attempt, last_error) VALUES (?1, 'firing', 1, ?2, ?3)
      ON CONFLICT (incident_id) DO UPDATE SET failures = failures + 1, next_attempt = ?2, last_error = ?3
      """
    ).bind(.integer(incident), .real(retryAt), .text(error)).run()
  }

  func transaction(_ body: () throws -> Void) throws {
    try db.transaction(body)
  }

  /// Totals for `status`: deliveries by state, accepted POSTs, failures,
  /// and the last error; nil when there is no ledger (or no permission).
  package static func summary(path: String) -> (
    firing: Int, resolved: Int, sends: Int, failures: Int, lastError: String?
  )? {
    guard FileManager.default.isReadableFile(atPath: path),
      let db = try? SQLiteDatabase(path: path, readOnly: true),
      let s = try? db.prepare(
        """
        SELECT count(*) FILTER (WHERE state = 'firing'), count(*) FILTER (WHERE state = 'resolved'),
               coalesce(sum(sends), 0), coalesce(sum(failures), 0),
               (SELECT last_error FROM deliveries WHERE last_error IS NOT NULL ORDER BY next_attempt DESC LIMIT 1)
        FROM deliveries
        """), (try? s.step()) == true
    else { return nil }
    return (Int(s.int64(0)), Int(s.int64(1)), Int(s.int64(2)), Int(s.int64(3)), s.text(4))
  }

  /// What a ledger says of each incident, in a word for `incidents`:
  /// "sent", "resolved" (its end sent too), "failing" (not yet accepted),
  /// "silenced #N", "history" (closed before the notifier first ran), or
  /// "pending" for one the notifier has not reached; nil when the ledger
  /// cannot be read (it belongs to the notifier's user: root reads it).
  package static func deliveryWords(path: String, incidents: [Int64]) -> [Int64: String]? {
    guard FileManager.default.isReadableFile(atPath: path),
      let db = try? SQLiteDatabase(path: path, readOnly: true),
      let s = try? db.prepare(
        "SELECT state, sends, silence_id, failures FROM deliveries WHERE incident_id = ?")
    else { return nil }
    var words: [Int64: String] = [:]
    for incident in incidents {
      guard (try? s.bind(.integer(incident)).step()) == true else {
        words[incident] = "pending"
        continue
      }
      switch State(rawValue: s.text(0) ?? "") {
      case .firing: words[incident] = s.int64(1) > 0 ? "sent" : "failing"
      case .resolved: words[incident] = "resolved"
      case .skipped: words[incident] = "history"
      // Tried (and failing) once its silence ended.
      case .silenced where s.int64(3) > 0: words[incident] = "failing"
      case .silenced, .silencedThrough: words[incident] = s.isNull(2) ? "silenced" : "silenced #\(s.int64(2))"
      case nil: words[incident] = s.text(0)
      }
    }
    return words
  }
}
