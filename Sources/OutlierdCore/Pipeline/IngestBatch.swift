import Foundation

/// The known series, and the state one batch of files changes, within the
/// ingestor's `withBatch`: the series it touched, their open incidents, and
/// the working set of slots, pools and history. Touched series' tracks
/// change in place, in `states`: a second copy of a track per touched
/// series doubled the ingest's memory (a track is about 1 KB).
///
/// Contract:
/// - Between batches `index` and `states` hold the committed series; the
///   ingestor reads them, and changes them only after its own commits.
/// - After a commit `adoptCommitted` makes the batch's changes the committed
///   state; after a rollback `forgetUncommitted` drops the series it added,
///   and the ingestor reloads the tracks it changed (`touchedCommitted`).
/// - Each sample goes through `apply` (IngestBatch+Sample.swift); what a
///   file adds on its own is written by `finish`; what the files changed
///   together, by `write`, once, before the commit (or in part earlier, when
///   the working set spills).
/// - After a commit or a rollback it is `reset` and reused: its arrays are
///   megabytes, and growing them afresh for every batch showed as page faults.
struct IngestBatch {
  let store: Store
  let calendar: SlotCalendar
  private(set) var settings: Settings
  var rules: SeriesRules
  /// Every known series, numbered in order of arrival; a batch adds its new
  /// ones.
  var index: SeriesIndex
  /// Each known series' position in `touched`, -1 when not touched: kept
  /// from batch to batch, so it is not allocated per batch.
  var positions: [Int32]
  /// The state of each known series, by its number in `index`: committed,
  /// except, while a batch is open, the tracks of touched series (changed
  /// in place, written at commit, reloaded after a rollback) and the series
  /// added in the batch.
  var states: [SeriesState]
  /// How many series were known when the batch began.
  private(set) var committedCount = 0
  var touched: [TouchedSeries] = []
  var work: WorkingSet
  var incidents: [Int64: (series: String, incident: SeriesTrack.OpenIncident, closed: Bool)] = [:]
  /// The ledger id of the file being applied.
  var fileID: Int64 = 0
  /// Files given to this batch (applied or found in the ledger), and when
  /// it began: with the working set, what `isFull` weighs.
  var files = 0
  private(set) var began = Date()
  /// The newest accepted sample of the batch's files.
  private(set) var newestSample: Double?

  /// - Parameter known: the committed series, in order of creation.
  init(
    store: Store, calendar: SlotCalendar, settings: Settings, known: [(name: String, state: SeriesState)]
  ) {
    self.store = store
    self.calendar = calendar
    self.settings = settings
    rules = SeriesRules(settings: settings)
    index = SeriesIndex(capacity: known.count)
    for (name, _) in known { index.insert(name) }
    states = known.map(\.state)
    positions = Array(repeating: -1, count: known.count)
    work = WorkingSet(store: store, poolSlots: settings.poolSlots)
  }

  /// Empties the batch for the next one, with the ingestor's settings.
  mutating func reset(settings: Settings) {
    work.reset(poolSlots: settings.poolSlots)
    if settings != self.settings {
      self.settings = settings
      rules = SeriesRules(settings: settings)
    }
    committedCount = states.count
    touched.removeAll(keepingCapacity: true)
    incidents.removeAll()
    newestSample = nil
    files = 0
    began = Date()
  }

  /// Whether the batch should commit before another file: it holds
  /// `spool.batch_files` files, is a second old (`batchSeconds`), or its
  /// working set is three quarters full (another file would likely spill).
  /// A backlog costs one commit per batch instead of one per file, while a
  /// file that arrives alone is committed alone, at once.
  var isFull: Bool {
    files >= settings.batchFiles || work.isMostlyFull
      || Date().timeIntervalSince(began) >= Self.batchSeconds
  }

  /// How long a batch may grow.
  static let batchSeconds = 1.0

  func name(_ number: SeriesNumber) -> String { index.name(number) }

  /// Writes what one file adds on its own: its alerts, events and rejected
  /// lines, and its ledger counts.
  mutating func finish(_ report: FileReport) throws {
    if let newest = report.newestSample { newestSample = max(newestSample ?? newest, newest) }
    for alert in report.alerts { try store.addAlert(alert, fileID: fileID) }
    for event in report.events { try store.addEvent(event, fileID: fileID) }
    for rejection in report.rejected { try store.addRejection(rejection, fileID: fileID) }
    try store.finishFile(
      id: fileID, accepted: report.accepted, rejected: report.rejectedLines, alerts: report.alerts.count,
      later: report.laterLines)
  }

  /// Writes the state the batch's files changed together: slots, history,
  /// series and incidents.
  mutating func write() throws {
    try work.write()
    // Every touched series' track is written: a judged or learned sample
    // changes it (tails, recent level), and comparing 1 KB per series
    // cost more than the write.
    for i in touched.indices {
      try store.saveSeries(
        id: touched[i].id, newest: touched[i].newest, samples: touched[i].samples,
        track: states[touched[i].number.index].track)
    }
    for (id, entry) in incidents { try store.saveIncident(id: id, entry.incident, closed: entry.closed) }
  }

  /// After the commit: the touched series' new states become the committed
  /// ones, and the working set keeps their newest blocks.
  mutating func adoptCommitted() {
    for i in touched.indices {
      let number = touched[i].number.index
      states[number].id = touched[i].id
      states[number].newest = touched[i].newest
      states[number].samples = touched[i].samples
    }
    work.remember(touched, calendar: calendar, poolSlots: settings.poolSlots)
    clearPositions()
  }

  /// After a rollback: the series created in the batch are forgotten (their
  /// numbers and ids will be reused). The touched series' tracks still hold
  /// the batch's changes: the ingestor reloads them (`touchedCommitted`).
  mutating func forgetUncommitted() {
    clearPositions()
    index.truncate(to: committedCount)
    positions.removeSubrange(committedCount...)
    states.removeSubrange(committedCount...)
    rules.forgetSeries()
  }

  /// The ids and numbers of the touched series that existed before the
  /// batch: those whose tracks a rollback must restore.
  var touchedCommitted: [(number: Int, id: Int64)] {
    touched.compactMap { $0.number.index < committedCount ? ($0.number.index, $0.id) : nil }
  }

  /// Clears the positions of the touched series.
  private mutating func clearPositions() {
    for entry in touched where entry.number.index < positions.count { positions[entry.number.index] = -1 }
  }
}
