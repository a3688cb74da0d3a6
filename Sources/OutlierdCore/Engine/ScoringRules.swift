/// What the detector does with a sample that was flagged as an outlier.
public enum LearningPolicy: String, Sendable, Hashable, CaseIterable {
  /// Learn the value as it is.
  case learn
  /// Learn the value clipped to the band edge, so one incident cannot widen
  /// the band for the weeks after it.
  case clip
  /// Do not learn it at all.
  case skip
}

/// The smallest residual standard error a slot is allowed to have, so that a
/// near-constant series does not raise alerts from float noise:
/// s ≥ max(absolute, relative·|ŷ|).
public struct NoiseFloor: Sendable, Hashable {
  public var relative: Double
  public var absolute: Double

  /// 1e-9 of the level is ten million times the rounding error of a Double
  /// (≈1.1e-16) and far below any real measurement's resolution.
  public static let standard = NoiseFloor(relative: 1e-9, absolute: 0)
  public static let none = NoiseFloor(relative: 0, absolute: 0)

  public init(relative: Double, absolute: Double) {
    self.relative = relative
    self.absolute = absolute
  }
}

/// How a slot judges and learns: threshold, warm-up, forgetting, noise floor
/// and learning policy. Pure value; no I/O.
public struct ScoringRules: Sendable, Hashable {
  /// |studentized residual| above which a sample is an alert.
  public var threshold: Double
  /// Samples a slot needs before it may judge; never below 3, since n − 2
  /// residual degrees of freedom must be at least 1.
  public var minimumSamples: Int
  /// Forgetting: the weight at which a slot stops growing (`.infinity`: never).
  public var memory: Double
  public var learning: LearningPolicy
  public var noiseFloor: NoiseFloor

  public init(
    threshold: Double = 4, minimumSamples: Int = 4, memory: Double = .infinity,
    learning: LearningPolicy = .clip, noiseFloor: NoiseFloor = .standard
  ) {
    precondition(threshold > 0, "threshold must be positive")
    precondition(minimumSamples >= 3, "a slot needs at least 3 samples to judge")
    precondition(memory >= 3, "memory below 3 samples leaves no degrees of freedom")
    self.threshold = threshold
    self.minimumSamples = minimumSamples
    self.memory = memory
    self.learning = learning
    self.noiseFloor = noiseFloor
  }

  /// Scores the sample (x, y) against the slot's line, before learning it.
  @inline(__always)
  public func assess(_ slot: SlotRegression, x: Double, y: Double) -> Assessment {
    let n = slot.weight
    // A slot at full memory holds weight N up to rounding; allow for it.
    guard n >= Double(minimumSamples) * (1 - 1e-12) else {
      return .cannotJudge(.tooFewSamples(have: n, need: minimumSamples))
    }
    guard slot.cxx > 0 else { return .cannotJudge(.noSpreadInTime) }
    let inverseCxx = 1 / slot.cxx
    let slope = slot.cxy * inverseCxx
    let dx = slot.deviationX(x)
    let expectedOffset = slot.offsetMeanY + slope * dx
    let expected = slot.originY + expectedOffset
    let rss = slot.cyy - slot.cxy * slope
    var variance = rss > 0 ? rss / (n - 2) : 0
    let floor = max(noiseFloor.absolute, noiseFloor.relative * abs(expected))
    if variance < floor * floor { variance = floor * floor }
    guard variance > 0 else { return .cannotJudge(.noResidualVariance) }
    let leverage = 1 / n + dx * dx * inverseCxx
    // y − ŷ as (y − y₀) − (ŷ − y₀): exact where y is near y₀.
    let residual = (y - slot.originY) - expectedOffset
    return .scored(
      SlotScore(
        expected: expected, residual: residual, residualVariance: variance,
        predictionVariance: variance * (1 + leverage), samples: n))
  }

  @inline(__always)
  public func isAlert(_ score: SlotScore) -> Bool {
    score.exceeds(threshold)
  }

  /// The value the slot learns for a sample, by the learning policy; nil
  /// when the sample is to be skipped.
  @inline(__always)
  public func valueToLearn(y: Double, assessment: Assessment) -> Double? {
    guard case .scored(let score) = assessment, isAlert(score) else { return y }
    switch learning {
    case .learn: return y
    case .skip: return nil
    case .clip:
      let band = score.band(threshold: threshold)
      return min(max(y, band.lowerBound), band.upperBound)
    }
  }

  /// Assesses the sample, then learns it by the policy. The hot path.
  @inline(__always)
  public func assessAndLearn(_ slot: inout SlotRegression, x: Double, y: Double) -> Assessment {
    let assessment = assess(slot, x: x, y: y)
    if let value = valueToLearn(y: y, assessment: assessment) {
      slot.add(x: x, y: value, memory: memory)
    }
    return assessment
  }
}
