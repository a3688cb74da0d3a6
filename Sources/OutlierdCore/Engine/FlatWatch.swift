import Foundation

/// Whether a series has stopped varying: a run of samples that all repeat
/// the one before, as a frozen exporter, a stuck sensor or a hung job
/// leaves behind, is a collective anomaly no single sample shows (each is
/// an ordinary value for the series).
///
/// The series learns how often a sample repeats the one before (c, over
/// about a week, with half a repeat added to the n samples seen so it is
/// never 0: (c·n + ½) / (n + 1)); a run of L equal samples then has
/// probability c^(L − 1). A run whose probability falls to the threshold's
/// two-sided tail or below is a `variance` alert, with the normal-equivalent
/// score of that probability (negative: the variance vanished), at every
/// sample of the run from there on. Only a series of fractional values
/// that hardly ever repeats one (in at most 5% of its samples: a
/// measurement, not a count, a queue or a coarsely rounded gauge) is
/// watched: where repeats are common
/// they come in long runs of one value (a count's zeros at night, an idle
/// CPU at 0.0) that no share of repeats predicts. Four numbers, kept in the
/// track.
package struct FlatWatch: Sendable, Hashable, Codable {
  /// The sample before (meaningless while `samples` is 0).
  package private(set) var previous: Double = 0
  /// Samples in the run of equal values that ends with `previous`.
  package private(set) var length: Double = 0
  /// The share of samples that repeat the one before.
  package private(set) var repeats: Double = 0
  /// Samples learned, up to `memory`.
  package private(set) var samples: Double = 0

  /// Samples that weigh in `repeats`: about a week at 5 minutes.
  package static let memory = 2016.0
  /// Samples before a run may alert: a day.
  package static let minimumSamples = 288.0
  /// The largest share of repeats of a series that is watched.
  package static let largestRepeats = 0.05

  package init() {}

  init(previous: Double, length: Double, repeats: Double, samples: Double) {
    self.previous = previous
    self.length = length
    self.repeats = repeats
    self.samples = samples
  }

  /// The normal-equivalent score (≤ 0) of the run y would extend, or nil
  /// when y differs from the sample before, too few samples are known, or
  /// the series is not watched: it repeats too often, or is whole numbers
  /// (`integerShare`, its `NoiseModel`'s: counts repeat by chance).
  @inline(__always)
  package func score(_ y: Double, integerShare: Double) -> Double? {
    guard samples >= Self.minimumSamples, y == previous, repeats <= Self.largestRepeats, integerShare < 0.5
    else { return nil }
    let c = (repeats * samples + 0.5) / (samples + 1)
    let p = pow(c, length)  // the run of length + 1 samples: c^length
    return -NormalDistribution.twoSidedQuantile(max(p, 1e-300))
  }

  /// Learns y, after it was judged.
  @inline(__always)
  package mutating func learn(_ y: Double) {
    let repeated = samples > 0 && y == previous
    length = repeated ? length + 1 : 1
    samples = min(samples + 1, Self.memory)
    repeats += ((repeated ? 1 : 0) - repeats) / samples
    previous = y
  }
}
