import Foundation

/// Applies spool files to the store, one SQLite transaction per batch of
/// files (`begin`, `apply` for each file, `commit`): every accepted sample
/// is scored against its slot and learned, and the slots, the series'
/// newest timestamps, the alerts, the rejections and the ledger rows
/// commit together or not at all.
public final class Ingestor {
  public private(set) var settings: Settings
  public let calendar: SlotCalendar
  public let store: Store
  /// Every known series, numbered in order of arrival. Lent to the open
  /// batch (which adds its new series) and given back after it.
  var index: SeriesIndex
  /// Committed state of every known series, by its number in `index`.
  var states: [SeriesState]
  /// Each series' place in the open batch's `touched` list, -1 when not
  /// touched; lent to each batch like `index`, so it is not allocated per batch.
  private var positions: [Int32] = []
  /// Scoring rules by series number, resolved from the overrides once.
  private var rulesBySeries: [Int32: ScoringRules] = [:]
  /// The rules of every series when no override is configured.
  private var defaultRules: ScoringRules
  /// Committed blocks of slots kept between batches: the block of each
  /// series' newest slot and those its noise pool spans. Samples arrive in
  /// time order, so the next file most likely needs them, and they need not
  /// be read back from SQLite. The store is written by this process alone,
  /// so the copies stay true; a rolled-back batch never reaches them. 8 k
  /// blocks of 0.8 KB: the cache pays off for files shorter than a block (an
  /// hour) and for the neighbours a pool spans; past it, series read their
  /// blocks back from SQLite.
  private var blockCache = BlockCache(capacity: 8192)

  /// The newest hour whose history pruning ran.
  var prunedThrough: Int64 = .min

  public struct Cancelled: Error {}

  struct BlockKey: Hashable {
    var series: Int64
    var block: Int32
  }

  /// A series a batch touches, with where its last block and pool sit in
  /// the batch's arrays: consecutive samples of a series mostly hit the same
  /// ones, which then cost no hash lookup. Plain data, so reading it per
  /// sample copies no references; the series' track is in the batch's
  /// `tracks`, at the same position.
  struct TouchedSeries {
    var number: Int32
    var id: Int64
    var newest: Double
    var samples: Int64
    /// The track has an open incident or is marked stale: the uncommon
    /// case that needs a look before each sample.
    var watched: Bool
    var lastBlock: (block: Int32, index: Int)? = nil
    var lastPool: (block: Int32, index: Int)? = nil
    var lastHour: (hour: Int64, index: Int)? = nil

    init(number: Int32, state: SeriesState) {
      self.number = number
      id = state.id
      newest = state.newest
      samples = state.samples
      watched = state.track.incident != nil || state.track.stale
    }
  }

  /// The state one batch's transaction changes, written at its end (or
  /// earlier, in part, when its working set is full).
  struct Batch {
    unowned let ingestor: Ingestor
    var fileID: Int64
    var index: SeriesIndex
    var positions: [Int32]
    var touched: [TouchedSeries] = []
    var tracks: [SeriesTrack] = []
    /// The slots of the blocks the batch holds, flat: block i's at
    /// `i * SlotBlock.size`. One array of plain values, so a sample's slot
    /// is changed in place, with no block copied or reference counted.
    var slots: [SlotRegression] = []
    var blockKeys: [BlockKey] = []
    /// The rows read or written, as the transaction sees them. 64 rows
    /// (0.5 MB) hold those of the series a file brings side by side; more
    /// measured no faster, and cost memory.
    var rows = SlotRowCache(capacity: 64)
    /// Reused for each row read or written.
    var row: [UInt8] = []
    var blockIndex: [BlockKey: Int] = [:]
    /// Whether the batch changed a block: pool sums also load blocks they
    /// only read, and those are not written back.
    var blockChanged: [Bool] = []
    /// Noise pools (by series and pool number), built from their slots on
    /// first use in the batch and then kept up to date sample by sample.
    var pools: PoolSums
    var poolIndex: [BlockKey: Int] = [:]
    /// Reused for the members of each pool built.
    var members: [NoisePool] = []
    /// Once blocks went to SQLite mid-batch, the ingestor's cache (committed
    /// state) may be older than them and is not read again in this batch.
    var spilled = false
    /// New raw samples for the history.
    var history = HistoryBuffer()
    var incidents: [Int64: (series: String, incident: SeriesTrack.OpenIncident, closed: Bool)] = [:]
    /// The newest accepted sample of the batch's files.
    var newestSample: Double?

