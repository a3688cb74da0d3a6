/// The scoring rules of each series, resolved from the config's overrides
/// once per series and kept by series number.
///
/// Contract: numbers are those of the ingestor's `SeriesIndex`; after a
/// rollback, numbers are reused for other names, so `forgetSeries()` must
/// run.
struct SeriesRules {
  let settings: Settings
  /// The rules of every series, when no override is configured (the common
  /// case: no lookup per sample).
  let shared: ScoringRules?
  private let defaults: ScoringRules
  private var bySeries: [SeriesNumber: ScoringRules] = [:]
  /// Whether any maintenance window is configured (most often not: then
  /// no sample pays for the check).
  let hasMaintenance: Bool
  private var pausedBySeries: [SeriesNumber: [Range<Int32>]] = [:]

  init(settings: Settings) {
    self.settings = settings
    defaults = settings.rules(forSeries: "")
    shared = settings.overrides.isEmpty ? defaults : nil
    hasMaintenance = !settings.maintenance.isEmpty
  }

  /// The rules of series `number` of `index`.
  mutating func rules(for number: SeriesNumber, in index: SeriesIndex) -> ScoringRules {
    if let shared { return shared }
    if let rules = bySeries[number] { return rules }
    let rules = settings.rules(forSeries: index.name(number))
    bySeries[number] = rules
    return rules
  }

  /// Whether series `number`'s samples in `slot` are left alone (a
  /// maintenance window).
  mutating func isPaused(_ number: SeriesNumber, slot: Int32, in index: SeriesIndex) -> Bool {
    let ranges: [Range<Int32>]
    if let known = pausedBySeries[number] {
      ranges = known
    } else {
      ranges = settings.pausedSlots(forSeries: index.name(number))
      pausedBySeries[number] = ranges
    }
    return ranges.contains { $0.contains(slot) }
  }

  mutating func forgetSeries() {
    bySeries.removeAll()
    pausedBySeries.removeAll()
  }
}
