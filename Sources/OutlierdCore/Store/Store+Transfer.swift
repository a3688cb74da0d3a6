import Foundation

/// Moving series between instances (a fleet re-sharded): export from one
/// database, import into another, drop from the first. See
/// `SeriesTransfer` for the file.
extension Store {
  package struct TransferRefused: Error, CustomStringConvertible {
    package var description: String
  }

  /// Which series to export: those a shell glob matches, or by name
  /// (names that are not series are ignored).
  package enum Selection: Sendable {
    case glob(String)
    case names([String])
  }

  /// The selected series, read in one read transaction of `db` (read-only:
  /// a running daemon keeps writing), with everything they judge with and
  /// the records of their open incidents.
  package static func exportSeries(
    _ db: SQLiteDatabase, path: String, _ selection: Selection, now: Double = Date().timeIntervalSince1970
  ) throws -> SeriesTransfer {
    guard let calendar = try storedCalendar(db) else {
      throw TransferRefused(description: "\(path) has no calendar: not an outlierd database, or never used")
    }
    return try db.transaction {
      let source = try db.scalarText("SELECT value FROM meta WHERE key = 'database_id'") ?? ""
      let columns = "SELECT id, name, created_at, newest_ts, samples, track FROM series"
      var queries: [SQLiteStatement] = []
      switch selection {
      case .glob(let glob):
        queries = [try db.prepare(columns + " WHERE name GLOB ? ORDER BY name").bind(.text(glob))]
      case .names(let names):
        queries = try Set(names).sorted().map { try db.prepare(columns + " WHERE name = ?").bind(.text($0)) }
      }
      let blockRead = try db.prepare(selectSlotRow)
      let blocks = (calendar.period / calendar.slotWidth + SlotBlock.size - 1) / SlotBlock.size
      var series: [SeriesTransfer.Series] = []
      for list in queries {
        while try list.step() {
          let id = list.int64(0)
          let name = list.text(1) ?? ""
          var held: [SeriesTransfer.Block] = []
          for block in 0..<blocks {
            guard let stored = try storedBlock(blockRead, series: id, block: block), !stored.learned.isEmpty
            else { continue }
            held.append(SeriesTransfer.Block(index: block, slots: Data(stored.encoded())))
          }
          var history = Data()
          for (time, value) in try Self.history(db, series: id, from: -.infinity, to: .infinity) {
            withUnsafeBytes(of: time.bitPattern.littleEndian) { history.append(contentsOf: $0) }
            withUnsafeBytes(of: value.bitPattern.littleEndian) { history.append(contentsOf: $0) }
          }
          let incidents = try rows(
            db, "SELECT * FROM incidents WHERE series = ? AND closed = 0 ORDER BY id", name)
          let alerts = try rows(
            db,
            "SELECT * FROM alerts WHERE incident_id IN (SELECT id FROM incidents WHERE series = ?1 AND closed = 0) ORDER BY id",
            name)
          let events = try rows(db, "SELECT * FROM events WHERE series = ? ORDER BY rowid", name)
          series.append(
            SeriesTransfer.Series(
              name: name, createdAt: list.double(2), newest: list.double(3), samples: list.int64(4),
              track: list.isNull(5) ? nil : list.withBlob(5) { Data($0) }, blocks: held, history: history,
              incidents: incidents, alerts: alerts, events: events))
        }
      }
      return SeriesTransfer(
        version: OutlierdVersion.version, schema: OutlierdVersion.schema,
        trackFormat: OutlierdVersion.trackFormat,
        period: calendar.period, slotWidth: calendar.slotWidth, timeZone: calendar.timeZone, source: source,
        exportedAt: now, series: series)
    }
  }

  /// The rows a query returns, every column.
  static func rows(_ db: SQLiteDatabase, _ sql: String, _ parameter: String) throws -> [SeriesTransfer.Row] {
    let statement = try db.prepare(sql).bind(.text(parameter))
    var rows: [SeriesTransfer.Row] = []
    while try statement.step() {
      let columns = (0..<statement.columnCount).map { statement.columnName($0) }
      rows.append(
        SeriesTransfer.Row(
          columns: columns, values: (0..<statement.columnCount).map { .init(statement.value($0)) }))
    }
    return rows
  }

