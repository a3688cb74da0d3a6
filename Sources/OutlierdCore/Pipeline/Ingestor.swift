import Foundation

/// Applies spool files to the store, one SQLite transaction per file: every
/// accepted sample is scored against its slot and learned, and the slots,
/// the series' newest timestamps, the alerts, the rejections and the
/// ledger row commit together or not at all.
public final class Ingestor {
  public private(set) var settings: Settings
  public let calendar: SlotCalendar
  public let store: Store
  /// Committed state of every known series, by name.
  var series: [String: SeriesState]
  /// Scoring rules by series id, resolved from the overrides once.
  private var rulesBySeries: [Int64: ScoringRules] = [:]
  /// The rules of every series when no override is configured.
  private var defaultRules: ScoringRules
  /// Committed blocks of slots kept between files, by series: the block of
  /// the series' newest slot and those its noise pool spans. Samples arrive
  /// in time order, so the next file most likely needs them, and they need
  /// not be read back from SQLite. The store is written by this process
  /// alone, so the copies stay true; a rolled-back file never reaches them.
  private var blockCache: [Int64: [(block: Int32, slots: SlotBlock)]] = [:]
  private var cachedBlocks = 0
  /// The newest hour whose history pruning ran.
  var prunedThrough: Int64 = .min

  public struct Cancelled: Error {}

  struct SeriesHour: Hashable {
    var series: Int64
    var hour: Int64
  }

  struct BlockKey: Hashable {
    var series: Int64
    var block: Int32
  }

  /// A series a file touches, with where its last block and pool sit in
  /// the file's arrays: consecutive samples of a series mostly hit the same
  /// ones, which then cost no hash lookup.
  struct TouchedSeries {
    var name: String
    var state: SeriesState
    var lastBlock: (block: Int32, index: Int)? = nil
    var lastPool: (block: Int32, index: Int)? = nil
    var lastHour: (hour: Int64, index: Int)? = nil
  }

  /// The state one file's transaction changes, written at its end.
  struct FileTransaction {
    unowned let ingestor: Ingestor
    let fileID: Int64
    var touched: [TouchedSeries] = []
    var touchedIndex: [String: Int] = [:]
    var blocks: [SlotBlock] = []
    var blockKeys: [BlockKey] = []
    var blockIndex: [BlockKey: Int] = [:]
    /// Whether the file changed a block: pool sums also load blocks they
    /// only read, and those are not written back.
    var blockChanged: [Bool] = []
    /// Noise pools (by series and pool number), built from their slots on
    /// first use in the file and then kept up to date sample by sample.
    var pools: [PoolSums] = []
    var poolIndex: [BlockKey: Int] = [:]
    /// Once blocks went to SQLite mid-file, the ingestor's cache (committed
    /// state) may be older than them and is not read again in this file.
    var spilled = false
    /// New (time, value) pairs by series and hour, in `historyKeys` order.
    var history: [[Double]] = []
    var historyKeys: [SeriesHour] = []
    var incidents: [Int64: (series: String, incident: SeriesTrack.OpenIncident, closed: Bool)] = [:]

    init(ingestor: Ingestor, fileID: Int64) {
      self.ingestor = ingestor
      self.fileID = fileID
      store = ingestor.store
      settings = ingestor.settings
      calendar = ingestor.calendar
    }

    // Held directly: reaching them through the unowned ingestor costs a
    // strong retain per access, per sample.
    let store: Store
    let settings: Settings
    let calendar: SlotCalendar

    /// The index in `blocks` of a series' block of slots, loaded from the
    /// cache or the store on first use.
    mutating func blockIndex(series: Int64, block: Int32) throws -> Int {
      let key = BlockKey(series: series, block: block)
      if let index = blockIndex[key] { return index }
      if !spilled, let cached = ingestor.blockCache[series]?.first(where: { $0.block == block }) {
        blocks.append(cached.slots)
      } else {
        blocks.append(try store.slotBlock(series: series, block: block))
      }
      blockKeys.append(key)
      blockChanged.append(false)
      blockIndex[key] = blocks.count - 1
      return blocks.count - 1
    }

