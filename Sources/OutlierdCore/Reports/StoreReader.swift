import Foundation

/// Read-only access to a database for the operator's commands. Opens the
/// file read-only: it can run beside the daemon and never blocks it.
package final class StoreReader {
  package let path: String
  package let db: SQLiteDatabase
  package let calendar: SlotCalendar

  package struct NotFound: Error, CustomStringConvertible {
    package var description: String
  }

  package init(path: String) throws {
    var info = stat()
    guard stat(path, &info) == 0 else {
      if errno == ENOENT {
        throw NotFound(description: "no database at \(path): has outlierd run with this configuration yet?")
      }
      throw NotFound(description: "\(path): \(String(cString: strerror(errno)))")
    }
    // SQLite would block forever opening a FIFO, and fail oddly on others.
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw NotFound(
        description:
          "\(path) is a \(FileSystem.kind(ofMode: info.st_mode)), not a database file; check --database or [storage] database"
      )
    }
    guard access(path, R_OK) == 0 else {
      throw NotFound(
        description:
          "\(path): permission denied; the database is readable by the outlierd group (ask for membership, or use sudo)"
      )
    }
    self.path = path
    db = try SQLiteDatabase(path: path, readOnly: true)
    db.setBusyTimeout(milliseconds: 5000)
    let storedCalendar: (period: Int, slotWidth: Int, timeZone: String)?
    do {
      storedCalendar = try Store.storedCalendar(path: path)
    } catch let error as SQLiteError {
      throw NotFound(
        description:
          "\(path) is not an outlierd database (SQLite: \(error.message)); check --database or [storage] database"
      )
    }
    guard let stored = storedCalendar else {
      throw NotFound(description: "\(path) has no calendar: not an outlierd database, or never started")
    }
    calendar = try SlotCalendar(period: stored.period, slotWidth: stored.slotWidth, timeZone: stored.timeZone)
  }

  package var zone: TimeZone { TimeZone(identifier: calendar.timeZoneIdentifier) ?? .gmt }

  package struct AlertRow: Sendable {
    package var series: String
    package var time: Double
    package var value, expected, lower, upper, score, pValue, samples: Double
    package var slot: Int
    package var z: Double?
    package var incident: Int64?
    package var id: Int64 = 0
  }

  /// The level shifts confirmed for a series, oldest first: when, and by
  /// what ratio its slots were rescaled then (none recorded before
  /// migration 18).
  package func confirmedShifts(series: String) throws -> [(time: Double, ratio: Double)] {
    guard try db.scalarText("SELECT count(*) FROM pragma_table_info('events') WHERE name = 'ratio'") == "1"
    else {
      return []
    }
    let s = try db.prepare(
      "SELECT ts, ratio FROM events WHERE series = ? AND kind = 'shift_confirmed' AND ratio IS NOT NULL ORDER BY ts"
    ).bind(.text(series))
    var shifts: [(Double, Double)] = []
    while try s.step() { shifts.append((s.double(0), s.double(1))) }
    return shifts
  }

  /// The point alerts of an incident that have no feedback yet, oldest
  /// first; nil when there is no such incident.
  package func alertsAwaitingFeedback(incident id: Int64) throws -> [Int64]? {
    guard try db.prepare("SELECT 1 FROM incidents WHERE id = ?").bind(.integer(id)).step() else { return nil }
    let s = try db.prepare(
      "SELECT id FROM alerts WHERE incident_id = ? AND kind = 'point' AND feedback IS NULL ORDER BY id"
    ).bind(.integer(id))
    var ids: [Int64] = []
    while try s.step() { ids.append(s.int64(0)) }
    return ids
  }

  package func alerts(seriesGlob: String?, since: Double?, limit: Int) throws -> [AlertRow] {
    var sql =
      "SELECT series, ts, value, expected, lower, upper, score, p_value, n, slot, z, incident_id, id FROM alerts WHERE 1"
    var values: [SQLiteValue] = []
    Self.filter(&sql, &values, seriesGlob: seriesGlob, since: since, timeColumn: "ts")
    sql += " ORDER BY ts DESC, id DESC LIMIT ?"
    values.append(.integer(Int64(limit)))
    let statement = try db.prepare(sql)
    statement.bind(values)
    var rows: [AlertRow] = []
    while try statement.step() {
      rows.append(
        AlertRow(
          series: statement.text(0) ?? "", time: statement.double(1), value: statement.double(2),
          expected: statement.double(3), lower: statement.double(4), upper: statement.double(5),
          score: statement.double(6), pValue: statement.double(7), samples: statement.double(8),
          slot: Int(statement.int64(9)), z: statement.isNull(10) ? nil : statement.double(10),
          incident: statement.isNull(11) ? nil : statement.int64(11), id: statement.int64(12)))
    }
    return rows
  }

  /// Appends the lists' filters to a query ending in `WHERE 1`.
  static func filter(
    _ sql: inout String, _ values: inout [SQLiteValue], seriesGlob: String?, since: Double?,
    timeColumn: String
  ) {
    if let seriesGlob {
      sql += " AND series GLOB ?"
      values.append(.text(seriesGlob))
    }
    if let since {
      sql += " AND \(timeColumn) >= ?"
      values.append(.real(since))
    }
  }

  package struct IncidentRow: Sendable {
    package var id: Int64
    package var series: String
    package var direction: Int
    package var start, end, peak: Double
    package var alerts: Int
    package var closed: Bool
    package var severity: IncidentSeverity
    package var kind: AlertKind
  }

  /// Incidents, newest first.
  package func incidents(seriesGlob: String?, since: Double?, openOnly: Bool, limit: Int) throws
    -> [IncidentRow]
  {
    // A database the daemon has not migrated yet (version 10 or older)
    // has no severity: its incidents are warnings.
    let version = Int(try db.scalarText("PRAGMA user_version") ?? "0") ?? 0
    let severity = version >= 11 ? "severity" : "'warning'"
    let kind = version >= 13 ? "kind" : "'point'"
    var sql =
      "SELECT id, series, direction, start_ts, end_ts, peak_score, alerts, closed, \(severity), \(kind) FROM incidents WHERE 1"
    var values: [SQLiteValue] = []
    Self.filter(&sql, &values, seriesGlob: seriesGlob, since: since, timeColumn: "end_ts")
    if openOnly { sql += " AND closed = 0" }
    sql += " ORDER BY start_ts DESC, id DESC LIMIT ?"
    values.append(.integer(Int64(limit)))
    let s = try db.prepare(sql).bind(values)
    var rows: [IncidentRow] = []
    while try s.step() {
      rows.append(
        IncidentRow(
          id: s.int64(0), series: s.text(1) ?? "", direction: Int(s.int64(2)), start: s.double(3),
          end: s.double(4),
          peak: s.double(5), alerts: Int(s.int64(6)), closed: s.int64(7) != 0,
          severity: IncidentSeverity(rawValue: s.text(8) ?? "") ?? .warning,
          kind: AlertKind(rawValue: s.text(9) ?? "") ?? .point))
    }
    return rows
  }

  package struct SeriesRow: Sendable {
    package var name: String
    package var samples: Int64
    package var newest: Double
    package var slotsWarm = 0
    package var slotsLearning = 0
    package var stale: Bool
    package var openIncident: Int64?
    /// The noise family its alerts are judged by now (`NoiseModel`).
    package var family: NoiseFamily = .additive
  }

  /// Series matching a glob (all when nil), by name, with their warm slots
  /// (as many samples as their rules need to judge) and learning ones.
  package func seriesList(glob: String?, settings: Settings) throws -> [SeriesRow] {
    let s = try db.prepare(
      "SELECT id, name, samples, newest_ts, track FROM series" + (glob == nil ? "" : " WHERE name GLOB ?")
        + " ORDER BY name")
    if let glob { s.bind(.text(glob)) }
    var rows: [SeriesRow] = []
    var byID: [Int64: Int] = [:]
    var minimum: [Int64: Double] = [:]
    while try s.step() {
      let name = s.text(1) ?? ""
      let track = try TrackCoding.read(s, column: 4, path: path, series: name, id: s.int64(0))
      byID[s.int64(0)] = rows.count
      minimum[s.int64(0)] = Double(settings.rules(forSeries: name).minimumSamples) * (1 - 1e-12)
      rows.append(
        SeriesRow(
          name: name, samples: s.int64(2), newest: s.double(3), stale: track.stale,
          openIncident: track.incident?.id, family: track.noise.family(everNegative: track.everNegative)))
    }
    guard !rows.isEmpty else { return [] }
    try Store.forEachStoredBlock(db) { id, block in
      guard let index = byID[id], let needed = minimum[id] else { return }
      for (_, slot) in block.learned {
        if slot.weight >= needed { rows[index].slotsWarm += 1 } else { rows[index].slotsLearning += 1 }
      }
    }
    return rows
  }

  package func series(named name: String) throws -> SeriesState? {
    let statement = try db.prepare("SELECT id, newest_ts, samples, track FROM series WHERE name = ?")
    statement.bind(.text(name))
    guard try statement.step() else { return nil }
    return SeriesState(
      id: statement.int64(0), newest: statement.double(1), samples: statement.int64(2),
      track: try TrackCoding.read(statement, column: 3, path: path, series: name, id: statement.int64(0)))
  }

  /// One block of a series' slots, if it was ever written.
  private func block(series: Int64, block: Int) throws -> SlotBlock? {
    guard let found = try Store.storedBlock(try selectBlock(), series: series, block: block) else {
      return nil
    }
    return found.learned.isEmpty ? nil : found
  }

  private var blockStatement: SQLiteStatement?
  private func selectBlock() throws -> SQLiteStatement {
    if let blockStatement { return blockStatement }
    let statement = try db.prepare(Store.selectSlotRow)
    blockStatement = statement
    return statement
  }

  package func slot(series: Int64, slot: Int) throws -> SlotRegression? {
    try block(series: series, block: slot / SlotBlock.size)?.slots[slot % SlotBlock.size]
  }

  /// Every slot of a series that has learned something, by slot index.
  package func slots(series: Int64) throws -> [Int: SlotRegression] {
    // One lookup per block: the key leads with the block.
    var result: [Int: SlotRegression] = [:]
    for index in 0..<(calendar.slotCount + SlotBlock.size - 1) / SlotBlock.size {
      guard let found = try block(series: series, block: index) else { continue }
      for (i, slot) in found.learned {
        result[index * SlotBlock.size + i] = slot
      }
    }
    return result
  }

  /// The pooled noise of the block a slot belongs to, when pooling is on.
  package func noisePool(series: Int64, slot: Int, poolSlots: Int, trendAfter: Int) throws -> NoisePool? {
    guard poolSlots > 1 else { return nil }
    var loaded: (number: Int, block: SlotBlock?) = (-1, nil)
    var members: [NoisePool] = []
    for member in NoisePool.slots(
      ofPool: slot / poolSlots, poolSlots: poolSlots, slotCount: calendar.slotCount)
    {
      if member / SlotBlock.size != loaded.number {
        loaded = (member / SlotBlock.size, try block(series: series, block: member / SlotBlock.size))
      }
      members.append(
        NoisePool.contribution(
          of: loaded.block?.slots[member % SlotBlock.size] ?? SlotRegression(), trendAfter: Double(trendAfter)
        ))
    }
    return PoolSums.total(of: members, poolSlots: poolSlots)
  }

  package func history(series: Int64, from: Double, to: Double) throws -> [(time: Double, value: Double)] {
    try Store.history(db, series: series, from: from, to: to)
  }

  package struct Status: Sendable {
    package var series = 0
    package var slotsWarm = 0
    package var slotsCold = 0
    package var files = 0
    package var samples: Int64 = 0
    package var lastFile: String?
    package var lastFileAt: Double?
    package var newestSample: Double?
    package var alertsLastDay = 0
    package var databaseBytes: Int64 = 0
    package var openIncidents = 0
    /// Lines rejected in files applied in the last 24 hours (by the clock).
    package var rejectedLinesLastDay = 0
    /// Series marked stale (no sample for `stale_after`).
    package var staleSeries = 0
  }

  /// A summary; a slot is warm once it has the samples its series' rules need.
  package func status(settings: Settings, now: Double) throws -> Status {
    var status = Status()
    let series = try db.prepare("SELECT id, name, samples, newest_ts, track FROM series")
    var minimum: [Int64: Double] = [:]
    while try series.step() {
      status.series += 1
      status.samples += series.int64(2)
      minimum[series.int64(0)] = Double(settings.rules(forSeries: series.text(1) ?? "").minimumSamples)
      status.newestSample = max(status.newestSample ?? series.double(3), series.double(3))
      let track = try TrackCoding.read(
        series, column: 4, path: path, series: series.text(1) ?? "", id: series.int64(0))
      if track.stale { status.staleSeries += 1 }
    }
    try Store.forEachStoredBlock(db) { id, block in
      let needed = (minimum[id] ?? Double(settings.minSamples)) * (1 - 1e-12)
      for (_, slot) in block.learned {
        if slot.weight >= needed { status.slotsWarm += 1 } else { status.slotsCold += 1 }
      }
    }
    let files = try db.prepare(
      "SELECT count(*), (SELECT name FROM files ORDER BY id DESC LIMIT 1), max(ingested_at) FROM files")
    if try files.step() {
      status.files = Int(files.int64(0))
      status.lastFile = files.text(1)
      status.lastFileAt = files.isNull(2) ? nil : files.double(2)
      _ = try files.step()
    }
    let counts = try db.prepare(
      "SELECT (SELECT count(*) FROM incidents WHERE closed = 0), (SELECT coalesce(sum(lines_rejected), 0) FROM files WHERE ingested_at >= ?)"
    ).bind(.real(now - 86_400))
    if try counts.step() {
      status.openIncidents = Int(counts.int64(0))
      status.rejectedLinesLastDay = Int(counts.int64(1))
    }
    let alerts = try db.prepare("SELECT count(*) FROM alerts WHERE ts >= ?")
    alerts.bind(.real(now - 86_400))
    if try alerts.step() { status.alertsLastDay = Int(alerts.int64(0)) }
    for suffix in ["", "-wal"] {
      if let size = (try? FileManager.default.attributesOfItem(atPath: path + suffix))?[.size] as? NSNumber {
        status.databaseBytes += size.int64Value
      }
    }
    return status
  }
}
