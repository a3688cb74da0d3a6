import Foundation

/// Applies spool files to the store, one transaction per batch of files
/// (`withBatch`, and `apply` for each file inside it): every accepted
/// sample is scored against its slot and learned, and the slots, the
/// series' newest timestamps, the alerts, the rejections and the ledger
/// rows commit together or not at all.
///
/// The ingestor decides where each batch begins and ends, and runs the
/// changes made between batches (stale marking, reset, feedback), each in
/// one `Store.transaction`. The batch (`IngestBatch`) holds the known
/// series and what the open transaction changes, sample by sample.
package final class Ingestor {
  package private(set) var settings: Settings
  package let calendar: SlotCalendar
  package let store: Store
  /// The known series and the batch, open or spare: it is reused, storage
  /// and all, by the next.
  private var batch: IngestBatch
  /// While `withBatch` runs.
  private var isOpen = false
  /// The newest hour whose history pruning ran.
  private var prunedThrough: Int64 = .min

  package struct Cancelled: Error {}

  package init(settings: Settings, store: Store) throws {
    self.settings = settings
    self.calendar = try settings.calendar()
    self.store = store
    try store.setLimits(maxSize: settings.maxDatabaseSize, busyTimeout: settings.busyTimeout)
    batch = IngestBatch(store: store, calendar: calendar, settings: settings, known: try store.loadSeries())
  }

  /// Set when a rollback could not restore the touched series' tracks.
  private var tracksNeedReload = false

  package var seriesCount: Int { batch.states.count }

  /// Takes new detection settings (thresholds, minimum samples, overrides,
  /// learning, memory) from the next batch on. The calendar cannot change.
  package func reload(_ newSettings: Settings) throws {
    precondition(!isOpen, "reload inside a batch")
    let newCalendar = try newSettings.calendar()
    guard newCalendar == calendar else {
      throw StoreError.calendarMismatch(
        path: store.path,
        differences: ["the new config's calendar is \(newCalendar), the running one \(calendar)"])
    }
    try store.setLimits(maxSize: newSettings.maxDatabaseSize, busyTimeout: newSettings.busyTimeout)
    settings = newSettings
  }

  /// Marks series silent for longer than `stale_after` (by the clock) as
  /// stale, in one transaction: an event each, once, until samples resume.
  package func markStaleSeries(now: Double) throws -> [SeriesEvent] {
    precondition(!isOpen, "stale marking inside a batch")
    guard settings.staleAfter > 0 else { return [] }
    let silent = batch.states.indices.filter {
      !batch.states[$0].track.stale && now - batch.states[$0].newest > settings.staleAfter
    }
    guard !silent.isEmpty else { return [] }
    let events = try store.transaction {
      var events: [SeriesEvent] = []
      for number in silent {
        var state = batch.states[number]
        state.track.stale = true
        try store.saveSeries(state)
        let event = SeriesEvent(
          series: batch.index.name(SeriesNumber(Int32(number))), time: now, kind: "stale",
          detail: "no sample for \(Int(now - state.newest)) s (stale_after \(Int(settings.staleAfter)) s)")
        try store.addEvent(event, fileID: nil)
        events.append(event)
      }
      return events
    }
    for number in silent { batch.states[number].track.stale = true }
    return events
  }

  /// Drops a series' model, for a re-provisioned host: its slots learn
  /// from nothing again, its track (calibration, recent level, level shift,
  /// run) starts over, an open incident is closed, and a `reset` event is
  /// recorded; its newest time and history stay. One transaction, between
  /// batches. Returns false when no series has this name.
  package func resetSeries(named name: String, now: Double = Date().timeIntervalSince1970) throws -> Bool {
    precondition(!isOpen, "reset inside a batch")
    var bytes = Array(name.utf8)
    guard let number = bytes.withUnsafeMutableBytes({ batch.index.find(UnsafeRawBufferPointer($0)) }) else {
      return false
    }
    let state = batch.states[number.index]
    let reset = SeriesState(id: state.id, newest: state.newest, samples: 0, track: SeriesTrack())
    try store.transaction {
      try store.clearSlots(series: state.id)
      try store.saveSeries(reset)
      if let open = state.track.incident { try store.saveIncident(id: open.id, open, closed: true) }
      if let open = state.track.varianceIncident { try store.saveIncident(id: open.id, open, closed: true) }
      try store.addEvent(
        SeriesEvent(
          series: name, time: now, kind: "reset",
          detail: "model dropped on request after \(state.samples) samples; it learns anew"), fileID: nil)
    }
    batch.states[number.index] = reset
    batch.work.forgetCommitted(series: number)
    return true
  }

  /// Feedback "that was normal" on an alert: its slot unlearns exactly
  /// what it learned of the flagged sample (recorded with the alert:
  /// clipped, or nothing with `learning = "skip"`) and learns what it
  /// would have learned of it as an ordinary sample, the alert is marked
  /// `feedback = 'normal'`, and a `feedback` event is recorded. Exact with
  /// infinite memory (the default); refused, with the reason, where it
  /// could not be: an alert from before the learned value was recorded,
  /// one whose slot started over since, one from before a confirmed level
  /// shift (the slots were rescaled) or before a reset. The series' other
  /// state (calibration, recent level) is left as it is. One transaction,
  /// between batches. Returns the answer for the operator.
  package func relearnAsNormal(alert id: Int64, now: Double = Date().timeIntervalSince1970) throws -> String {
    precondition(!isOpen, "feedback inside a batch")
    guard let flagged = try store.flaggedSample(alert: id) else { return "no alert #\(id)" }
    guard flagged.feedback == nil else {
      return "nothing to do: alert #\(id) already has feedback (\(flagged.feedback!))"
    }
    if let reset = flagged.resetSince {
      return
        "refused: alert #\(id) was raised by a model of \(flagged.series) that was reset since (at \(Date(timeIntervalSince1970: reset).formatted(.iso8601))); the fresh model never learned that sample, so there is nothing to re-learn"
    }
    if let shift = flagged.shiftConfirmedSince {
      return
        "refused: a level shift of \(flagged.series) was confirmed at or after alert #\(id) (at \(Date(timeIntervalSince1970: shift).formatted(.iso8601))) and its slots rescaled; what the slot learned of the sample can no longer be taken out exactly"
    }
    guard let unclipped = flagged.unclipped else {
      return
        "refused: what the slot learned of alert #\(id)'s sample is not known (an alert from before this version recorded it, or its slot started over since): nothing is changed"
    }
    var bytes = Array(flagged.series.utf8)
    guard let number = bytes.withUnsafeMutableBytes({ batch.index.find(UnsafeRawBufferPointer($0)) }) else {
      return "no series named \(flagged.series)"
    }
    let series = batch.states[number.index].id
    let rules = settings.rules(forSeries: flagged.series)
    let learned = flagged.learned
    var state = batch.states[number.index]
    var band = ""
    var incidentNote = ""
    try store.transaction {
      if learned != unclipped {
        try store.updateSlot(series: series, slot: flagged.slot) { slot in
          let before = (slot.predict(at: flagged.time), Self.spread(slot))
          if let learned { slot.remove(x: flagged.time, y: learned) }
          slot.add(x: flagged.time, y: unclipped, memory: rules.memory)
          let after = (slot.predict(at: flagged.time), Self.spread(slot))
          band =
            "; its slot's line at that time moved from \(before.0.sixDigits) to \(after.0.sixDigits), its own spread from \(before.1.sixDigits) to \(after.1.sixDigits): that slot's band is wider for weeks"
        }
      }
      try store.setFeedback(alert: id, "normal")
      // Its incident, still open, closes once every alert of it was
      // normal: nothing is left to page for.
      if let incident = flagged.incident, let open = state.track.incident, open.id == incident {
        let left = try store.alertsWithoutFeedback(incident: incident)
        if left == 0 {
          try store.saveIncident(id: incident, open, closed: true)
          state.track.incident = nil
          try store.saveSeries(state)
          incidentNote = "; incident #\(incident) closed (every alert of it was normal)"
        } else {
          incidentNote = "; incident #\(incident) stays open: \(left) of its alerts have no feedback"
        }
      }
      try store.addEvent(
        SeriesEvent(
          series: flagged.series, time: now, kind: "feedback",
          detail: "alert #\(id) (value \(flagged.value.sixDigits)) re-learned as normal on request"),
        fileID: nil)
    }
    batch.states[number.index].track.incident = state.track.incident
    batch.work.forgetCommitted(series: number)
    if learned == unclipped {
      return
        "alert #\(id): \(flagged.series) at \(flagged.value.sixDigits) marked normal; its slot had learned it as it was\(incidentNote)"
    }
    return
      "alert #\(id): \(flagged.series) at \(flagged.value.sixDigits) re-learned as normal\(band)\(incidentNote)"
  }

  /// A slot's own spread: the root of its residual sum of squares over
  /// its weight less one (0 with fewer than two samples).
  static func spread(_ slot: SlotRegression) -> Double {
    slot.weight > 1 ? (max(slot.residualSumOfSquares, 0) / (slot.weight - 1)).squareRoot() : 0
  }

  /// Runs `body`, which applies files (`apply`), as one batch in one
  /// transaction: when it returns, what the files changed together (slots,
  /// history, series, incidents) is written and everything commits; when
  /// it throws, or the commit fails, nothing of its files was applied, the
  /// series are as they were, and the error is rethrown. Files applied in
  /// one batch cost one commit, one write of each series and slot block,
  /// instead of one per file.
  package func withBatch<Result>(_ body: () throws -> Result) throws -> Result {
    precondition(!isOpen, "batches do not nest")
    if tracksNeedReload {
      for (number, known) in try store.loadSeries().enumerated() where number < batch.states.count {
        batch.states[number].track = known.state.track
      }
      tracksNeedReload = false
    }
    batch.reset(settings: settings)
    isOpen = true
    defer { isOpen = false }
    let result: Result
    do {
      result = try store.transaction {
        let result = try body()
        try batch.write()
        try pruneHistory()
        return result
      }
    } catch {
      restoreCommitted()
      throw error
    }
    batch.adoptCommitted()
    return result
  }

  /// Applies one file's bytes in the open batch and writes what the file
  /// adds on its own (alerts, events, rejected lines, ledger counts) into
  /// the open transaction. After an error the batch must be rolled back.
  ///
  /// - Parameter shouldCancel: polled every 16384 lines; when it returns
  ///   true `Cancelled` is thrown.
  package func apply(
    bytes file: [UInt8], name: String, sha256: String, now: Double = Date().timeIntervalSince1970,
    shouldCancel: () -> Bool = { false }
  ) throws -> FileReport {
    precondition(isOpen, "apply outside withBatch")
    return try file.withUnsafeBytes { bytes in
      try apply(bytes: bytes, name: name, sha256: sha256, now: now, shouldCancel: shouldCancel)
    }
  }

  /// The hot loop over a file's lines, on its bytes in place.
  private func apply(
    bytes: UnsafeRawBufferPointer, name: String, sha256: String, now: Double, shouldCancel: () -> Bool
  ) throws -> FileReport {
    batch.files += 1
    var report = FileReport(name: name, size: bytes.count, sha256: sha256)
    if let entry = try store.ledgerEntry(sha256: sha256) {
      // Applied before; again only if some of its lines were ahead of the
      // clock then. Its lines applied the first time are now not newer
      // than their series' newest sample, and are rejected: none counts
      // twice.
      guard entry.laterLines > 0 else {
        report.alreadyApplied = true
        return report
      }
      try store.supersedeLedgerEntry(id: entry.id)
      report.appliedAgain = true
    }
    let parser = GraphiteLineParser(
      maxLineLength: settings.maxLineLength, maxSeriesNameLength: settings.maxSeriesNameLength, now: now,
      maxFuture: settings.maxFuture)
    batch.fileID = try store.addFile(name: name, size: bytes.count, sha256: sha256, at: now)
    try SampleFile.forEachLine(in: bytes) { lineNumber, line in
      if lineNumber & 0x3FFF == 0, shouldCancel() { throw Cancelled() }
      switch parser.parseLine(line) {
      case .blank: return
      case .rejected(let reason): report.reject(lineNumber, .unreadable(reason), line)
      case .sample(let series, let value, let timestamp):
        try batch.apply(
          name: UnsafeRawBufferPointer(rebasing: line[series]), value: value, timestamp: timestamp,
          line: lineNumber, bytes: line, now: now, report: &report)
      }
    }
    try batch.finish(report)
    return report
  }

  /// Whether the open batch should commit before another file
  /// (`IngestBatch.isFull`: files, age, working set).
  package var batchIsFull: Bool { isOpen && batch.isFull }

  /// After a rollback: the series created in the batch are forgotten, and
  /// the touched series' tracks, which the batch changed in place, are
  /// read back from the store. Should that fail, the next batch reloads
  /// every track first.
  private func restoreCommitted() {
    let touched = batch.touchedCommitted
    batch.forgetUncommitted()
    do {
      for (number, id) in touched { batch.states[number].track = try store.loadTrack(series: id) }
    } catch {
      tracksNeedReload = true
    }
  }

  /// Once per hour of data: drops the history, and with `retention` the
  /// records, that fell out of their windows.
  private func pruneHistory() throws {
    guard settings.historyDays > 0 || settings.retention > 0, let newest = batch.newestSample else { return }
    let hour = Int64((newest / 3600).rounded(.down))
    guard hour > prunedThrough else { return }
    if settings.historyDays > 0 { try store.pruneHistory(before: hour - Int64(settings.historyDays) * 24) }
    if settings.retention > 0 {
      try store.pruneRecords(
        dataBefore: newest - settings.retention,
        filesBefore: Date().timeIntervalSince1970 - settings.retention)
    }
    prunedThrough = hour
  }
}