    init(ingestor: Ingestor, fileID: Int64, index: SeriesIndex, positions: [Int32]) {
      self.ingestor = ingestor
      self.fileID = fileID
      self.index = index
      self.positions = positions
      store = ingestor.store
      settings = ingestor.settings
      calendar = ingestor.calendar
      sharedRules = ingestor.settings.overrides.isEmpty ? ingestor.defaultRules : nil
      pools = PoolSums(poolSlots: ingestor.settings.poolSlots)
      // Sized once: growing them batch after batch showed as rehashing.
      blockIndex.reserveCapacity(Self.workingSetLimit)
      poolIndex.reserveCapacity(Self.workingSetLimit)
      // The working set's arrays too, and to their bound: grown by
      // doubling, each would pass through twice its need, the old and the
      // new buffer alive at once (the heap profile's peak). Reserved pages
      // cost no memory until used.
      slots.reserveCapacity(Self.workingSetLimit * SlotBlock.size)
      pools.reserveCapacity(pools: Self.workingSetLimit)
    }

    // Held directly: reaching them through the unowned ingestor costs a
    // strong retain per access, per sample.
    let store: Store
    var settings: Settings
    let calendar: SlotCalendar
    /// The rules of every series, when no override is configured.
    var sharedRules: ScoringRules?

    func name(_ number: Int32) -> String { index.name(number) }

    /// The number of a series' block among the batch's blocks (its slots
    /// start at that times `SlotBlock.size` in `slots`), loaded from the
    /// cache or the store on first use.
    mutating func blockIndex(series: Int64, number: Int32, block: Int32) throws -> Int {
      let key = BlockKey(series: series, block: block)
      if let index = blockIndex[key] { return index }
      if !spilled, let start = ingestor.blockCache.start(series: number, block: block) {
        slots.append(contentsOf: ingestor.blockCache.storage[start..<start + SlotBlock.size])
      } else {
        let rowKey = RowLayout.key(time: Int64(block), series: series)
        if !rows.contains(rowKey) {
          // Held, found or not: the row's other series need not ask again.
          if try !store.slotRow(key: rowKey, into: &row) { row = SlotRow.empty }
          rows.put(rowKey, row)
        }
        rows.withRow(rowKey) {
          SlotBlock.decode(SlotRow.place(RowLayout.place(of: series), in: $0), appendingTo: &slots)
        }
      }
      blockKeys.append(key)
      blockChanged.append(false)
      blockIndex[key] = blockKeys.count - 1
      return blockKeys.count - 1
    }

    /// The index in `pools` of a series' noise pool, built from its slots
    /// on first use. Pools are a function of the slots, not stored.
    mutating func poolIndex(series: Int64, number: Int32, pool: Int32) throws -> Int {
      let key = BlockKey(series: series, block: pool)
      if let index = poolIndex[key] { return index }
      members.removeAll(keepingCapacity: true)
      var loaded: (block: Int, index: Int) = (-1, 0)
      for slot in NoisePool.slots(
        ofPool: Int(pool), poolSlots: settings.poolSlots, slotCount: calendar.slotCount)
      {
        if slot / SlotBlock.size != loaded.block {
          loaded = (
            slot / SlotBlock.size,
            try blockIndex(series: series, number: number, block: Int32(slot / SlotBlock.size))
          )
        }
        members.append(
          NoisePool.contribution(of: slots[loaded.index * SlotBlock.size + slot % SlotBlock.size]))
      }
      let number = pools.append(members: members)
      poolIndex[key] = number
      return number
    }

    /// Blocks, pools and history arrays a batch holds before it writes them
    /// into the (still open) transaction and lets them go: a file with many
    /// series must not hold a block per series until its commit. About
    /// 5 MB of blocks and 6 MB of pools; sized so that 10 k active series
    /// stay within 50 MB + 1 KB each (docs/performance.md).
    static let workingSetLimit = 6144
    /// New history samples a batch holds (24 bytes each): as many as the
    /// working set's blocks have slots.
    static let historyLimit = workingSetLimit * SlotBlock.size

