import Foundation

/// The SQLite database: slot statistics, series, the file ledger, alerts
/// and rejections. One writer (the daemon, or one `ingest`); any number of
/// readers, which WAL mode never blocks.
public final class Store {
  public let path: String
  let db: SQLiteDatabase
  private let selectBlock: SQLiteStatement
  private let upsertBlock: SQLiteStatement
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
  private let selectHistory: SQLiteStatement
  private let upsertHistory: SQLiteStatement
  /// Reused for each history row written.
  private var historyRow: [UInt8] = []
  private let pruneSamples: SQLiteStatement
  /// Which rows of new series groups exist: reading one that does not
  /// costs no query.
  private var knownRows: KnownRows

  /// What a new database is made with, before any table: 16 KiB pages
  /// (a database keeps the page size it was created with) and WAL.
  public static let creationPragmas = "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL;"

  /// Opens (creating if needed) the database and checks its calendar.
  ///
  /// - Parameter file: the writer's hold on the file (the daemon's and
  ///   `ingest`'s). With it the database is first checked with SQLite's
  ///   `quick_check` (a damaged file is refused, not written into), and
  ///   every transaction checks that the file is still the one opened.
  public init(
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
      // and took 14 MiB more (docs/performance.md).
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
        "UPDATE files SET lines_accepted = ?, lines_rejected = ?, alerts = ? WHERE id = ?")
      insertAlert = try db.prepare(
        "INSERT INTO alerts (series, ts, value, expected, lower, upper, score, p_value, slot, n, threshold, file_id, z, critical, dof, incident_id, tail_factor, calibrated_z, baseline, family, family_z, kind, learned, unclipped) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
      )
      insertIncident = try db.prepare(
        "INSERT INTO incidents (series, direction, start_ts, end_ts, peak_score, alerts, closed, kind) VALUES (?, ?, ?, ?, ?, 1, 0, ?)"
      )
      updateIncident = try db.prepare(
        "UPDATE incidents SET end_ts = ?, peak_score = ?, alerts = ?, closed = ?, evidence = ?, severity = ?, critical_at = ? WHERE id = ?"
      )
      insertEvent = try db.prepare(
        "INSERT INTO events (series, ts, kind, detail, file_id) VALUES (?, ?, ?, ?, ?)")
      insertRejection = try db.prepare("INSERT INTO rejections VALUES (?, ?, ?, ?, ?)")
      selectLedger = try db.prepare("SELECT id FROM files WHERE sha256 = ?")
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
      try db.execute("BEGIN IMMEDIATE")
      do {
        try db.execute(migration.sql)
        try migration.convert?(db)
        try db.execute("PRAGMA user_version = \(index + 1)")
        try db.execute("COMMIT")
      } catch {
        try? db.execute("ROLLBACK")
        throw error
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
  public static func storedCalendar(path: String) throws -> (period: Int, slotWidth: Int, timeZone: String)? {
    let db = try SQLiteDatabase(path: path, readOnly: true)
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
  public func loadSeries() throws -> [(name: String, state: SeriesState)] {
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
  public func loadTrack(series id: Int64) throws -> SeriesTrack {
    let statement = try db.prepare("SELECT track FROM series WHERE id = ?")
    statement.bind(.integer(id))
    guard try statement.step() else { return SeriesTrack() }
    return try TrackCoding.read(statement, column: 0)
  }

  /// A block of slots; empty slots where nothing was learned yet.
  public func slotBlock(series: Int64, block: Int32) throws(SQLiteError) -> SlotBlock {
    var row: [UInt8] = []
    guard try slotRow(key: RowLayout.key(time: Int64(block), series: series), into: &row) else {
      return SlotBlock()
    }
    return row.withUnsafeBytes { SlotRow.block(in: $0, place: RowLayout.place(of: series)) }
  }

  /// Copies a `slot_blocks` row into `row` (SlotRow.size bytes, zeros where
  /// the stored one is shorter); false, leaving `row` alone, when there is none.
  /// A row known not to exist (see `KnownRows`) costs no query.
  public func slotRow(key: Int64, into row: inout [UInt8]) throws(SQLiteError) -> Bool {
    guard knownRows.mayExist(key) else { return false }
    return try Self.slotRow(selectBlock, key: key, into: &row)
  }

  /// The one read of a `slot_blocks` row, for the writer and the readers
  /// (`StoreReader`): through `statement` (`SELECT data FROM slot_blocks
  /// WHERE key = ?`), copied into `row` (`SlotRow.size` bytes); false,
  /// leaving `row` alone, when there is none.
  static func slotRow(_ statement: SQLiteStatement, key: Int64, into row: inout [UInt8]) throws(SQLiteError)
    -> Bool
  {
    let s = statement.bind(.integer(key))
    guard try s.step() else { return false }
    s.withBlob(0) { SlotRow.copy($0, into: &row) }
    _ = try s.step()
    return true
  }

  /// The query `slotRow(_:key:into:)` runs.
  static let selectSlotRow = "SELECT data FROM slot_blocks WHERE key = ?"

  public func saveSlotRow(key: Int64, _ row: UnsafeRawBufferPointer) throws(SQLiteError) {
    try upsertBlock.bind(key, blob: row).run()
    knownRows.written(key)
  }

  /// Changes one slot of a series with `change` and writes it back: the
  /// row, the series' place in it and the slot's place in its block are
  /// the store's business. Inside a transaction.
  public func updateSlot(series: Int64, slot: Int, _ change: (inout SlotRegression) -> Void) throws {
    let key = RowLayout.key(time: Int64(slot / SlotBlock.size), series: series)
    var row: [UInt8] = []
    if try !slotRow(key: key, into: &row) { row = SlotRow.empty }
    let place = RowLayout.place(of: series)
    var block = row.withUnsafeBytes { SlotRow.block(in: $0, place: place) }
    change(&block.slots[slot % SlotBlock.size])
    row.withUnsafeMutableBytes { block.encode(into: SlotRow.place(place, in: $0)) }
    try row.withUnsafeBytes { try saveSlotRow(key: key, $0) }
  }

  /// Empties a series' place in every `slot_blocks` row of its group: its
  /// slots learned nothing. Inside a transaction.
  public func clearSlots(series: Int64) throws {
    let read = try db.prepare("SELECT key, data FROM slot_blocks WHERE (key & 4294967295) = ?")
      .bind(.integer(RowLayout.group(of: series)))
    var rows: [(Int64, [UInt8])] = []
    var row: [UInt8] = []
    while try read.step() {
      read.withBlob(1) { SlotRow.copy($0, into: &row) }
      rows.append((read.int64(0), row))
    }
    let place = RowLayout.place(of: series)
    for (key, var bytes) in rows {
      bytes.replaceSubrange(
        place * SlotRow.blockSize..<(place + 1) * SlotRow.blockSize,
        with: repeatElement(0, count: SlotRow.blockSize))
      try bytes.withUnsafeBytes { try saveSlotRow(key: key, $0) }
    }
  }

  /// An alert as feedback needs it: what was flagged and the band it was
  /// judged against.
  public struct FlaggedSample: Sendable {
    public var series: String
    public var time, value, expected, upper, critical: Double
    public var slot: Int
    public var baseline: String
    public var feedback: String?
    /// When the series' model was last reset after the alert's file was
    /// applied (the alert judged a model that no longer exists); nil if not.
    public var resetSince: Double?
    /// What its slot learned of it and would have learned as an ordinary
    /// sample (nil: unknown, from before, or its slot started over).
    public var learned: Double?
    public var unclipped: Double?
    /// When a level shift of its series was confirmed at or after it (its
    /// slots were rescaled since); nil if none was.
    public var shiftConfirmedSince: Double?
  }

  public func flaggedSample(alert id: Int64) throws(SQLiteError) -> FlaggedSample? {
    let s = try db.prepare(
      """
      SELECT a.series, a.ts, a.value, a.expected, a.upper, a.critical, a.slot, coalesce(a.baseline, 'weekly'),
             a.feedback,
             (SELECT max(e.ts) FROM events e WHERE e.series = a.series AND e.kind = 'reset'
                AND e.ts >= (SELECT f.ingested_at FROM files f WHERE f.id = a.file_id)),
             a.learned, a.unclipped,
             (SELECT min(e.ts) FROM events e WHERE e.series = a.series AND e.kind = 'shift_confirmed'
                AND e.ts >= a.ts)
      FROM alerts a WHERE a.id = ? AND a.kind = 'point'
      """
    ).bind(.integer(id))
    guard try s.step() else { return nil }
    return FlaggedSample(
      series: s.text(0) ?? "", time: s.double(1), value: s.double(2), expected: s.double(3),
      upper: s.double(4),
      critical: s.double(5), slot: Int(s.int64(6)), baseline: s.text(7) ?? "weekly", feedback: s.text(8),
      resetSince: s.isNull(9) ? nil : s.double(9), learned: s.isNull(10) ? nil : s.double(10),
      unclipped: s.isNull(11) ? nil : s.double(11), shiftConfirmedSince: s.isNull(12) ? nil : s.double(12))
  }

  public func setFeedback(alert id: Int64, _ feedback: String) throws(SQLiteError) {
    try db.prepare("UPDATE alerts SET feedback = ? WHERE id = ?").bind(.text(feedback), .integer(id)).run()
  }

  /// The ledger id of an applied file with this content, if any.
  public func ledgerID(sha256: String) throws(SQLiteError) -> Int64? {
    let s = selectLedger.bind(.text(sha256))
    guard try s.step() else { return nil }
    let id = s.int64(0)
    _ = try s.step()
    return id
  }

  // MARK: Writing, inside a transaction

  /// Caps the database's size (0: no cap) through SQLite's max_page_count;
  /// past it a transaction fails with SQLITE_FULL, like a full disk.
  public func setLimits(maxSize: Int, busyTimeout: Double) throws(SQLiteError) {
    db.setBusyTimeout(milliseconds: Int32(min(busyTimeout * 1000, Double(Int32.max))))
    let pageSize = Int(try db.scalarText("PRAGMA page_size") ?? "4096") ?? 4096
    let pages = maxSize > 0 ? max(maxSize / pageSize, 1) : 4_294_967_294
    _ = try db.scalarText("PRAGMA max_page_count = \(pages)")
  }

  /// The writer's hold on the database file, when the store has one: each
  /// transaction first checks that the configured path still names the
  /// file that was opened.
  public var file: DatabaseFile?

  /// Starts a write transaction. Throws `DatabaseFile.Problem.replaced`
  /// when the database was deleted or replaced since it was opened.
  public func begin() throws {
    try file?.checkUnchanged()
    try db.execute("BEGIN IMMEDIATE")
  }
  /// Commits the write transaction. When the write-ahead log has grown past
  /// `writeAheadLogLimit` (SQLite's automatic checkpoints could not keep up,
  /// or a reader's long transaction held them back), it is checkpointed and
  /// truncated, unless a reader still needs it: then it is left for the
  /// next commit, and `outlierd status --check` warns.
  public func commit() throws(SQLiteError) {
    try db.execute("COMMIT")
    knownRows.commit()
    var info = stat()
    if stat(path + "-wal", &info) == 0 && Int(info.st_size) > Self.writeAheadLogLimit {
      _ = db.checkpointTruncatingWithoutWaiting()
    }
  }

  /// The size past which the write-ahead log is truncated after a commit,
  /// and to which SQLite cuts it back after a checkpoint
  /// (`journal_size_limit`): a reader that held a transaction open for
  /// minutes could otherwise leave it gigabytes large until a restart.
  public static let writeAheadLogLimit = 64 << 20
  public func rollback() {
    if db.isInTransaction { try? db.execute("ROLLBACK") }
    knownRows.rollback()
  }

  public func addFile(name: String, size: Int, sha256: String, at time: Double) throws(SQLiteError) -> Int64 {
    try insertFile.bind(.text(name), .integer(Int64(size)), .text(sha256), .real(time)).run()
    return db.lastInsertRowID
  }

  public func finishFile(id: Int64, accepted: Int, rejected: Int, alerts: Int) throws(SQLiteError) {
    try updateFile.bind(
      .integer(Int64(accepted)), .integer(Int64(rejected)), .integer(Int64(alerts)), .integer(id)
    )
    .run()
  }

  public func addSeries(name: String, at time: Double) throws(SQLiteError) -> Int64 {
    try insertSeries.bind(.text(name), .real(0), .real(time)).run()
    // Row keys hold the id in 32 bits; ids are assigned from 1 upwards and
    // input.max_series is at most 100 million.
    precondition(db.lastInsertRowID < 1 << 32, "series id \(db.lastInsertRowID) does not fit a row key")
    return db.lastInsertRowID
  }

  /// Writes a series' newest time, count and track.
  public func saveSeries(_ state: SeriesState) throws {
    try saveSeries(id: state.id, newest: state.newest, samples: state.samples, track: state.track)
  }

  /// Writes a series' newest time, count and track (a BLOB, TrackCoding;
  /// NULL while it is empty).
  public func saveSeries(id: Int64, newest: Double, samples: Int64, track: SeriesTrack) throws {
    let blob: SQLiteValue = track.isEmpty ? .null : .blob(TrackCoding.encode(track))
    try updateSeries.bind(.real(newest), .integer(samples), blob, .integer(id)).run()
  }

  public func openIncident(series: String, sign: Int, at time: Double, peak: Double, kind: AlertKind = .point)
    throws(SQLiteError) -> Int64
  {
    try insertIncident.bind(
      .text(series), .integer(Int64(sign)), .real(time), .real(time), .real(peak), .text(kind.rawValue)
    ).run()
    return db.lastInsertRowID
  }

  public func saveIncident(id: Int64, _ incident: SeriesTrack.OpenIncident, closed: Bool) throws(SQLiteError)
  {
    try updateIncident.bind(
      .real(incident.end), .real(incident.peak), .integer(Int64(incident.alerts)), .integer(closed ? 1 : 0),
      .real(incident.evidence), .text(incident.severity.rawValue),
      incident.criticalAt > 0 ? .real(incident.criticalAt) : .null, .integer(id)
    ).run()
  }

  public func addEvent(_ event: SeriesEvent, fileID: Int64?) throws(SQLiteError) {
    try insertEvent.bind(
      .text(event.series), .real(event.time), .text(event.kind), .text(event.detail),
      fileID.map { .integer($0) } ?? .null
    ).run()
  }

  public func addAlert(_ alert: Alert, fileID: Int64) throws(SQLiteError) {
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
      alert.learned.map { .real($0) } ?? .null, alert.unclipped.map { .real($0) } ?? .null
    ).run()
  }

  /// A slot relearned a sample as it was (`ClippedRun`): its alert, if it
  /// has one, records that the slot now holds the value itself.
  public func relearnedAlert(series: String, at time: Double, learned: Double) throws(SQLiteError) {
    try db.prepare("UPDATE alerts SET learned = ? WHERE series = ? AND ts = ? AND kind = 'point'")
      .bind(.real(learned), .text(series), .real(time)).run()
  }

  /// A slot started over: what it learned of the series' earlier alerts in
  /// it is gone, and feedback on them can no longer be exact.
  public func forgetLearned(series: String, slot: Int, before time: Double) throws(SQLiteError) {
    try db.prepare(
      "UPDATE alerts SET learned = NULL, unclipped = NULL WHERE series = ? AND slot = ? AND ts < ? AND kind = 'point'"
    ).bind(.text(series), .integer(Int64(slot)), .real(time)).run()
  }

  /// Appends to each place of a `samples` row its new (time, value) pairs:
  /// place p's are `pairs[2 * starts[p] ..< 2 * starts[p + 1]]`.
  public func appendHistory(key: Int64, pairs: UnsafeBufferPointer<Double>, starts: ArraySlice<Int>) throws {
    let s = selectHistory.bind(.integer(key))
    if try s.step() {
      s.withBlob(0) { HistoryRow.merge($0, newPairs: pairs, starts: starts, into: &historyRow) }
      _ = try s.step()
    } else {
      HistoryRow.merge(nil, newPairs: pairs, starts: starts, into: &historyRow)
    }
    try historyRow.withUnsafeBytes { try upsertHistory.bind(key, blob: $0).run() }
  }

  /// Drops every series' history before an hour.
  public func pruneHistory(before hour: Int64) throws(SQLiteError) {
    try pruneSamples.bind(.integer(RowLayout.key(time: hour, series: 0))).run()
  }

  /// Deletes the records older than `retention`: alerts, closed incidents
  /// and events by their sample time before `dataTime`; rejected lines and
  /// ledger rows of files applied before `clockTime`, except files that
  /// alerts still name. The model (slots, series) is never pruned. A file
  /// whose ledger row is gone would be applied again if re-sent, but its
  /// samples are then not newer than their series' and are rejected: none
  /// counts twice.
  public func pruneRecords(dataBefore dataTime: Double, filesBefore clockTime: Double) throws(SQLiteError) {
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

  /// A series' stored samples between two times, oldest first.
  public static func history(
    _ db: SQLiteDatabase, series: Int64, from: Double, to: Double
  ) throws(SQLiteError) -> [(time: Double, value: Double)] {
    // One lookup per stored hour in the range: the key leads with the hour.
    let place = RowLayout.place(of: series)
    let bounds = try db.prepare("SELECT min(key) >> 32, max(key) >> 32 FROM samples")
    guard try bounds.step(), !bounds.isNull(0) else { return [] }
    func hour(_ t: Double) -> Int64 { Int64(min(max((t / 3600).rounded(.down), -1e15), 1e15)) }
    let first = max(hour(from), bounds.int64(0))
    let last = min(hour(to), bounds.int64(1))
    _ = try bounds.step()
    guard first <= last else { return [] }
    let statement = try db.prepare("SELECT data FROM samples WHERE key = ?")
    var result: [(Double, Double)] = []
    for hour in first...last {
      guard try statement.bind(.integer(RowLayout.key(time: hour, series: series))).step() else { continue }
      let pairs = statement.withBlob(0) { HistoryRow.pairs(in: $0, place: place) }
      result.append(contentsOf: pairs.filter { $0.time >= from && $0.time <= to })
    }
    return result
  }

  public func addRejection(_ rejection: RejectedLine, fileID: Int64) throws(SQLiteError) {
    try insertRejection.bind(
      .integer(fileID), .integer(Int64(rejection.line)), .text(rejection.reason.kind),
      .text(rejection.reason.description), .text(rejection.text)
    ).run()
  }
}
