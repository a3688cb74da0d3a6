/// How a slot judges and learns: threshold, warm-up, forgetting, noise floor
/// and learning policy. Pure value; no I/O.
package struct ScoringRules: Sendable {
  /// The threshold on `scale`.
  package var threshold: Double
  package var scale: ThresholdScale
  /// Samples a slot needs before it may judge: at least 3 for a slot alone
  /// (n − 2 ≥ 1 degree of freedom), at least 2 when its noise is pooled.
  package var minimumSamples: Int
  /// Forgetting: the weight at which a slot stops growing (`.infinity`: never).
  package var memory: Double
  package var learning: LearningPolicy
  package var noiseFloor: NoiseFloor
  /// Whether the prediction error includes the line's own uncertainty
  /// (1/n + (x − x̄)²/Cxx). Off reproduces seed 001 (residual / RSE), for
  /// comparison only.
  package var leverage: Bool
  /// Whether `judge` widens the critical value by the series' tail factor
  /// (ScoreTail) and records each judged sample's score in its tail.
  package var calibrate: Bool
  /// Whether `judge` judges samples of warming slots by the series' recent
  /// level (RecentLevel) instead of not at all.
  package var coldStart: Bool
  /// Samples a slot needs before its line has a slope (a trend); with
  /// fewer its line is flat at the slot's mean, with n − 1 degrees of
  /// freedom. A slope from three or four weekly samples is mostly noise,
  /// and one burst among them tilts the line for weeks
  /// (docs/detection.md). 0: a slope from the start.
  package var trendAfter: Double
  /// The critical values, read through the table's address: the table
  /// lives for the whole process in CriticalValues' cache, and a reference
  /// to it (even `unowned(unsafe)`) was retained and released on every
  /// lookup (`CriticalValues.Lookup`).
  private let criticalValues: CriticalValues.Lookup?
  /// P(|Z| > threshold): the share of samples the threshold lets through
  /// on a series as Gaussian as the model; the rank gate's rate
  /// (ScoreTail.isCommon).
  package let alertRate: Double

  package init(
    threshold: Double = 4, scale: ThresholdScale = .t, minimumSamples: Int = 4, memory: Double = .infinity,
    learning: LearningPolicy = .clip, noiseFloor: NoiseFloor = .standard, leverage: Bool = true,
    calibrate: Bool = false, coldStart: Bool = false, trendAfter: Double = 0
  ) {
    precondition(threshold > 0, "threshold must be positive")
    precondition(minimumSamples >= 2, "a slot needs at least 2 samples for a line")
    precondition(memory >= 2, "memory below 2 samples leaves no line")
    self.threshold = threshold
    self.scale = scale
    self.minimumSamples = minimumSamples
    self.memory = memory
    self.learning = learning
    self.noiseFloor = noiseFloor
    self.leverage = leverage
    self.calibrate = calibrate
    self.coldStart = coldStart
    self.trendAfter = trendAfter
    criticalValues = scale == .normal ? CriticalValues.lookup(forThreshold: threshold) : nil
    alertRate = NormalDistribution.twoSidedTail(threshold)
  }

  /// The |t| above which a score with ν degrees of freedom is an outlier.
  @inline(__always)
  package func critical(degreesOfFreedom nu: Double) -> Double {
    criticalValues?.value(degreesOfFreedom: nu) ?? threshold
  }

  /// Scores the sample (x, y) against the slot's line, before learning it.
  ///
  /// - Parameters:
  ///   - pool: the noise of the slot's block (including this slot); nil, or
  ///     a pool without degrees of freedom, uses the slot alone.
  ///   - tailFactor: κ ≥ 1, the series' calibration (ScoreTail) above the
  ///     line: the critical value is κ times the parametric one.
  ///   - tailFactorBelow: κ below the line (SidedTail); nil: the same.
  ///   - nonNegative: the series has never been negative: a line that
  ///     extrapolates below zero expects zero instead, and the band stops
  ///     at zero (a count falling week after week must not make its next
  ///     ordinary value an outlier above a negative expectation).
  @inline(__always)
  package func assess(
    _ slot: SlotRegression, x: Double, y: Double, pool: NoisePool? = nil, tailFactor: Double = 1,
    tailFactorBelow: Double? = nil, nonNegative: Bool = false
  ) -> Assessment {
    let n = slot.weight
    // A slot at full memory holds weight N up to rounding; allow for it.
    guard n >= Double(minimumSamples) * (1 - 1e-12) else {
      return .cannotJudge(.tooFewSamples(have: n, need: minimumSamples))
    }
    let flat = n < trendAfter
    guard flat || slot.cxx > 0 else { return .cannotJudge(.noSpreadInTime) }
    let inverseCxx = flat ? 0 : 1 / slot.cxx
    let slope = slot.cxy * inverseCxx
    let dx = slot.deviationX(x)
    var expectedOffset = slot.offsetMeanY + slope * dx
    var expected = slot.originY + expectedOffset
    if nonNegative && expected < 0 {
      expected = 0
      expectedOffset = -slot.originY
    }
    var variance: Double
    let dof: Double
    if let pool, pool.degreesOfFreedom >= 1 {
      variance = pool.rss / pool.degreesOfFreedom
      dof = pool.degreesOfFreedom
    } else {
      guard n > 2 else { return .cannotJudge(.tooFewSamples(have: n, need: 3)) }
      let rss = slot.cyy - slot.cxy * slope
      variance = rss > 0 ? rss / (n - (flat ? 1 : 2)) : 0
      dof = n - (flat ? 1 : 2)
    }
    let floor = max(noiseFloor.absolute, noiseFloor.relative * abs(expected))
    if variance < floor * floor { variance = floor * floor }
    guard variance > 0 else { return .cannotJudge(.noResidualVariance) }
    let leverage = self.leverage ? 1 / n + dx * dx * inverseCxx : 0
    // y − ŷ as (y − y₀) − (ŷ − y₀): exact where y is near y₀.
    let residual = (y - slot.originY) - expectedOffset
    let parametric = critical(degreesOfFreedom: dof)
    let below = tailFactorBelow ?? tailFactor
    let factor = residual < 0 ? below : tailFactor
    return .scored(
      SlotScore(
        expected: expected, residual: residual, residualVariance: variance,
        predictionVariance: variance * (1 + leverage), samples: n, degreesOfFreedom: dof,
        critical: parametric * factor, tailFactor: factor, lowerLimit: nonNegative ? 0 : -.infinity,
        criticalBelow: parametric * below, criticalAbove: parametric * tailFactor))
  }

  /// The value the slot learns for a sample, by the learning policy; nil
  /// when the sample is to be skipped.
  @inline(__always)
  package func valueToLearn(y: Double, assessment: Assessment) -> Double? {
    guard case .scored(let score) = assessment, score.isBeyondModel else { return y }
    switch learning {
    case .learn: return y
    case .skip: return nil
    case .clip:
      // Winsorize at ±2 SE (Huber's choice), not at the band edge: a value
      // learned at the band edge (4 SE or more) adds 16 s² or more to the
      // slot's RSS, so each flagged sample would widen the band of its slot
      // and of its whole noise block, and an incident would hide its own
      // later samples. Measured in docs/detection.md.
      let halfWidth = min(Self.clipWidth, score.critical / score.tailFactor) * score.standardError
      return min(max(y, score.expected - halfWidth), score.expected + halfWidth)
    }
  }

  /// Standard errors from the line at which `clip` cuts a flagged value.
  package static let clipWidth = 2.0
}