    /// The index in `pools` of a series' noise pool, built from its slots
    /// on first use. Pools are a function of the slots, not stored.
    mutating func poolIndex(series: Int64, pool: Int32) throws -> Int {
      let key = BlockKey(series: series, block: pool)
      if let index = poolIndex[key] { return index }
      var members: [NoisePool] = []
      var loaded: (block: Int, index: Int) = (-1, 0)
      for slot in NoisePool.slots(
        ofPool: Int(pool), poolSlots: settings.poolSlots, slotCount: calendar.slotCount)
      {
        if slot / SlotBlock.size != loaded.block {
          loaded = (
            slot / SlotBlock.size, try blockIndex(series: series, block: Int32(slot / SlotBlock.size))
          )
        }
        members.append(NoisePool.contribution(of: blocks[loaded.index].slots[slot % SlotBlock.size]))
      }
      pools.append(PoolSums(members: members))
      poolIndex[key] = pools.count - 1
      return pools.count - 1
    }

    /// Blocks, pools and history arrays a file holds before it writes them
    /// into the (still open) transaction and lets them go: a file with many
    /// series must not hold a block per series until its commit.
    static let workingSetLimit = 8192

    /// Writes the blocks, pools and history gathered so far into the open
    /// transaction and forgets them; later samples read them back through
    /// SQLite, which sees the transaction's own writes.
    mutating func spill() throws {
      try writeBlocksAndHistory()
      spilled = true
      blocks.removeAll(keepingCapacity: true)
      blockKeys.removeAll(keepingCapacity: true)
      blockIndex.removeAll(keepingCapacity: true)
      blockChanged.removeAll(keepingCapacity: true)
      pools.removeAll(keepingCapacity: true)
      poolIndex.removeAll(keepingCapacity: true)
      history.removeAll(keepingCapacity: true)
      historyKeys.removeAll(keepingCapacity: true)
      for i in touched.indices {
        touched[i].lastBlock = nil
        touched[i].lastPool = nil
        touched[i].lastHour = nil
      }
    }

