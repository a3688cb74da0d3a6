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
  private var series: [String: SeriesState]
  /// Scoring rules by series id, resolved from the overrides once.
  private var rulesBySeries: [Int64: ScoringRules] = [:]

  public struct Cancelled: Error {}

  private struct SeriesDay: Hashable {
    var series: Int64
    var day: Int64
  }

  public init(settings: Settings, store: Store) throws {
    self.settings = settings
    self.calendar = try settings.calendar()
    self.store = store
    self.series = try store.loadSeries()
  }

  public var seriesCount: Int { series.count }

  /// Takes new detection settings (thresholds, minimum samples, overrides,
  /// learning, memory) from the next file on. The calendar cannot change.
  public func reload(_ newSettings: Settings) throws {
    let newCalendar = try newSettings.calendar()
    guard newCalendar == calendar else {
      throw StoreError.calendarMismatch(
        path: store.path, differences: ["the new config's calendar is \(newCalendar), the running one \(calendar)"])
    }
    settings = newSettings
    rulesBySeries.removeAll()
  }

  private func rules(for state: SeriesState, name: String) -> ScoringRules {
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
      let fileID = try store.addFile(name: name, size: bytes.count, sha256: sha256, at: now)
      var changedSeries: [String: SeriesState] = [:]
      var changedSlots: [SlotKey: SlotRegression] = [:]
      var history: [SeriesDay: [Double]] = [:]
      let keepHistory = settings.historyDays > 0

      func reject(_ line: Int, _ reason: LineRejection, _ text: UnsafeRawBufferPointer) {
        let cut = UnsafeRawBufferPointer(rebasing: text.prefix(1000))
        report.rejected.append(RejectedLine(line: line, reason: reason, text: String(decoding: cut, as: UTF8.self)))
      }

      try SampleFile.forEachLine(in: bytes) { lineNumber, line in
        if lineNumber & 0x3FFF == 0, shouldCancel() { throw Cancelled() }
        guard let parsed = parser.parse(line) else { return }
        let sample: ParsedSample
        switch parsed {
        case .failure(let reason):
          reject(lineNumber, reason, line)
          return
        case .success(let s): sample = s
        }
        var state: SeriesState
        if let known = changedSeries[sample.series] ?? series[sample.series] {
          state = known
        } else {
          guard settings.maxSeries == 0 || series.count + report.newSeries < settings.maxSeries else {
            reject(lineNumber, .tooManySeries(limit: settings.maxSeries), line)
            return
          }
          state = SeriesState(id: try store.addSeries(name: sample.series, at: now), newest: -.infinity, samples: 0)
          report.newSeries += 1
        }
        guard sample.timestamp > state.newest else {
          reject(lineNumber, .notNewer(timestamp: sample.timestamp, newest: state.newest), line)
          return
        }
        let slotIndex = calendar.slot(at: sample.timestamp)
        let key = SlotKey(series: state.id, slot: Int32(slotIndex))
        var slot = try changedSlots[key] ?? store.slot(key) ?? SlotRegression()
        let rules = rules(for: state, name: sample.series)
        let assessment = rules.assessAndLearn(&slot, x: sample.timestamp, y: sample.value)
        switch assessment {
        case .scored(let score) where rules.isAlert(score):
          report.alerts.append(
            Alert(
              series: sample.series, timestamp: sample.timestamp, value: sample.value, slot: slotIndex,
              threshold: rules.threshold, score: score))
        case .scored: break
        case .cannotJudge: report.unjudged += 1
        }
        changedSlots[key] = slot
        if keepHistory {
          history[SeriesDay(series: state.id, day: Int64((sample.timestamp / 86_400).rounded(.down))), default: []]
            .append(contentsOf: [sample.timestamp, sample.value])
        }
        state.newest = sample.timestamp
        state.samples += 1
        changedSeries[sample.series] = state
        report.accepted += 1
        report.newestSample = max(report.newestSample ?? sample.timestamp, sample.timestamp)
      }

      for (key, slot) in changedSlots { try store.saveSlot(key, slot) }
      for state in changedSeries.values { try store.saveSeries(state) }
      for (key, pairs) in history { try store.appendHistory(series: key.series, day: key.day, pairs: pairs) }
      if keepHistory {
        for (name, state) in changedSeries {
          let newestDay = Int64((state.newest / 86_400).rounded(.down))
          let previousDay = series[name].map { Int64(($0.newest / 86_400).rounded(.down)) }
          if previousDay != newestDay {
            try store.pruneHistory(series: state.id, before: newestDay - Int64(settings.historyDays) + 1)
          }
        }
      }
      for alert in report.alerts { try store.addAlert(alert, fileID: fileID) }
      for rejection in report.rejected { try store.addRejection(rejection, fileID: fileID) }
      try store.finishFile(
        id: fileID, accepted: report.accepted, rejected: report.rejected.count, alerts: report.alerts.count)
      try beforeCommit(report)
      try store.commit()
      series.merge(changedSeries) { _, new in new }
    } catch {
      store.rollback()
      // Ids of series created in the rolled-back transaction will be reused.
      rulesBySeries.removeAll()
      throw error
    }
    return report
  }
}
