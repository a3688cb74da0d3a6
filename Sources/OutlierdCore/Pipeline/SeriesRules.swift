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
  private var bySeries: [Int32: ScoringRules] = [:]

  init(settings: Settings) {
    self.settings = settings
    defaults = settings.rules(forSeries: "")
    shared = settings.overrides.isEmpty && settings.maintenance.isEmpty ? defaults : nil
  }

  /// The rules of series `number` of `index`.
  mutating func rules(for number: Int32, in index: SeriesIndex) -> ScoringRules {
    if let shared { return shared }
    if let rules = bySeries[number] { return rules }
    let rules = settings.rules(forSeries: index.name(number))
    bySeries[number] = rules
    return rules
  }

  mutating func forgetSeries() { bySeries.removeAll() }
}