    mutating func apply(
      _ sample: ParsedSample, line: Int, bytes: UnsafeRawBufferPointer, now: Double, report: inout FileReport
    ) throws {
      if blocks.count >= Self.workingSetLimit || history.count >= Self.workingSetLimit { try spill() }
      let position: Int
      if let known = touchedIndex[sample.series] {
        position = known
      } else {
        let state: SeriesState
        if let known = ingestor.series[sample.series] {
          state = known
        } else {
          guard settings.maxSeries == 0 || ingestor.series.count + report.newSeries < settings.maxSeries
          else {
            report.reject(line, .tooManySeries(limit: settings.maxSeries), bytes)
            return
          }
          state = SeriesState(
            id: try store.addSeries(name: sample.series, at: now), newest: -.infinity, samples: 0)
          report.newSeries += 1
        }
        touched.append(TouchedSeries(name: sample.series, state: state))
        position = touched.count - 1
        touchedIndex[sample.series] = position
      }
      var state = touched[position].state
      guard sample.timestamp > state.newest else {
        report.reject(line, .notNewer(timestamp: sample.timestamp, newest: state.newest), bytes)
        return
      }
      closeQuietIncident(&state, name: sample.series, at: sample.timestamp, report: &report)
      if state.track.stale {
        state.track.stale = false
        report.events.append(
          SeriesEvent(
            series: sample.series, time: sample.timestamp, kind: "resumed", detail: "samples arrive again"))
      }

      let slotIndex = Int32(calendar.slot(at: sample.timestamp))
      let blockNumber = slotIndex / Int32(SlotBlock.size)
      let block: Int
      if let last = touched[position].lastBlock, last.block == blockNumber {
        block = last.index
      } else {
        block = try blockIndex(series: state.id, block: blockNumber)
        blockChanged[block] = true
        touched[position].lastBlock = (blockNumber, block)
      }
      let index = Int(slotIndex) % SlotBlock.size
      let rules = ingestor.rules(for: state, name: sample.series)
      let pooling = settings.poolSlots > 1
      let poolBlock = slotIndex / Int32(settings.poolSlots)
      var pool: Int? = nil
      if pooling {
        if let last = touched[position].lastPool, last.block == poolBlock {
          pool = last.index
        } else {
          pool = try poolIndex(series: state.id, pool: poolBlock)
          touched[position].lastPool = (poolBlock, pool!)
        }
      }
      let verdict = rules.judge(
        &blocks[block].slots[index], slotIndex: slotIndex, x: sample.timestamp, y: sample.value,
        pool: pool.map { pools[$0].total }, track: &state.track, shiftAfter: settings.shiftAfter,
        period: Double(calendar.period))
      if let pool {
        pools[pool].set(
          Int(slotIndex) % settings.poolSlots, to: NoisePool.contribution(of: blocks[block].slots[index]))
      }
      if let total = verdict.shiftDetected {
        for other in verdict.slotsToShift {
          let otherBlock = try blockIndex(series: state.id, block: other / Int32(SlotBlock.size))
          blockChanged[otherBlock] = true
          let otherIndex = Int(other) % SlotBlock.size
          blocks[otherBlock].slots[otherIndex].scaleLevel(by: verdict.shiftIncrement)
          if pooling {
            let otherPool = try poolIndex(series: state.id, pool: other / Int32(settings.poolSlots))
            pools[otherPool].set(
              Int(other) % settings.poolSlots,
              to: NoisePool.contribution(of: blocks[otherBlock].slots[otherIndex]))
          }
        }
        report.events.append(
          SeriesEvent(
            series: sample.series, time: sample.timestamp, kind: "shift",
            detail: String(
              format:
                "level shifted to %.3g× the learned pattern (run of %d outliers); slots follow the new level",
              total, settings.shiftAfter)))
      }
      switch verdict.assessment {
      case .scored(let score) where verdict.isAlert:
        var alert = Alert(
          series: sample.series, timestamp: sample.timestamp, value: sample.value, slot: Int(slotIndex),
          threshold: rules.threshold, score: score)
        alert.incident = try recordIncident(&state, name: sample.series, alert: alert, report: &report)
        report.alerts.append(alert)
      case .scored: break
      case .cannotJudge: report.unjudged += 1
      }
      if settings.historyDays > 0 {
        // A series' samples arrive in time order, so an hour, once left,
        // is not seen again in this file: no lookup needed.
        let hour = Int64((sample.timestamp / 3600).rounded(.down))
        if touched[position].lastHour?.hour != hour {
          history.append([])
          historyKeys.append(SeriesHour(series: state.id, hour: hour))
          touched[position].lastHour = (hour, history.count - 1)
        }
        let at = touched[position].lastHour!.index
        history[at].append(sample.timestamp)
        history[at].append(sample.value)
      }
      state.newest = sample.timestamp
      state.samples += 1
      touched[position].state = state
      report.accepted += 1
      report.newestSample = max(report.newestSample ?? sample.timestamp, sample.timestamp)
    }

    /// Closes a series' open incident once its samples have been quiet for
    /// longer than the incident gap.
    mutating func closeQuietIncident(
      _ state: inout SeriesState, name: String, at time: Double, report: inout FileReport
    ) {
      guard let open = state.track.incident, time - open.end > settings.incidentGap else { return }
      state.track.incident = nil
      incidents[open.id] = (name, open, true)
      report.incidentsClosed.append(IncidentNote(series: name, incident: open))
    }

