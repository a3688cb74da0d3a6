/// The kind of noise a series shows around what its model expects, which
/// decides how improbable a sample is (`NoiseModel`).
package enum NoiseFamily: String, Sendable, Hashable, CaseIterable {
  /// Gaussian around the pattern, the spread the same at every level
  /// (temperatures, most gauges): the slots' own Student t score.
  case additive
  /// Log-normal: the spread grows with the level and the tail is heavier
  /// upwards (latencies, sizes, rates): judged on the log scale, where a
  /// band is symmetric.
  case multiplicative
  /// Whole numbers that are never negative (errors, requests): Poisson, or
  /// negative binomial when more spread (over-dispersed). Never expected,
  /// nor banded, below zero.
  case counts
  /// Mostly zeros with bursts (queues, rare errors): a zero is ordinary; a
  /// burst is improbable by its size among the series' bursts and by how
  /// long it lasts against its usual length.
  case intermittent
  /// No variation at all: any change is improbable (the slots' score, at
  /// its noise floor).
  case constant
}