    /// Writes the blocks, pools and history gathered so far into the open
    /// transaction and forgets them; later samples read them back through
    /// SQLite, which sees the transaction's own writes.
    mutating func spill() throws {
      try writeBlocksAndHistory()
      spilled = true
      forgetWorkingSet()
      for i in touched.indices {
        touched[i].lastBlock = nil
        touched[i].lastPool = nil
        touched[i].lastHour = nil
      }
    }

    /// Empties the batch for the next one, keeping its arrays' storage: the
    /// working set is megabytes, and growing it afresh for every batch
    /// showed as page faults.
    mutating func reset(index: SeriesIndex, positions: [Int32]) {
      forgetWorkingSet()
      self.index = index
      self.positions = positions
      touched.removeAll(keepingCapacity: true)
      tracks.removeAll(keepingCapacity: true)
      rows.removeAll()
      spilled = false
      incidents.removeAll()
      newestSample = nil
      settings = ingestor.settings
      sharedRules = settings.overrides.isEmpty ? ingestor.defaultRules : nil
      if pools.width != PoolSums(poolSlots: settings.poolSlots).width {
        pools = PoolSums(poolSlots: settings.poolSlots)
      }
    }

    private mutating func forgetWorkingSet() {
      slots.removeAll(keepingCapacity: true)
      blockKeys.removeAll(keepingCapacity: true)
      blockIndex.removeAll(keepingCapacity: true)
      blockChanged.removeAll(keepingCapacity: true)
      pools.removeAll()
      poolIndex.removeAll(keepingCapacity: true)
      history.removeAll()
    }

    /// The place in `touched` of the series named by these bytes, adding it
    /// (and creating it in the store when new); nil when the series cap
    /// refuses a new one.
    @inline(__always)
    mutating func position(of name: UnsafeRawBufferPointer, now: Double, report: inout FileReport) throws
      -> Int?
    {
      if let number = index.find(name) {
        let known = positions[Int(number)]
        if known >= 0 { return Int(known) }
        let state = ingestor.states[Int(number)]
        touched.append(TouchedSeries(number: number, state: state))
        tracks.append(state.track)
      } else {
        guard settings.maxSeries == 0 || index.count < settings.maxSeries else { return nil }
        let id = try store.addSeries(name: String(decoding: name, as: UTF8.self), at: now)
        touched.append(
          TouchedSeries(
            number: index.insert(name), state: SeriesState(id: id, newest: -.infinity, samples: 0)))
        tracks.append(SeriesTrack())
        positions.append(-1)
        report.newSeries += 1
      }
      positions[Int(touched[touched.count - 1].number)] = Int32(touched.count - 1)
      return touched.count - 1
    }

