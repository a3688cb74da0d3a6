import Foundation

extension ScoringRules {
  /// Whether a judged sample contradicts a polluted slot: the sample is off
  /// the model by the noise of the rest of the slot's block, and the slot's
  /// own spread (its residual variance, around its mean while flat) is far
  /// beyond that noise (their ratio exceeds the F(ν, ∞) quantile at 0.1%).
  /// A slot that learned one wrong value among a few right ones is. The
  /// cheap test first: this runs for every judged sample.
  @inline(__always)
  func contradictsPollutedSlot(_ slot: SlotRegression, pool: NoisePool, score: SlotScore) -> Bool {
    let own = NoisePool.contribution(of: slot, trendAfter: trendAfter)
    let othersDof = pool.degreesOfFreedom - own.degreesOfFreedom
    let othersRss = pool.rss - own.rss
    guard own.degreesOfFreedom >= 1, othersDof >= 4, othersRss > 0 else { return false }
    let others = othersRss / othersDof
    let parametric = score.critical / score.tailFactor
    guard
      score.residual * score.residual
        > parametric * parametric * others * (score.predictionVariance / score.residualVariance)
    else { return false }
    return own.rss / own.degreesOfFreedom > Self.fQuantile999(own.degreesOfFreedom) * others
  }

  /// χ²_ν(0.999) / ν, the F(ν, ∞) quantile at 0.1%, by Wilson and
  /// Hilferty's cube: within 3% of the exact value from ν = 1 (10.83).
  static func fQuantile999(_ nu: Double) -> Double {
    let c = 2 / (9 * nu)
    let cube = 1 - c + 3.090_232_306 * c.squareRoot()
    return cube * cube * cube
  }
}

extension RecentLevel {
  /// Whether y is ordinary against the recent level (which must be warm):
  /// within its critical value, with its tail factor on y's side.
  func fits(_ y: Double, rules: ScoringRules) -> Bool {
    guard canJudge else { return false }
    let parametric = rules.critical(degreesOfFreedom: samples)
    let score = score(
      y, critical: parametric, tailFactor: rules.calibrate ? tail.factor(above: true) : 1,
      tailFactorBelow: rules.calibrate ? tail.factor(above: false) : 1)
    return !score.isOutlier
  }
}
