/// Why a slot cannot judge a sample yet.
package enum CannotJudge: Sendable, Hashable, CustomStringConvertible {
  /// Fewer samples than the minimum the rules ask for, or no degrees of
  /// freedom left for the noise.
  case tooFewSamples(have: Double, need: Int)
  /// All samples so far share one time, so no line can be fitted.
  case noSpreadInTime
  /// The residuals are zero (or negative from rounding) and no noise floor
  /// applies, so any deviation would score as infinite.
  case noResidualVariance

  package var description: String {
    switch self {
    case .tooFewSamples(let have, let need):
      return "warming up (\(have.formatted(maxFractionDigits: 2)) of \(need) samples)"
    case .noSpreadInTime: return "all samples share one timestamp"
    case .noResidualVariance: return "no residual variance and no noise floor"
    }
  }
}