    mutating func apply(
      name: UnsafeRawBufferPointer, value: Double, timestamp: Double, line: Int,
      bytes: UnsafeRawBufferPointer,
      now: Double, report: inout FileReport
    ) throws {
      if blockKeys.count >= Self.workingSetLimit || history.count >= Self.historyLimit { try spill() }
      guard let position = try position(of: name, now: now, report: &report) else {
        report.reject(line, .tooManySeries(limit: settings.maxSeries), bytes)
        return
      }
      let number = touched[position].number
      let id = touched[position].id
      let newest = touched[position].newest
      guard timestamp > newest else {
        report.reject(line, .notNewer(timestamp: timestamp, newest: newest), bytes)
        return
      }
      if touched[position].watched {
        var track = tracks[position]
        closeQuietIncident(&track, number: number, at: timestamp, report: &report)
        if track.stale {
          track.stale = false
          report.events.append(
            SeriesEvent(
              series: self.name(number), time: timestamp, kind: "resumed", detail: "samples arrive again"))
        }
        touched[position].watched = track.incident != nil
        tracks[position] = track
      }

      let slotIndex = Int32(calendar.slot(at: timestamp))
      let blockNumber = slotIndex / Int32(SlotBlock.size)
      let block: Int
      if let last = touched[position].lastBlock, last.block == blockNumber {
        block = last.index
      } else {
        block = try blockIndex(series: id, number: number, block: blockNumber)
        blockChanged[block] = true
        touched[position].lastBlock = (blockNumber, block)
      }
      let slot = block * SlotBlock.size + Int(slotIndex) % SlotBlock.size
      let rules = sharedRules ?? ingestor.rules(for: number, name: self.name(number))
      let pooling = settings.poolSlots > 1
      let poolBlock = slotIndex / Int32(settings.poolSlots)
      var pool: Int? = nil
      if pooling {
        if let last = touched[position].lastPool, last.block == poolBlock {
          pool = last.index
        } else {
          pool = try poolIndex(series: id, number: number, pool: poolBlock)
          touched[position].lastPool = (poolBlock, pool!)
        }
      }
      let verdict = rules.judge(
        &slots[slot], slotIndex: slotIndex, x: timestamp, y: value,
        pool: pool.map { pools.total($0) }, track: &tracks[position],
        shiftAfter: settings.shiftAfter,
        period: Double(calendar.period))
      if let pool {
        pools.set(
          pool, member: Int(slotIndex) % settings.poolSlots,
          to: NoisePool.contribution(of: slots[slot]))
      }
      if let total = verdict.shiftDetected {
        for other in verdict.slotsToShift {
          let otherBlock = try blockIndex(
            series: id, number: number, block: other / Int32(SlotBlock.size))
          blockChanged[otherBlock] = true
          let otherSlot = otherBlock * SlotBlock.size + Int(other) % SlotBlock.size
          slots[otherSlot].scaleLevel(by: verdict.shiftIncrement)
          if pooling {
            let otherPool = try poolIndex(
              series: id, number: number, pool: other / Int32(settings.poolSlots))
            pools.set(
              otherPool, member: Int(other) % settings.poolSlots,
              to: NoisePool.contribution(of: slots[otherSlot]))
          }
        }
        report.events.append(
          SeriesEvent(
            series: self.name(number), time: timestamp, kind: "shift",
            detail: String(
              format:
                "level shifted to %.3g× the learned pattern (run of %d outliers); slots follow the new level",
              total, settings.shiftAfter)))
      }
      switch verdict.assessment {
      case .scored(let score) where verdict.isAlert:
        var alert = Alert(
          series: self.name(number), timestamp: timestamp, value: value, slot: Int(slotIndex),
          threshold: rules.threshold, score: score)
        var track = tracks[position]
        alert.incident = try recordIncident(&track, name: alert.series, alert: alert, report: &report)
        tracks[position] = track
        touched[position].watched = true
        report.alerts.append(alert)
      case .scored: break
      case .cannotJudge: report.unjudged += 1
      }
      if settings.historyDays > 0 {
        // A series' samples arrive in time order, so an hour, once left,
        // is not seen again in this batch: no lookup needed.
        let hour = Int64((timestamp / 3600).rounded(.down))
        if touched[position].lastHour?.hour != hour {
          touched[position].lastHour = (hour, Int(history.row(hour: hour, series: id)))
        }
        history.append(
          row: Int32(touched[position].lastHour!.index), series: id, time: timestamp, value: value)
      }
      touched[position].newest = timestamp
      touched[position].samples += 1
      report.accepted += 1
      report.newestSample = max(report.newestSample ?? timestamp, timestamp)
    }

    /// Closes a series' open incident once its samples have been quiet for
    /// longer than the incident gap.
    mutating func closeQuietIncident(
      _ track: inout SeriesTrack, number: Int32, at time: Double, report: inout FileReport
    ) {
      guard let open = track.incident, time - open.end > settings.incidentGap else { return }
      let name = self.name(number)
      track.incident = nil
      incidents[open.id] = (name, open, true)
      report.incidentsClosed.append(IncidentNote(series: name, incident: open))
    }

