/// How far a new sample lies from its slot's line, judged before the sample
/// is learned.
public struct SlotScore: Sendable, Hashable {
  /// ŷ, the slot's line evaluated at the sample's time.
  public let expected: Double
  /// y − ŷ.
  public let residual: Double
  /// s = √(RSS / (n − 2)), raised to the noise floor where it is below it.
  public let residualStandardError: Double
  /// Standard error of a new observation at this x:
  /// s·√(1 + 1/n + (x − x̄)²/Cxx).
  public let standardError: Double
  /// The studentized residual (y − ŷ) / standardError, signed.
  public let studentized: Double
  /// The slot's weight n at scoring time.
  public let samples: Double

  /// n − 2, the residual degrees of freedom.
  public var degreesOfFreedom: Double { samples - 2 }

  /// Two-sided p-value of the studentized residual under Student's t with
  /// n − 2 degrees of freedom. Computed on demand: it costs far more than
  /// the score, and only flagged samples need it.
  public var pValue: Double {
    StudentT.twoSidedPValue(studentized, degreesOfFreedom: degreesOfFreedom)
  }

  /// The prediction band ŷ ± k·SE.
  public func band(threshold k: Double) -> ClosedRange<Double> {
    (expected - k * standardError)...(expected + k * standardError)
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