    /// Adds an alert to its series' incident, opening one when needed; returns the incident's id.
    mutating func recordIncident(
      _ state: inout SeriesState, name: String, alert: Alert, report: inout FileReport
    ) throws -> Int64 {
      let sign = alert.score.residual < 0 ? -1 : 1
      let z = alert.score.normalEquivalent
      if var open = state.track.incident, open.sign == sign,
        alert.timestamp - open.end <= settings.incidentGap
      {
        open.end = alert.timestamp
        open.alerts += 1
        if abs(z) > abs(open.peak) { open.peak = z }
        state.track.incident = open
        incidents[open.id] = (name, open, false)
        return open.id
      }
      if let open = state.track.incident {
        incidents[open.id] = (name, open, true)
        report.incidentsClosed.append(IncidentNote(series: name, incident: open))
      }
      let id = try store.openIncident(series: name, sign: sign, at: alert.timestamp, peak: z)
      let open = SeriesTrack.OpenIncident(
        id: id, sign: sign, start: alert.timestamp, end: alert.timestamp, peak: z, alerts: 1)
      state.track.incident = open
      incidents[id] = (name, open, false)
      report.incidentsOpened.append(IncidentNote(series: name, incident: open))
      return id
    }

    mutating func writeBlocksAndHistory() throws {
      // Sorted by key: SQLite appends to its b-tree pages in order.
      for i in blockKeys.indices.filter({ blockChanged[$0] }).sorted(by: {
        (blockKeys[$0].block, blockKeys[$0].series) < (blockKeys[$1].block, blockKeys[$1].series)
      }) {
        try store.saveSlotBlock(series: blockKeys[i].series, block: blockKeys[i].block, blocks[i])
      }
      for (key, pairs) in zip(historyKeys, history) {
        try store.appendHistory(series: key.series, hour: key.hour, pairs: pairs)
      }
    }

    mutating func write(report: inout FileReport) throws {
      try writeBlocksAndHistory()
      for entry in touched { try store.saveSeries(entry.state) }
      if settings.historyDays > 0, let newest = report.newestSample {
        // Once per hour of data: drop the history that fell out of the window.
        let hour = Int64((newest / 3600).rounded(.down))
        if hour > ingestor.prunedThrough {
          try store.pruneHistory(before: hour - Int64(settings.historyDays) * 24)
          ingestor.prunedThrough = hour
        }
      }
      for (id, entry) in incidents { try store.saveIncident(id: id, entry.incident, closed: entry.closed) }
      for alert in report.alerts { try store.addAlert(alert, fileID: fileID) }
      for event in report.events { try store.addEvent(event, fileID: fileID) }
      for rejection in report.rejected { try store.addRejection(rejection, fileID: fileID) }
    }
  }

  public init(settings: Settings, store: Store) throws {
    self.settings = settings
    self.calendar = try settings.calendar()
    self.store = store
    self.defaultRules = settings.rules(forSeries: "")
    try store.setLimits(maxSize: settings.maxDatabaseSize, busyTimeout: settings.busyTimeout)
    self.series = try store.loadSeries()
  }

  public var seriesCount: Int { series.count }

