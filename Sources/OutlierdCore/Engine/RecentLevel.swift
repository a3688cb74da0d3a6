/// A series' recent level, the baseline that judges its samples while their
/// weekly slots are still warming up (cold start).
///
/// A weekly slot needs two to three weeks of samples before it can judge;
/// a new series, or one whose history is shorter than that, would otherwise
/// be watched by nothing. The recent level is an exponentially weighted
/// mean of the last hour or so of samples (`levelMemory` samples) and an
/// exponentially weighted variance of the one-step residuals around it over
/// the last three days (`noiseMemory`): a sample is an outlier when it lies
/// more than the threshold (times this baseline's own tail factor,
/// `ScoreTail`) in standard deviations from the level. An outlier moves the
/// level at most `outlierStep` standard deviations (see `learn`).
///
/// It follows a daily cycle with a lag and does not know the week: it is
/// coarser than the weekly slots and hands over to them as soon as they
/// can judge. Plain numbers, kept in the series' track.
package struct RecentLevel: Sendable, Hashable, Codable {
  package private(set) var mean: Double = 0
  package private(set) var variance: Double = 0
  /// Samples learned, up to `noiseMemory` (the weights' normaliser).
  package private(set) var samples: Double = 0
  /// The current run of outliers: its side (±1), length and sum.
  package private(set) var runSign: Double = 0
  package private(set) var runLength = 0
  package private(set) var runSum: Double = 0
  /// Samples of the current run its warming slots learned clipped; kept
  /// and resolved by `ScoringRules` (learn does not touch them).
  package internal(set) var clipped = ClippedRun()
  /// The calibration of this baseline's scores, as for the slots. Last:
  /// the fields above are what every sample reads (`SeriesTrack`'s order).
  package var tail = SidedTail()

  /// Samples whose mean is the level: about an hour of 5-minute samples.
  package static let levelMemory = 12.0
  /// Samples whose squared residuals make the noise: about three days.
  package static let noiseMemory = 864.0
  /// Samples learned before the level may judge.
  package static let minimumSamples = 144.0
  /// Standard deviations at which a residual is clipped for the noise: only
  /// absurd ones. A tighter clip (3) made the noise of bursty series too
  /// small and their false alarms many times more (docs/detection.md).
  package static let clip = 10.0
  /// Standard deviations an outlier moves the level by, at most.
  package static let outlierStep = 2.0
  /// Outliers in a row, on one side, that make a new level.
  package static let confirmAfter = 3

  package init() {}

  /// The JSON of tracks from before the binary coding (`TrackCoding`) has
  /// no clipped run: it is not a key, and starts empty.
  enum CodingKeys: String, CodingKey { case mean, variance, samples, tail, runSign, runLength, runSum }

  /// Restores a level saved earlier (the store's binary track).
  init(
    mean: Double, variance: Double, samples: Double, tail: SidedTail, runSign: Double, runLength: Int,
    runSum: Double, clipped: ClippedRun = ClippedRun()
  ) {
    self.mean = mean
    self.variance = variance
    self.samples = samples
    self.tail = tail
    self.runSign = runSign
    self.runLength = runLength
    self.runSum = runSum
    self.clipped = clipped
  }

  /// Whether the level may judge: it has learned `minimumSamples` and
  /// has a variance.
  @inline(__always)
  package var canJudge: Bool { samples >= Self.minimumSamples && variance > 0 }

  /// The baseline's score of y; meaningful only when `canJudge` (the
  /// caller checks: an optional score was copied once more per sample).
  ///
  /// - Parameters:
  ///   - critical: the parametric critical value.
  ///   - tailFactor: κ above the level; `tailFactorBelow` below it (the
  ///     same when nil).
  @inline(__always)
  package func score(
    _ y: Double, critical: Double, tailFactor: Double, tailFactorBelow: Double? = nil,
    lowerLimit: Double = -.infinity
  ) -> SlotScore {
    assert(canJudge, "the recent level scores once it can judge")
    let residual = y - mean
    // The level's own uncertainty, as the slots' leverage term: 1/n of the
    // variance for an n-sample mean.
    let prediction = variance * (1 + 1 / Self.levelMemory)
    let below = tailFactorBelow ?? tailFactor
    let factor = residual < 0 ? below : tailFactor
    return SlotScore(
      expected: mean, residual: residual, residualVariance: variance, predictionVariance: prediction,
      samples: samples, degreesOfFreedom: samples, critical: critical * factor, tailFactor: factor,
      baseline: .recent, lowerLimit: lowerLimit, criticalBelow: critical * below,
      criticalAbove: critical * tailFactor)
  }

  /// Learns y: the first sample sets the level; later ones move it and the
  /// noise by their residual.
  ///
  /// - Parameter limit: the critical value in standard deviations (the
  ///   threshold's, times this baseline's tail factor). A sample beyond it
  ///   moves the level only to ±`outlierStep` standard deviations, so one
  ///   spike does not drag the level away and make the normal samples after
  ///   it look like outliers; `confirmAfter` of them in a row on one side
  ///   are a new level, and the level moves to their mean at once, so a
  ///   lasting change alarms a few times, not until a slow mean catches up.
  /// - Returns: true when y confirmed a run as the new level.
  @inline(__always)
  @discardableResult
  package mutating func learn(_ y: Double, limit: Double) -> Bool {
    guard samples > 0 else {
      mean = y
      samples = 1
      return false
    }
    let residual = y - mean
    var step = residual
    var bounded = residual
    if samples >= Self.minimumSamples && variance > 0 {
      let sd = variance.squareRoot()
      let sign = residual < 0 ? -1.0 : 1.0
      if residual * residual > limit * limit * variance {
        if sign != runSign {
          runSign = sign
          runLength = 0
          runSum = 0
        }
        runLength += 1
        runSum += y
        step = sign * Self.outlierStep * sd
      } else {
        runLength = 0
        runSum = 0
      }
      bounded = min(max(residual, -Self.clip * sd), Self.clip * sd)
    }
    samples = min(samples + 1, Self.noiseMemory)
    // Until the memories fill, plain means: 1/n weights.
    let levelWeight = 1 / min(samples, Self.levelMemory)
    let noiseWeight = 1 / samples
    variance += noiseWeight * (bounded * bounded - variance)
    if runLength >= Self.confirmAfter {
      mean = runSum / Double(runLength)
      runLength = 0
      runSum = 0
      return true
    }
    mean += levelWeight * step
    return false
  }
}
