import Foundation

/// The SQLite database: slot statistics, series, the file ledger, alerts
/// and rejections. One writer (the daemon, or one `ingest`); any number of
/// readers, which WAL mode never blocks.
package final class Store {
  package let path: String
  let db: SQLiteDatabase
  let selectBlock: SQLiteStatement
  let upsertBlock: SQLiteStatement
  private let insertSeries: SQLiteStatement
  private let updateSeries: SQLiteStatement
  private let insertFile: SQLiteStatement
  private let updateFile: SQLiteStatement
  private let insertAlert: SQLiteStatement
  private let insertRejection: SQLiteStatement
  private let selectLedger: SQLiteStatement
  private let insertIncident: SQLiteStatement
  private let updateIncident: SQLiteStatement
  private let insertEvent: SQLiteStatement
  let selectHistory: SQLiteStatement
  let upsertHistory: SQLiteStatement
  /// Reused for each history row written.
  var historyRow: [UInt8] = []
  let pruneSamples: SQLiteStatement
  /// Which rows of new series groups exist: reading one that does not
  /// costs no query.
  var knownRows: KnownRows
  /// The `slot_blocks` rows the open transaction read or wrote, as it sees
  /// them: the other series of a row most likely come in the same file, and
  /// need not read it again. Emptied when a transaction begins.
  var slotRows = SlotRowCache(capacity: 64)
  /// Reused for each slot row read or written.
  var slotRowBytes: [UInt8] = []

  /// What a new database is made with, before any table: 16 KiB pages
  /// (a database keeps the page size it was created with) and WAL.
  package static let creationPragmas = "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL;"

  /// Opens (creating if needed) the database and checks its calendar.
  ///
  /// - Parameter file: the writer's hold on the file (the daemon's and
  ///   `ingest`'s). With it the database is first checked with SQLite's
  ///   `quick_check` (a damaged file is refused, not written into), and
  ///   every transaction checks that the file is still the one opened.
  package init(
    path: String, calendar: SlotCalendar, busyTimeoutMilliseconds: Int32 = 5000, file: DatabaseFile? = nil
  ) throws(StoreError) {
    self.path = path
    self.file = file
    do {
      db = try SQLiteDatabase(path: path)
      db.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
      if file != nil { try Self.quickCheck(db, path: path) }
      db.persistWriteAheadLog()
      // WAL: readers never block the writer nor the writer them.
      // synchronous=FULL: a commit is on disk before the spool file is
      // deleted, so even a power cut cannot lose an accepted file.
      // A 2 MB page cache (128 pages) holds the few interior pages of the
      // slot and history b-trees; the leaves a batch touches are read once
      // (from the OS's cache). 16 MB was no faster on the 10 M backfill
      // and took 14 MiB more (docs/history/performance-log.md).
      // 16 KiB pages (for a new database; an existing one keeps its own):
      // a slot block is 768 bytes, and with 4 KiB pages the rows of a file
      // were split over four times as many pages (measured 1.3× slower).
      try db.execute(
        "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -2048; PRAGMA journal_size_limit = \(Self.writeAheadLogLimit);"
      )
      try Self.migrate(db, path: path)
      try Self.checkCalendar(db, calendar, path: path)
      knownRows = KnownRows(
        largestSeriesID: Int64(try db.scalarText("SELECT max(id) FROM series") ?? "0") ?? 0,
        blockCount: (calendar.slotCount + SlotBlock.size - 1) / SlotBlock.size)
      selectBlock = try db.prepare(Self.selectSlotRow)
      upsertBlock = try db.prepare("REPLACE INTO slot_blocks (key, data) VALUES (?, ?)")
      insertSeries = try db.prepare(
        "INSERT INTO series (name, newest_ts, samples, created_at) VALUES (?, ?, 0, ?)")
      updateSeries = try db.prepare("UPDATE series SET newest_ts = ?, samples = ?, track = ? WHERE id = ?")
      insertFile = try db.prepare(
        "INSERT INTO files (name, size, sha256, lines_accepted, lines_rejected, alerts, ingested_at) VALUES (?, ?, ?, 0, 0, 0, ?)"
      )
      updateFile = try db.prepare(
        "UPDATE files SET lines_accepted = ?, lines_rejected = ?, alerts = ?, lines_later = ? WHERE id = ?")
      insertAlert = try db.prepare(
        "INSERT INTO alerts (series, ts, value, expected, lower, upper, score, p_value, slot, n, threshold, file_id, z, critical, dof, incident_id, tail_factor, calibrated_z, baseline, family, family_z, kind, learned, unclipped, daily_z) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
      )
      insertIncident = try db.prepare(
        "INSERT INTO incidents (series, direction, start_ts, end_ts, peak_score, alerts, closed, kind) VALUES (?, ?, ?, ?, ?, 1, 0, ?)"
      )
      updateIncident = try db.prepare(
        "UPDATE incidents SET end_ts = ?, peak_score = ?, alerts = ?, closed = ?, evidence = ?, severity = ?, critical_at = ? WHERE id = ?"
      )
      insertEvent = try db.prepare(
        "INSERT INTO events (series, ts, kind, detail, file_id, ratio) VALUES (?, ?, ?, ?, ?, ?)")
      insertRejection = try db.prepare("INSERT INTO rejections VALUES (?, ?, ?, ?, ?)")
      selectLedger = try db.prepare("SELECT id, lines_later FROM files WHERE sha256 = ?")
      selectHistory = try db.prepare("SELECT data FROM samples WHERE key = ?")
      upsertHistory = try db.prepare("REPLACE INTO samples (key, data) VALUES (?, ?)")
      pruneSamples = try db.prepare("DELETE FROM samples WHERE key < ?")
    } catch let error as StoreError {
      throw error
    } catch let error as SQLiteError {
      throw .sqlite(error)
    } catch {
      fatalError("unexpected \(error)")
    }
  }

  /// SQLite's `quick_check`: the b-trees and records are well formed. A
  /// truncated or overwritten file fails it (or fails to be read at all).
  static func quickCheck(_ db: SQLiteDatabase, path: String) throws {
    let result: String?
    do {
      result = try db.scalarText("PRAGMA quick_check(1)")
    } catch {
      throw StoreError.corrupt(path: path, detail: error.message)
    }
    guard result == "ok" else { throw StoreError.corrupt(path: path, detail: result ?? "no answer") }
  }

  static func migrate(_ db: SQLiteDatabase, path: String) throws {
    let version = Int(try db.scalarText("PRAGMA user_version") ?? "0") ?? 0
    guard version <= Schema.migrations.count else {
      throw StoreError.newerSchema(path: path, version: version, supported: Schema.migrations.count)
    }
    for (index, migration) in Schema.migrations.enumerated().dropFirst(version) {
      try db.transaction {
        try db.execute(migration.sql)
        try migration.convert?(db)
        try db.execute("PRAGMA user_version = \(index + 1)")
      }
    }
  }

  static func checkCalendar(_ db: SQLiteDatabase, _ calendar: SlotCalendar, path: String) throws {
    let wanted = [
      ("period", String(calendar.period)), ("slot_width", String(calendar.slotWidth)),
      ("time_zone", calendar.timeZoneIdentifier),
    ]
    let read = try db.prepare("SELECT value FROM calendar WHERE key = ?")
    var differences: [String] = []
    var missing: [(String, String)] = []
    for (key, value) in wanted {
      if try read.bind(.text(key)).step() {
        let stored = read.text(0) ?? ""
        if stored != value {
          differences.append("\(key) is \(stored) in the database, \(value) in the config")
        }
        _ = try read.step()
      } else {
        missing.append((key, value))
      }
    }
    guard differences.isEmpty else { throw StoreError.calendarMismatch(path: path, differences: differences) }
    if !missing.isEmpty {
      let insert = try db.prepare("INSERT INTO calendar VALUES (?, ?)")
      for (key, value) in missing { try insert.bind(.text(key), .text(value)).run() }
    }
  }

  /// The calendar a database was created with, if it has one.
  package static func storedCalendar(path: String) throws -> (period: Int, slotWidth: Int, timeZone: String)?
  {
    try storedCalendar(SQLiteDatabase(path: path, readOnly: true))
  }

  /// The calendar of an open database, if it has one.
  static func storedCalendar(_ db: SQLiteDatabase) throws -> (period: Int, slotWidth: Int, timeZone: String)?
  {
    let read = try db.prepare("SELECT key, value FROM calendar")
    var values: [String: String] = [:]
    while try read.step() { values[read.text(0) ?? ""] = read.text(1) }
    guard let p = values["period"].flatMap(Int.init), let w = values["slot_width"].flatMap(Int.init),
      let z = values["time_zone"]
    else { return nil }
    return (p, w, z)
  }

  // MARK: Reading

  /// Every series with its state, in order of creation.
  ///
  /// - Throws: `StoreError.damagedTrack`, naming the series and what to
  ///   do, when a track cannot be read.
  package func loadSeries() throws -> [(name: String, state: SeriesState)] {
    let statement = try db.prepare("SELECT name, id, newest_ts, samples, track FROM series ORDER BY id")
    var result: [(name: String, state: SeriesState)] = []
    while try statement.step() {
      let track = try TrackCoding.read(
        statement, column: 4, path: path, series: statement.text(0) ?? "", id: statement.int64(1))
      result.append(
        (
          statement.text(0) ?? "",
          SeriesState(
            id: statement.int64(1), newest: statement.double(2), samples: statement.int64(3),
            track: track)
        ))
    }
    return result
  }

  /// One series' committed track (a new track when it has none).
  package func loadTrack(series id: Int64) throws -> SeriesTrack {
    let statement = try db.prepare("SELECT track FROM series WHERE id = ?")
    statement.bind(.integer(id))
    guard try statement.step() else { return SeriesTrack() }
    return try TrackCoding.read(statement, column: 0)
  }

  /// An alert as feedback needs it: what was flagged and the band it was
  /// judged against.
  package struct FlaggedSample: Sendable {
    package var series: String
    package var time, value, expected, upper, critical: Double
    package var slot: Int
    package var baseline: String
    package var feedback: String?
    /// When the series' model was last reset after the alert's file was
    /// applied (the alert judged a model that no longer exists); nil if not.
    package var resetSince: Double?
    /// What its slot learned of it and would have learned as an ordinary
    /// sample (nil: unknown, from before, or its slot started over).
    package var learned: Double?
    package var unclipped: Double?
    /// When a level shift of its series was confirmed at or after it (its
    /// slots were rescaled since); nil if none was.
    package var shiftConfirmedSince: Double?
    /// The incident it belongs to.
    package var incident: Int64?
  }

  package func flaggedSample(alert id: Int64) throws(SQLiteError) -> FlaggedSample? {
    let s = try db.prepare(
      """
      SELECT a.series, a.ts, a.value, a.expected, a.upper, a.critical, a.slot, coalesce(a.baseline, 'weekly'),
             a.feedback,
             (SELECT max(e.ts) FROM events e WHERE e.series = a.series AND e.kind = 'reset'
                AND e.ts >= (SELECT f.ingested_at FROM files f WHERE f.id = a.file_id)),
             a.learned, a.unclipped,
             (SELECT min(e.ts) FROM events e WHERE e.series = a.series AND e.kind = 'shift_confirmed'
                AND e.ts >= a.ts),
             a.incident_id
      FROM alerts a WHERE a.id = ? AND a.kind = 'point'
      """
    ).bind(.integer(id))
    guard try s.step() else { return nil }
    return FlaggedSample(
      series: s.text(0) ?? "", time: s.double(1), value: s.double(2), expected: s.double(3),
      upper: s.double(4),
      critical: s.double(5), slot: Int(s.int64(6)), baseline: s.text(7) ?? "weekly", feedback: s.text(8),
      resetSince: s.isNull(9) ? nil : s.double(9), learned: s.isNull(10) ? nil : s.double(10),
      unclipped: s.isNull(11) ? nil : s.double(11), shiftConfirmedSince: s.isNull(12) ? nil : s.double(12),
      incident: s.isNull(13) ? nil : s.int64(13))
  }

  /// How many of an incident's alerts have no feedback.
  package func alertsWithoutFeedback(incident id: Int64) throws(SQLiteError) -> Int {
    let s = try db.prepare("SELECT count(*) FROM alerts WHERE incident_id = ? AND feedback IS NULL")
      .bind(.integer(id))
    guard try s.step() else { return 0 }
    let count = Int(s.int64(0))
    _ = try s.step()
    return count
  }

  package func setFeedback(alert id: Int64, _ feedback: String) throws(SQLiteError) {
    try db.prepare("UPDATE alerts SET feedback = ? WHERE id = ?").bind(.text(feedback), .integer(id)).run()
  }

  /// The ledger's row of a file with this content, if any: its id, and
  /// how many of its lines were rejected as ahead of the clock.
  package func ledgerEntry(sha256: String) throws(SQLiteError) -> (id: Int64, laterLines: Int)? {
    let s = selectLedger.bind(.text(sha256))
    guard try s.step() else { return nil }
    let entry = (s.int64(0), Int(s.int64(1)))
    _ = try s.step()
    return entry
  }

  /// Keeps a ledger row, its alerts and rejections, under a name of its
  /// own (`HASH.superseded.ID`), so that its content can be applied again
  /// as a new row.
  package func supersedeLedgerEntry(id: Int64) throws(SQLiteError) {
    try db.prepare("UPDATE files SET sha256 = sha256 || '.superseded.' || id WHERE id = ?").bind(.integer(id))
      .run()
  }

  // MARK: Writing, inside a transaction

  /// Caps the database's size (0: no cap) through SQLite's max_page_count;
  /// past it a transaction fails with SQLITE_FULL, like a full disk.
  package func setLimits(maxSize: Int, busyTimeout: Double) throws(SQLiteError) {
    db.setBusyTimeout(milliseconds: Int32(min(busyTimeout * 1000, Double(Int32.max))))
    let pageSize = Int(try db.scalarText("PRAGMA page_size") ?? "4096") ?? 4096
    let pages = maxSize > 0 ? max(maxSize / pageSize, 1) : 4_294_967_294
    _ = try db.scalarText("PRAGMA max_page_count = \(pages)")
  }

  /// The writer's hold on the database file, when the store has one: each
  /// transaction first checks that the configured path still names the
  /// file that was opened.
  package var file: DatabaseFile?

  /// Runs `body` in one write transaction: the one boundary of every
  /// change the writer makes. It first checks that the configured path
  /// still names the file opened (`DatabaseFile.Problem.replaced`
  /// otherwise); it commits when `body` returns; when `body` or the commit
  /// throws, nothing of it stays and the error is rethrown. Transactions do
  /// not nest.
  ///
  /// After a commit that left the write-ahead log past
  /// `writeAheadLogLimit` (SQLite's automatic checkpoints could not keep
  /// up, or a reader's long transaction held them back), the log is
  /// checkpointed and truncated, unless a reader still needs it: then it is
  /// left for the next commit, and `outlierd status --check` warns.
  package func transaction<Result>(_ body: () throws -> Result) throws -> Result {
    precondition(!db.isInTransaction, "transactions do not nest")
    try file?.checkUnchanged()
    slotRows.removeAll()
    let result: Result
    do {
      result = try db.transaction(body)
    } catch {
      knownRows.rollback()
      slotRows.removeAll()
      throw error
    }
    knownRows.commit()
    var info = stat()
    if stat(path + "-wal", &info) == 0 && Int(info.st_size) > Self.writeAheadLogLimit {
      _ = db.checkpointTruncatingWithoutWaiting()
    }
    return result
  }

  /// The size past which the write-ahead log is truncated after a commit,
  /// and to which SQLite cuts it back after a checkpoint
  /// (`journal_size_limit`): a reader that held a transaction open for
  /// minutes could otherwise leave it gigabytes large until a restart.
  package static let writeAheadLogLimit = 64 << 20

  package func addFile(name: String, size: Int, sha256: String, at time: Double) throws(SQLiteError) -> Int64
  {
    try insertFile.bind(.text(name), .integer(Int64(size)), .text(sha256), .real(time)).run()
    return db.lastInsertRowID
  }

  package func finishFile(id: Int64, accepted: Int, rejected: Int, alerts: Int, later: Int = 0)
    throws(SQLiteError)
  {
    try updateFile.bind(
      .integer(Int64(accepted)), .integer(Int64(rejected)), .integer(Int64(alerts)), .integer(Int64(later)),
      .integer(id)
    )
    .run()
  }

  package func addSeries(name: String, at time: Double) throws(SQLiteError) -> Int64 {
    try insertSeries.bind(.text(name), .real(0), .real(time)).run()
    // Row keys hold the id in 32 bits; ids are assigned from 1 upwards and
    // input.max_series is at most 100 million.
    precondition(db.lastInsertRowID < 1 << 32, "series id \(db.lastInsertRowID) does not fit a row key")
    return db.lastInsertRowID
  }

  /// Writes a series' newest time, count and track.
  package func saveSeries(_ state: SeriesState) throws {
    try saveSeries(id: state.id, newest: state.newest, samples: state.samples, track: state.track)
  }

  /// Writes a series' newest time, count and track (a BLOB, TrackCoding;
  /// NULL while it is empty).
  package func saveSeries(id: Int64, newest: Double, samples: Int64, track: SeriesTrack) throws {
    let blob: SQLiteValue = track.isEmpty ? .null : .blob(TrackCoding.encode(track))
    try updateSeries.bind(.real(newest), .integer(samples), blob, .integer(id)).run()
  }

  package func openIncident(
    series: String, sign: Int, at time: Double, peak: Double, kind: AlertKind = .point
  )
    throws(SQLiteError) -> Int64
  {
    try insertIncident.bind(
      .text(series), .integer(Int64(sign)), .real(time), .real(time), .real(peak), .text(kind.rawValue)
    ).run()
    return db.lastInsertRowID
  }

  package func saveIncident(id: Int64, _ incident: SeriesTrack.OpenIncident, closed: Bool) throws(SQLiteError)
  {
    try updateIncident.bind(
      .real(incident.end), .real(incident.peak), .integer(Int64(incident.alerts)), .integer(closed ? 1 : 0),
      .real(incident.evidence), .text(incident.severity.rawValue),
      incident.criticalAt > 0 ? .real(incident.criticalAt) : .null, .integer(id)
    ).run()
  }

  package func addEvent(_ event: SeriesEvent, fileID: Int64?) throws(SQLiteError) {
    try insertEvent.bind(
      .text(event.series), .real(event.time), .text(event.kind), .text(event.detail),
      fileID.map { .integer($0) } ?? .null, event.ratio.map { .real($0) } ?? .null
    ).run()
  }

  package func addAlert(_ alert: Alert, fileID: Int64) throws(SQLiteError) {
    let score = alert.score
    let band = score.band
    let z = score.normalEquivalent
    try insertAlert.bind(
      .text(alert.series), .real(alert.timestamp), .real(alert.value), .real(score.expected),
      .real(band.lowerBound), .real(band.upperBound), .real(score.studentized), .real(score.pValue),
      .integer(Int64(alert.slot)), .real(score.samples), .real(alert.threshold), .integer(fileID),
      .real(z), .real(score.critical), .real(score.degreesOfFreedom),
      alert.incident.map { .integer($0) } ?? .null, .real(score.tailFactor), .real(z / score.tailFactor),
      .text(score.baseline.rawValue), .text(alert.family.rawValue),
      alert.familyScore.map { .real($0) } ?? .null, .text(alert.kind.rawValue),
      alert.learned.map { .real($0) } ?? .null, alert.unclipped.map { .real($0) } ?? .null,
      alert.dailyScore.map { .real($0) } ?? .null
    ).run()
  }

  /// A slot relearned a sample as it was (`ClippedRun`): its alert, if it
  /// has one, records that the slot now holds the value itself.
  package func relearnedAlert(series: String, at time: Double, learned: Double) throws(SQLiteError) {
    try db.prepare("UPDATE alerts SET learned = ? WHERE series = ? AND ts = ? AND kind = 'point'")
      .bind(.real(learned), .text(series), .real(time)).run()
  }

  /// A slot started over: what it learned of the series' earlier alerts in
  /// it is gone, and feedback on them can no longer be exact.
  package func forgetLearned(series: String, slot: Int, before time: Double) throws(SQLiteError) {
    try db.prepare(
      "UPDATE alerts SET learned = NULL, unclipped = NULL WHERE series = ? AND slot = ? AND ts < ? AND kind = 'point'"
    ).bind(.text(series), .integer(Int64(slot)), .real(time)).run()
  }

  /// Deletes the records older than `retention`: alerts, closed incidents
  /// and events by their sample time before `dataTime`; rejected lines and
  /// ledger rows of files applied before `clockTime`, except files that
  /// alerts still name. The model (slots, series) is never pruned. A file
  /// whose ledger row is gone would be applied again if re-sent, but its
  /// samples are then not newer than their series' and are rejected: none
  /// counts twice.
  package func pruneRecords(dataBefore dataTime: Double, filesBefore clockTime: Double) throws(SQLiteError) {
    try db.prepare("DELETE FROM alerts WHERE ts < ?").bind(.real(dataTime)).run()
    try db.prepare("DELETE FROM incidents WHERE closed = 1 AND end_ts < ?").bind(.real(dataTime)).run()
    try db.prepare("DELETE FROM events WHERE ts < ?").bind(.real(dataTime)).run()
    try db.prepare(
      "DELETE FROM rejections WHERE file_id IN (SELECT id FROM files WHERE ingested_at < ?)"
    ).bind(.real(clockTime)).run()
    try db.prepare(
      "DELETE FROM files WHERE ingested_at < ? AND id NOT IN (SELECT file_id FROM alerts)"
    ).bind(.real(clockTime)).run()
  }

  package func addRejection(_ rejection: RejectedLine, fileID: Int64) throws(SQLiteError) {
    try insertRejection.bind(
      .integer(fileID), .integer(Int64(rejection.line)), .text(rejection.reason.kind),
      .text(rejection.reason.description), .text(rejection.text)
    ).run()
  }
}