  /// Takes new detection settings (thresholds, minimum samples, overrides,
  /// learning, memory) from the next file on. The calendar cannot change.
  public func reload(_ newSettings: Settings) throws {
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

  /// Keeps, for each series the file touched, the committed blocks of its
  /// newest slot and of that slot's noise pool: where the next file will
  /// most likely start.
  private func remember(_ file: FileTransaction) {
    for entry in file.touched where entry.state.newest.isFinite {
      let id = entry.state.id
      let slot = calendar.slot(at: entry.state.newest)
      var wanted = [slot / SlotBlock.size]
      if settings.poolSlots > 1 {
        let members = NoisePool.slots(
          ofPool: slot / settings.poolSlots, poolSlots: settings.poolSlots, slotCount: calendar.slotCount)
        for block in members.lowerBound / SlotBlock.size...(members.upperBound - 1) / SlotBlock.size
        where block != wanted[0] {
          wanted.append(block)
        }
      }
      let old = blockCache[id] ?? []
      var kept: [(block: Int32, slots: SlotBlock)] = []
      for block in wanted.map(Int32.init) {
        if let index = file.blockIndex[BlockKey(series: id, block: block)] {
          kept.append((block, file.blocks[index]))
        } else if !file.spilled, let cached = old.first(where: { $0.block == block }) {
          // Unchanged by the file: a file that did not spill holds every block it changed.
          kept.append(cached)
        }
      }
      // Bounded: past the cap, series that are not cached yet stay out
      // (their next file reads its blocks from SQLite).
      guard cachedBlocks - old.count + kept.count <= Self.cacheLimit || kept.count <= old.count else {
        cachedBlocks -= old.count
        blockCache[id] = nil
        continue
      }
      cachedBlocks += kept.count - old.count
      blockCache[id] = kept.isEmpty ? nil : kept
    }
  }

  /// Blocks kept between files: 16 k × 0.8 KB. The cache pays off for files
  /// shorter than a block (an hour) and for the neighbours a pool spans;
  /// past it, series read their blocks back from SQLite.
  static let cacheLimit = 16_384

  /// Marks series silent for longer than `stale_after` (by the clock) as
  /// stale, in one transaction: an event each, once, until samples resume.
  public func markStaleSeries(now: Double) throws -> [SeriesEvent] {
    guard settings.staleAfter > 0 else { return [] }
    let silent = series.filter { !$0.value.track.stale && now - $0.value.newest > settings.staleAfter }
    guard !silent.isEmpty else { return [] }
    var events: [SeriesEvent] = []
    try store.begin()
    do {
      for (name, var state) in silent {
        state.track.stale = true
        try store.saveSeries(state)
        let event = SeriesEvent(
          series: name, time: now, kind: "stale",
          detail: "no sample for \(Int(now - state.newest)) s (stale_after \(Int(settings.staleAfter)) s)")
        try store.addEvent(event, fileID: nil)
        events.append(event)
      }
      try store.commit()
    } catch {
      store.rollback()
      throw error
    }
    for (name, var state) in silent {
      state.track.stale = true
      series[name] = state
    }
    return events
  }

  func rules(for state: SeriesState, name: String) -> ScoringRules {
    if settings.overrides.isEmpty { return defaultRules }
    if let rules = rulesBySeries[state.id] { return rules }
    let rules = settings.rules(forSeries: name)
    rulesBySeries[state.id] = rules
    return rules
  }

  /// Applies one file's bytes.
  ///
  /// - Parameters:
  ///   - beforeCommit: runs inside the transaction once the report is
  ///     complete; if it throws, nothing is committed. The rejected-lines
  ///     file is written here, so it exists for every committed file.
  ///   - shouldCancel: polled every 16384 lines; when it returns true the
  ///     transaction is rolled back and `Cancelled` thrown.
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

    try store.begin()
    do {
      var file = FileTransaction(
        ingestor: self, fileID: try store.addFile(name: name, size: bytes.count, sha256: sha256, at: now))
      try SampleFile.forEachLine(in: bytes) { lineNumber, line in
        if lineNumber & 0x3FFF == 0, shouldCancel() { throw Cancelled() }
        guard let parsed = parser.parse(line) else { return }
        switch parsed {
        case .failure(let reason): report.reject(lineNumber, reason, line)
        case .success(let sample):
          try file.apply(sample, line: lineNumber, bytes: line, now: now, report: &report)
        }
      }
      try file.write(report: &report)
      try store.finishFile(
        id: file.fileID, accepted: report.accepted, rejected: report.rejected.count,
        alerts: report.alerts.count)
      try beforeCommit(report)
      try store.commit()
      for entry in file.touched { series[entry.name] = entry.state }
      remember(file)
    } catch {
      store.rollback()
      // Ids of series created in the rolled-back transaction will be reused.
      rulesBySeries.removeAll()
      throw error
    }
    return report
  }
}