    /// Adds an alert to its series' incident, opening one when needed; returns the incident's id.
    mutating func recordIncident(
      _ track: inout SeriesTrack, name: String, alert: Alert, report: inout FileReport
    ) throws -> Int64 {
      let sign = alert.score.residual < 0 ? -1 : 1
      let z = alert.score.normalEquivalent
      if var open = track.incident, open.sign == sign,
        alert.timestamp - open.end <= settings.incidentGap
      {
        open.end = alert.timestamp
        open.alerts += 1
        if abs(z) > abs(open.peak) { open.peak = z }
        track.incident = open
        incidents[open.id] = (name, open, false)
        return open.id
      }
      if let open = track.incident {
        incidents[open.id] = (name, open, true)
        report.incidentsClosed.append(IncidentNote(series: name, incident: open))
      }
      let id = try store.openIncident(series: name, sign: sign, at: alert.timestamp, peak: z)
      let open = SeriesTrack.OpenIncident(
        id: id, sign: sign, start: alert.timestamp, end: alert.timestamp, peak: z, alerts: 1)
      track.incident = open
      incidents[id] = (name, open, false)
      report.incidentsOpened.append(IncidentNote(series: name, incident: open))
      return id
    }

    mutating func writeBlocksAndHistory() throws {
      func rowKey(_ i: Int) -> Int64 {
        RowLayout.key(time: Int64(blockKeys[i].block), series: blockKeys[i].series)
      }
      // By row, in key order: SQLite appends to its b-tree pages in order.
      let changed = blockKeys.indices.filter { blockChanged[$0] }.sorted { rowKey($0) < rowKey($1) }
      var next = 0
      while next < changed.count {
        let key = rowKey(changed[next])
        // The row as the transaction sees it, with this batch's blocks over it.
        if rows.withRow(key, { row.replaceSubrange(0..., with: $0) }) == nil {
          if try !store.slotRow(key: key, into: &row) { row = SlotRow.empty }
        }
        row.withUnsafeMutableBytes { raw in
          while next < changed.count && rowKey(changed[next]) == key {
            let i = changed[next]
            SlotBlock.encode(
              slots, from: i * SlotBlock.size,
              into: SlotRow.place(RowLayout.place(of: blockKeys[i].series), in: raw))
            next += 1
          }
        }
        try row.withUnsafeBytes { try store.saveSlotRow(key: key, $0) }
        rows.put(key, row)
      }
      try history.forEachRow { key, pairs, starts in
        try store.appendHistory(key: key, pairs: pairs, starts: starts)
      }
    }

    /// Writes what one file adds on its own: its alerts, events and
    /// rejected lines, and its ledger counts.
    mutating func finish(_ report: FileReport) throws {
      if let newest = report.newestSample { newestSample = max(newestSample ?? newest, newest) }
      for alert in report.alerts { try store.addAlert(alert, fileID: fileID) }
      for event in report.events { try store.addEvent(event, fileID: fileID) }
      for rejection in report.rejected { try store.addRejection(rejection, fileID: fileID) }
      try store.finishFile(
        id: fileID, accepted: report.accepted, rejected: report.rejectedLines, alerts: report.alerts.count)
    }

    /// Writes the state the batch's files changed together: slots, history,
    /// series and incidents.
    mutating func write() throws {
      try writeBlocksAndHistory()
      let committed = ingestor.states
      for (entry, track) in zip(touched, tracks) {
        let number = Int(entry.number)
        try store.saveSeries(
          SeriesState(id: entry.id, newest: entry.newest, samples: entry.samples, track: track),
          trackChanged: number >= committed.count ? !track.isEmpty : track != committed[number].track)
      }
      if settings.historyDays > 0, let newest = newestSample {
        // Once per hour of data: drop the history that fell out of the window.
        let hour = Int64((newest / 3600).rounded(.down))
        if hour > ingestor.prunedThrough {
          try store.pruneHistory(before: hour - Int64(settings.historyDays) * 24)
          ingestor.prunedThrough = hour
        }
      }
      for (id, entry) in incidents { try store.saveIncident(id: id, entry.incident, closed: entry.closed) }
    }
  }

  public init(settings: Settings, store: Store) throws {
    self.settings = settings
    self.calendar = try settings.calendar()
    self.store = store
    self.defaultRules = settings.rules(forSeries: "")
    try store.setLimits(maxSize: settings.maxDatabaseSize, busyTimeout: settings.busyTimeout)
    let known = try store.loadSeries()
    index = SeriesIndex(capacity: known.count)
    for (name, _) in known { index.insert(name) }
    states = known.map(\.state)
    positions = Array(repeating: -1, count: known.count)
  }

  public var seriesCount: Int { states.count }