  /// Adds the series of `transfer` to this database, in one transaction,
  /// as they were at the source: the same track (its open incidents
  /// renumbered here), slots, history, open incidents with their alerts,
  /// and events. The file is entered in the ledger (`files`, by its
  /// SHA-256), so the same file is never imported twice; a series that
  /// exists here already, another calendar, schema or track format is
  /// refused, naming it, and nothing is imported. Returns the names.
  ///
  /// Only with the daemon stopped: it holds series in memory.
  package func importSeries(
    _ transfer: SeriesTransfer, file: String, sha256: String, size: Int,
    now: Double = Date().timeIntervalSince1970
  ) throws -> [String] {
    guard transfer.schema == OutlierdVersion.schema, transfer.trackFormat == OutlierdVersion.trackFormat
    else {
      throw TransferRefused(
        description:
          "\(file) was exported by outlierd \(transfer.version) (schema \(transfer.schema), track \(transfer.trackFormat)); this is \(OutlierdVersion.description): run the same version on both instances"
      )
    }
    guard let here = try Self.storedCalendar(db) else {
      throw TransferRefused(description: "\(path) has no calendar: not an outlierd database")
    }
    var differences: [String] = []
    if transfer.period != here.period {
      differences.append("period \(transfer.period) s, here \(here.period) s")
    }
    if transfer.slotWidth != here.slotWidth {
      differences.append("slot_width \(transfer.slotWidth) s, here \(here.slotWidth) s")
    }
    if transfer.timeZone != here.timeZone {
      differences.append("time_zone \(transfer.timeZone), here \(here.timeZone)")
    }
    guard differences.isEmpty else {
      throw TransferRefused(
        description:
          "\(file) comes from an instance with another calendar (\(differences.joined(separator: "; "))): its slots would mean other times here; import it into an instance with the same [calendar]"
      )
    }
    return try transaction {
      if let entry = try ledgerEntry(sha256: sha256) {
        throw TransferRefused(
          description:
            "\(file) was imported already (files #\(entry.id), the same SHA-256): nothing imported again")
      }
      let exists = try db.prepare("SELECT 1 FROM series WHERE name = ?")
      for series in transfer.series where try exists.bind(.text(series.name)).step() {
        throw TransferRefused(
          description:
            "\(series.name) exists here already: nothing imported (drop it here first with `outlierd series drop`, if this file's copy is the one to keep)"
        )
      }
      let fileID = try addFile(name: "import:" + file, size: size, sha256: sha256, at: now)
      var alerts = 0
      for series in transfer.series {
        alerts += try importOne(series, fileID: fileID, from: transfer.source, now: now)
      }
      try finishFile(id: fileID, accepted: 0, rejected: 0, alerts: alerts)
      return transfer.series.map(\.name)
    }
  }

