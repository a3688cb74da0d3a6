/// What judged a sample: its weekly slot's line, or, while that slot is
/// still warming up, the series' recent level (cold start).
package enum Baseline: String, Sendable, Hashable, Codable {
  case weekly
  case recent
}
