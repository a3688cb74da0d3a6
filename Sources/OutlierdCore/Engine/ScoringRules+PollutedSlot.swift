import Foundation

extension ScoringRules {
  /// The residual variance of the rest of a slot's block when the slot's
  /// own spread is far beyond it (its own residual variance, around its
  /// mean while flat, over the others' exceeds the F(ν, ∞) quantile at
  /// 0.1%); nil otherwise. A slot that learned one wrong value among a few
  /// right ones is.
  func noiseOfOthers(ifContradictedBy slot: SlotRegression, pool: NoisePool) -> Double? {
    let own = NoisePool.contribution(of: slot, trendAfter: trendAfter)
    let othersDof = pool.degreesOfFreedom - own.degreesOfFreedom
    let othersRss = pool.rss - own.rss
    guard own.degreesOfFreedom >= 1, othersDof >= 4, othersRss > 0 else { return nil }
    let others = othersRss / othersDof
    guard own.rss / own.degreesOfFreedom > Self.fQuantile999(own.degreesOfFreedom) * others else {
      return nil
    }
    return others
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
  func fits(_ y: Double, rules: ScoringRules, track: SeriesTrack) -> Bool {
    let parametric = rules.critical(degreesOfFreedom: samples)
    guard
      let score = score(
        y, critical: parametric, tailFactor: rules.calibrate ? tail.factor(above: true) : 1,
        tailFactorBelow: rules.calibrate ? tail.factor(above: false) : 1)
    else { return false }
    return !score.isOutlier
  }
}
