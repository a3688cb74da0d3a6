/// How far a new sample lies from its slot's line, judged before the sample
/// is learned.
public struct SlotScore: Sendable, Hashable {
  /// ŷ, the slot's line evaluated at the sample's time.
  public let expected: Double
  /// y − ŷ.
  public let residual: Double
  /// s² = RSS / (n − 2), raised to the noise floor's square where below it.
  public let residualVariance: Double
  /// SE² = s²·(1 + 1/n + (x − x̄)²/Cxx), the variance of a new observation
  /// at this x around the line.
  public let predictionVariance: Double
  /// The slot's weight n at scoring time.
  public let samples: Double

  public init(expected: Double, residual: Double, residualVariance: Double, predictionVariance: Double, samples: Double)
  {
    self.expected = expected
    self.residual = residual
    self.residualVariance = residualVariance
    self.predictionVariance = predictionVariance
    self.samples = samples
  }

  // The square roots and the division below are left to the readers that
  // need them: the hot path decides an alert from the variances alone.

  /// s, the residual standard error.
  public var residualStandardError: Double { residualVariance.squareRoot() }
  /// SE, the standard error of a new observation at this x.
  public var standardError: Double { predictionVariance.squareRoot() }
  /// The studentized residual (y − ŷ) / SE, signed.
  public var studentized: Double { residual / standardError }

  /// n − 2, the residual degrees of freedom.
  public var degreesOfFreedom: Double { samples - 2 }

  /// Two-sided p-value of the studentized residual under Student's t with
  /// n − 2 degrees of freedom.
  public var pValue: Double {
    StudentT.twoSidedPValue(studentized, degreesOfFreedom: degreesOfFreedom)
  }

  /// |studentized residual| > k, decided without a square root or division.
  @inline(__always)
  public func exceeds(_ k: Double) -> Bool {
    residual * residual > k * k * predictionVariance
  }

  /// The prediction band ŷ ± k·SE.
  public func band(threshold k: Double) -> ClosedRange<Double> {
    let halfWidth = k * standardError
    return (expected - halfWidth)...(expected + halfWidth)
  }
}

/// Why a slot cannot judge a sample yet.
public enum CannotJudge: Sendable, Hashable, CustomStringConvertible {
  /// Fewer samples than the minimum the rules ask for.
  case tooFewSamples(have: Double, need: Int)
  /// All samples so far share one time, so no line can be fitted.
  case noSpreadInTime
  /// The residuals are zero (or negative from rounding) and no noise floor
  /// applies, so any deviation would score as infinite.
  case noResidualVariance

  public var description: String {
    switch self {
    case .tooFewSamples(let have, let need):
      return "warming up (\(have.formatted(maxFractionDigits: 2)) of \(need) samples)"
    case .noSpreadInTime: return "all samples share one timestamp"
    case .noResidualVariance: return "no residual variance and no noise floor"
    }
  }
}

public enum Assessment: Sendable, Hashable {
  case cannotJudge(CannotJudge)
  case scored(SlotScore)

  public var score: SlotScore? {
    if case .scored(let score) = self { return score }
    return nil
  }
}

extension Double {
  func formatted(maxFractionDigits digits: Int) -> String {
    if self == rounded() && abs(self) < 1e15 { return String(Int64(self)) }
    var text = String(format: "%.\(digits)f", self)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
  }
}
