/// The spread of a series' samples around their hour in its
/// `DailyProfile` (the same time on its previous days): an exponentially
/// weighted variance of those residuals over about three days, each
/// clipped at 10 of the spread so far. Two numbers, kept in the series'
/// track.
package struct DailyNoise: Sendable, Hashable, Codable {
  package private(set) var variance: Double = 0
  package private(set) var samples: Double = 0

  /// Samples whose squared residuals make the variance: about three days.
  package static let memory = 864.0
  /// Residuals learned before it may vouch for a sample: two hours.
  package static let minimumSamples = 24.0

  package init() {}

  init(variance: Double, samples: Double) {
    self.variance = variance
    self.samples = samples
  }

  package var canJudge: Bool { samples >= Self.minimumSamples && variance > 0 }

  /// Learns the residual of a sample from its hour's mean.
  package mutating func learn(_ residual: Double) {
    guard residual.isFinite else { return }
    var r = residual
    if samples >= Self.minimumSamples && variance > 0 {
      let limit = 10 * variance.squareRoot()
      r = min(max(r, -limit), limit)
    }
    samples = min(samples + 1, Self.memory)
    variance += (r * r - variance) / samples
  }
}
