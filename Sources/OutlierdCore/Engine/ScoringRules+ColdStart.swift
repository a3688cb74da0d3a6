extension ScoringRules {
  /// Cold start: a sample whose slot cannot judge yet is judged by the
  /// series' recent level, once that has its samples (nil before). An
  /// outlier is learned by the slot clipped to ±2 standard errors of the
  /// recent level, so a spike in a slot's first weeks cannot set its line.
  /// Level-shift runs are the slots' business and are not touched.
  @inline(__always)
  func judgeByRecentLevel(
    _ slot: inout SlotRegression, x: Double, y: Double, ratio: Double, track: inout SeriesTrack
  ) -> SampleVerdict? {
    let parametric = critical(degreesOfFreedom: track.recent.samples)
    guard
      let score = track.recent.score(
        y, critical: parametric, tailFactor: calibrate ? track.recent.tail.factor(above: true) : 1,
        tailFactorBelow: calibrate ? track.recent.tail.factor(above: false) : 1,
        lowerLimit: track.everNegative ? -.infinity : 0)
    else { return nil }
    let outlier = score.isOutlier
    var common = false
    if calibrate {
      let uSquared = score.residual * score.residual / (parametric * parametric * score.predictionVariance)
      let isAbove = score.residual >= 0
      let startsRun = outlier && (track.recent.runLength == 0 || track.recent.runSign != (isAbove ? 1 : -1))
      if startsRun {
        common = track.recent.tail.isCommon(uSquared: uSquared, above: isAbove, rate: alertRate)
      }
      track.recent.tail.add(uSquared: uSquared, above: isAbove, startsRun: startsRun, threshold: threshold)
    }
    track.recent.learn(y, limit: score.critical)
    // What the warming slot learns is screened twice: against the recent
    // level, and, once it has two, against the slot's own earlier weeks
    // (their mean, with the recent noise), so that a burst in a slot's
    // first weeks cannot set its level for good. One earlier week is no
    // reference: it may be the burst.
    var learned = y
    var screened = score.isBeyondModel
    if screened {
      let halfWidth = Self.clipWidth * score.standardError
      learned = min(max(y, score.expected - halfWidth), score.expected + halfWidth)
    }
    let n = slot.weight
    if n >= 2 {
      let mean = slot.meanY * ratio
      let variance = score.residualVariance * (1 + 1 / n)
      let offset = learned - mean
      if offset * offset > parametric * parametric * variance {
        let halfWidth = Self.clipWidth * variance.squareRoot()
        learned = min(max(learned, mean - halfWidth), mean + halfWidth)
        screened = true
      }
    }
    if screened && learning == .skip {
      // Nothing learned, as for a flagged sample of a warm slot.
    } else {
      slot.add(x: x, y: learned / ratio, memory: memory)
    }
    return SampleVerdict(assessment: .scored(score), isAlert: outlier && !common)
  }
}

extension ScoringRules {
  /// The recent level learns a sample the slots judged: its limit is the
  /// critical value at its own degrees of freedom, times its tail factor on
  /// the sample's side.
  @inline(__always)
  func learnRecentLevel(_ y: Double, track: inout SeriesTrack) {
    let factor = calibrate ? track.recent.tail.factor(above: y >= track.recent.mean) : 1
    track.recent.learn(y, limit: critical(degreesOfFreedom: track.recent.samples) * factor)
  }
}