  private func importOne(_ series: SeriesTransfer.Series, fileID: Int64, from source: String, now: Double)
    throws
    -> Int
  {
    let id = try addSeries(name: series.name, at: series.createdAt)
    // Open incidents get ids here; the track and the alerts follow them.
    var renumbered: [Int64: Int64] = [:]
    for row in series.incidents {
      guard case .integer(let old)? = row["id"] else { continue }
      try insert(row, into: "incidents", changing: [:])
      renumbered[old] = db.lastInsertRowID
    }
    for row in series.alerts {
      var changes: [String: SQLiteValue] = ["file_id": .integer(fileID)]
      if case .integer(let old)? = row["incident_id"], let new = renumbered[old] {
        changes["incident_id"] = .integer(new)
      }
      try insert(row, into: "alerts", changing: changes)
    }
    for row in series.events {
      try insert(row, into: "events", changing: ["file_id": .null])
    }
    var track = SeriesTrack()
    if let blob = series.track {
      guard let decoded = blob.withUnsafeBytes({ TrackCoding.decode(blob: $0) }) else {
        throw TransferRefused(description: "\(series.name): its track cannot be read: nothing imported")
      }
      track = decoded
    }
    if let old = track.incident?.id { track.incident?.id = renumbered[old] ?? old }
    if let old = track.varianceIncident?.id { track.varianceIncident?.id = renumbered[old] ?? old }
    try saveSeries(id: id, newest: series.newest, samples: series.samples, track: track)

    var slots: [SlotRegression] = []
    var held: [HeldBlock] = []
    for block in series.blocks {
      held.append(HeldBlock(series: id, block: Int32(block.index), start: slots.count))
      block.slots.withUnsafeBytes { SlotBlock.decode($0, appendingTo: &slots) }
    }
    try saveSlots(held, from: slots)

    // History, an hour per row as the daemon writes it.
    var pairs: [Double] = []
    series.history.withUnsafeBytes { raw in
      for k in 0..<raw.count / 8 {
        pairs.append(
          Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * k, as: UInt64.self))))
      }
    }
    var start = 0
    let place = RowLayout.place(of: id)
    while start < pairs.count / 2 {
      let hour = Int64((pairs[2 * start] / 3600).rounded(.down))
      var end = start
      while end < pairs.count / 2 && Int64((pairs[2 * end] / 3600).rounded(.down)) == hour { end += 1 }
      let count = end - start
      let starts =
        Array(repeating: 0, count: place + 1) + Array(repeating: count, count: RowLayout.seriesPerRow - place)
      try Array(pairs[2 * start..<2 * end]).withUnsafeBufferPointer {
        try appendHistory(key: RowLayout.key(time: hour, series: id), pairs: $0, starts: starts[...])
      }
      start = end
    }
    try addEvent(
      SeriesEvent(
        series: series.name, time: now, kind: "imported",
        detail:
          "moved here with its model from instance \(source.prefix(8)) (\(series.samples) samples, \(series.blocks.count) blocks, \(series.incidents.count) open incident(s))"
      ), fileID: fileID)
    return series.alerts.count
  }

  /// Inserts an exported row into `table`, without its `id` (the table
  /// numbers it) and with `changing`'s columns replaced.
  private func insert(_ row: SeriesTransfer.Row, into table: String, changing: [String: SQLiteValue]) throws {
    var columns: [String] = []
    var values: [SQLiteValue] = []
    for (column, value) in zip(row.columns, row.values) where column != "id" {
      columns.append(column)
      values.append(changing[column] ?? value.sqlite)
    }
    let quoted = columns.map { "\"\($0)\"" }.joined(separator: ", ")
    let marks = Array(repeating: "?", count: columns.count).joined(separator: ", ")
    try db.prepare("INSERT INTO \(table) (\(quoted)) VALUES (\(marks))").bind(values).run()
  }

  /// Removes a series from this database after it moved: its row, slots
  /// and history, and its open incidents with their alerts (they live on
  /// where it moved; closed ones stay here as the record). A `dropped`
  /// event is recorded. Inside a transaction; only with the daemon stopped.
  package func dropSeries(named name: String, now: Double = Date().timeIntervalSince1970) throws -> Bool {
    let find = try db.prepare("SELECT id FROM series WHERE name = ?").bind(.text(name))
    guard try find.step() else { return false }
    let id = find.int64(0)
    _ = try find.step()
    try clearSlots(series: id)
    let rows = try db.prepare("SELECT key, data FROM samples WHERE (key & 4294967295) = ?")
      .bind(.integer(RowLayout.group(of: id)))
    var rewritten: [(Int64, [UInt8])] = []
    while try rows.step() {
      rewritten.append(
        (rows.int64(0), rows.withBlob(1) { HistoryRow.removing(place: RowLayout.place(of: id), from: $0) }))
    }
    for (key, bytes) in rewritten { try upsertHistory.run(key, blob: bytes) }
    try db.prepare(
      "DELETE FROM alerts WHERE incident_id IN (SELECT id FROM incidents WHERE series = ?1 AND closed = 0)"
    ).bind(.text(name)).run()
    try db.prepare("DELETE FROM incidents WHERE series = ? AND closed = 0").bind(.text(name)).run()
    try db.prepare("DELETE FROM series WHERE id = ?").bind(.integer(id)).run()
    try addEvent(
      SeriesEvent(series: name, time: now, kind: "dropped", detail: "removed on request, after it moved"),
      fileID: nil)
    return true
  }
}