  /// Takes new detection settings (thresholds, minimum samples, overrides,
  /// learning, memory) from the next file on. The calendar cannot change.
  public func reload(_ newSettings: Settings) throws {
    precondition(!inBatch, "reload inside a batch")
    let newCalendar = try newSettings.calendar()
    guard newCalendar == calendar else {
      throw StoreError.calendarMismatch(
        path: store.path,
        differences: ["the new config's calendar is \(newCalendar), the running one \(calendar)"])
    }
    try store.setLimits(maxSize: newSettings.maxDatabaseSize, busyTimeout: newSettings.busyTimeout)
    settings = newSettings
    defaultRules = newSettings.rules(forSeries: "")
    rulesBySeries.removeAll()
  }

  /// Takes back the series index and positions a batch borrowed.
  private func giveBack(_ file: inout Batch) {
    for entry in file.touched where Int(entry.number) < file.positions.count {
      file.positions[Int(entry.number)] = -1
    }
    swap(&index, &file.index)
    swap(&positions, &file.positions)
  }

  /// Keeps, for each series the batch touched, the committed blocks of its
  /// newest slot and of that slot's neighbours in its noise pool: where the
  /// next file will most likely start.
  private func remember(_ file: Batch) {
    // Taken out of the batch once: a closure that reads them through `file`
    // would copy the whole batch for each series.
    let blockIndex = file.blockIndex, slots = file.slots, spilled = file.spilled
    for entry in file.touched where entry.newest.isFinite {
      let slot = calendar.slot(at: entry.newest)
      let newest = slot / SlotBlock.size
      var span = newest...newest
      if settings.poolSlots > 1 {
        let members = NoisePool.slots(
          ofPool: slot / settings.poolSlots, poolSlots: settings.poolSlots, slotCount: calendar.slotCount)
        span =
          max(
            members.lowerBound / SlotBlock.size, newest - 1)...min(
            (members.upperBound - 1) / SlotBlock.size, newest + 1)
      }
      blockCache.replace(
        series: entry.number, with: [newest, newest - 1, newest + 1].filter(span.contains).map { Int32($0) },
        from: slots,
        source: { block in blockIndex[BlockKey(series: entry.id, block: block)].map { $0 * SlotBlock.size } },
        // Unchanged by the batch: a batch that did not spill holds every block it changed.
        keepCached: !spilled)
    }
  }

  /// Marks series silent for longer than `stale_after` (by the clock) as
  /// stale, in one transaction: an event each, once, until samples resume.
  public func markStaleSeries(now: Double) throws -> [SeriesEvent] {
    precondition(!inBatch, "stale marking inside a batch")
    guard settings.staleAfter > 0 else { return [] }
    let silent = states.indices.filter {
      !states[$0].track.stale && now - states[$0].newest > settings.staleAfter
    }
    guard !silent.isEmpty else { return [] }
    var events: [SeriesEvent] = []
    try store.begin()
    do {
      for number in silent {
        var state = states[number]
        state.track.stale = true
        try store.saveSeries(state)
        let event = SeriesEvent(
          series: index.name(Int32(number)), time: now, kind: "stale",
          detail: "no sample for \(Int(now - state.newest)) s (stale_after \(Int(settings.staleAfter)) s)")
        try store.addEvent(event, fileID: nil)
        events.append(event)
      }
      try store.commit()
    } catch {
      store.rollback()
      throw error
    }
    for number in silent { states[number].track.stale = true }
    return events
  }

  func rules(for number: Int32, name: @autoclosure () -> String) -> ScoringRules {
    if settings.overrides.isEmpty { return defaultRules }
    if let rules = rulesBySeries[number] { return rules }
    let rules = settings.rules(forSeries: name())
    rulesBySeries[number] = rules
    return rules
  }

  /// The transaction of the batch between `begin()` and `commit()` or
  /// `rollback()`.
  private var batch: Batch?
  /// From `begin()` to `commit()` or `rollback()` (`batch` itself is lent
  /// out while a file's lines run).
  private var inBatch = false

  /// Opens a transaction for a batch of files. Files applied in one batch
  /// commit together (or not at all): a backlog of files costs one commit,
  /// one write of each series and slot block, instead of one per file.
  public func begin() throws {
    precondition(!inBatch, "a batch is already open")
    try store.begin()
    inBatch = true
    // The batch borrows the series index and positions; they come back
    // after the commit, or, on failure, without the batch's new series.
    if var recycled = spareBatch {
      spareBatch = nil
      recycled.reset(index: index, positions: positions)
      batch = recycled
    } else {
      batch = Batch(ingestor: self, fileID: 0, index: index, positions: positions)
    }
    index = SeriesIndex()
    positions = []
  }

  /// The last committed batch, emptied, whose storage the next one reuses.
  private var spareBatch: Batch?

  /// Applies one file's bytes in the open batch. After an error the batch
  /// must be rolled back.
  ///
  /// - Parameters:
  ///   - beforeCommit: runs inside the transaction once the file's report is
  ///     complete; if it throws, nothing is committed. The rejected-lines
  ///     file is written here, so it exists for every committed file.
  ///   - shouldCancel: polled every 16384 lines; when it returns true
  ///     `Cancelled` is thrown.
  public func apply(
    bytes: UnsafeRawBufferPointer, name: String, sha256: String, now: Double = Date().timeIntervalSince1970,
    shouldCancel: () -> Bool = { false }, beforeCommit: (FileReport) throws -> Void = { _ in }
  ) throws -> FileReport {
    var report = FileReport(name: name, size: bytes.count, sha256: sha256)
    if try store.ledgerID(sha256: sha256) != nil {
      report.alreadyApplied = true
      return report
    }
    let parser = GraphiteLineParser(
      maxLineLength: settings.maxLineLength, maxSeriesNameLength: settings.maxSeriesNameLength, now: now,
      maxFuture: settings.maxFuture)
    // Held in a local while its lines run: a stored optional would be
    // unwrapped and checked for exclusive access per sample.
    guard var file = batch else { preconditionFailure("apply outside a batch") }
    batch = nil
    defer { batch = file }
    file.fileID = try store.addFile(name: name, size: bytes.count, sha256: sha256, at: now)
    try SampleFile.forEachLine(in: bytes) { lineNumber, line in
      if lineNumber & 0x3FFF == 0, shouldCancel() { throw Cancelled() }
      switch parser.parseLine(line) {
      case .blank: return
      case .rejected(let reason): report.reject(lineNumber, .unreadable(reason), line)
      case .sample(let series, let value, let timestamp):
        try file.apply(
          name: UnsafeRawBufferPointer(rebasing: line[series]), value: value, timestamp: timestamp,
          line: lineNumber, bytes: line, now: now, report: &report)
      }
    }
    try file.finish(report)
    try beforeCommit(report)
    return report
  }

  /// Whether the open batch holds three quarters of the working set a
  /// transaction keeps in memory: another file would likely make it write
  /// blocks mid-batch and read them back, so the batch should commit first.
  /// (At half, batches of hour files for 1,000 series held 4 files, at
  /// three quarters 5: 0.91× the time of the 10 M backfill.)
  public var batchIsFull: Bool {
    guard let batch else { return false }
    return batch.blockKeys.count >= Batch.workingSetLimit * 3 / 4
      || batch.history.count >= Batch.historyLimit * 3 / 4
  }

  /// Writes the batch's state and commits it; on failure the batch is
  /// rolled back and the error thrown.
  public func commit() throws {
    guard var file = batch else { preconditionFailure("commit outside a batch") }
    batch = nil
    do {
      try file.write()
      try store.commit()
    } catch {
      batch = file
      rollback()
      throw error
    }
    inBatch = false
    while states.count < file.index.count {
      states.append(SeriesState(id: 0, newest: -.infinity, samples: 0))
    }
    for (entry, track) in zip(file.touched, file.tracks) {
      states[Int(entry.number)] = SeriesState(
        id: entry.id, newest: entry.newest, samples: entry.samples, track: track)
    }
    remember(file)
    giveBack(&file)
    spareBatch = file
  }

  /// Drops the open batch, if any: nothing of its files was applied.
  public func rollback() {
    store.rollback()
    inBatch = false
    guard var file = batch else { return }
    batch = nil
    // Numbers and ids of series created in the rolled-back transaction will be reused.
    file.index.truncate(to: states.count)
    file.positions.removeSubrange(states.count...)
    rulesBySeries.removeAll()
    giveBack(&file)
  }
}
