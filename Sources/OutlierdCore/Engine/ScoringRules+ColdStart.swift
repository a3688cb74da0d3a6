extension ScoringRules {
  /// Cold start: a sample whose slot cannot judge yet is judged by the
  /// series' recent level, once that has its samples (the caller checks
  /// `RecentLevel.canJudge`: an optional verdict cost a copy more). An
  /// outlier is learned by the slot clipped to ±2 standard errors of the
  /// recent level, so a spike in a slot's first weeks cannot set its line;
  /// but when the outliers go on until the level confirms them as its new
  /// value, the run's clipped samples are relearned as they were
  /// (`ClippedRun`, `SampleVerdict.relearn`). Level-shift runs are the
  /// slots' business and are not touched.
  ///
  /// From a series' second day, the same hour on its previous days of the
  /// same kind (`DailyProfile`, weekdays apart from weekend days) has its
  /// say too: a sample that is ordinary against it (within the parametric
  /// critical value of the spread around it, `DailyNoise`) is no alert and
  /// is learned as it is, whatever the recent level thought of it. A
  /// nightly cleanup, a daily batch job, the morning ramp: seen once, they
  /// are expected the next day, before the weekly slots have learned them.
  @inline(__always)
  func judgeByRecentLevel(
    _ slot: inout SlotRegression, x: Double, y: Double, ratio: Double, track: inout SeriesTrack,
    dailyBin: Int? = nil
  ) -> SampleVerdict {
    let parametric = critical(degreesOfFreedom: track.recent.samples)
    let score = track.recent.score(
      y, critical: parametric, tailFactor: calibrate ? track.recent.tail.factor(above: true) : 1,
      tailFactorBelow: calibrate ? track.recent.tail.factor(above: false) : 1,
      lowerLimit: track.everNegative ? -.infinity : 0)
    var vouched = false
    if let dailyBin, let reference = track.daily.reference(bin: dailyBin) {
      let residual = y - reference * ratio
      let noise = track.daily.noise
      if noise.canJudge {
        let limit = critical(degreesOfFreedom: noise.samples)
        vouched = residual * residual <= limit * limit * noise.variance
      }
      track.daily.noise.learn(residual)
    }
    let outlier = score.isOutlier && !vouched
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
    let confirmed = track.recent.learn(y, limit: score.critical)
    // What the warming slot learns is screened twice: against the recent
    // level, and, once it has two, against the slot's own earlier weeks
    // (their mean, with the recent noise), so that a burst in a slot's
    // first weeks cannot set its level for good. One earlier week is no
    // reference: it may be the burst. A streak of samples off the level's
    // model on one side that goes on is the level's move, not a burst: its
    // clipped samples are relearned as they were (`ClippedRun`).
    // The streak is changed in place in the track, not through a local
    // copy written back for every judged sample.
    var relearn = ClippedRun()
    let side = score.residual < 0 ? -1 : 1
    if score.isBeyondModel && track.recent.clipped.sign == side {
      track.recent.clipped.length += 1
    } else {
      if track.recent.clipped.count > 0 {
        // Ended before it confirmed: relearn those this sample sides with.
        relearn = ClippedRun(
          holding: track.recent.clipped.samples.filter {
            abs(y / ratio - $0.value) < abs(y / ratio - $0.learned)
          })
      }
      track.recent.clipped = ClippedRun()
      if score.isBeyondModel {
        track.recent.clipped.sign = side
        track.recent.clipped.length = 1
      }
    }
    if track.recent.clipped.isConfirmed || confirmed {
      if track.recent.clipped.count > 0 { relearn = track.recent.clipped }
      track.recent.clipped.removeSamples()
    }
    let byLevel = score.isBeyondModel && !track.recent.clipped.isConfirmed && !confirmed && !vouched
    var learned = y
    if byLevel {
      let halfWidth = Self.clipWidth * score.standardError
      learned = min(max(y, score.expected - halfWidth), score.expected + halfWidth)
    }
    let (screened, screenedValue) = screenByOwnWeeks(
      slot, learned, ratio: ratio, score: score, parametric: parametric)
    let skipped = (byLevel || screened) && learning == .skip
    if byLevel {
      // What the slot would learn had the level vouched for it.
      let (_, vouched) = screenByOwnWeeks(slot, y, ratio: ratio, score: score, parametric: parametric)
      if vouched != screenedValue || skipped {
        track.recent.clipped.append(
          ClippedRun.Sample(x: x, learned: skipped ? .nan : screenedValue / ratio, value: vouched / ratio))
      }
    }
    if !skipped { slot.add(x: x, y: screenedValue / ratio, memory: memory) }
    var verdict = SampleVerdict(assessment: .scored(score), isAlert: outlier && !common, relearn: relearn)
    verdict.learned = skipped ? nil : screenedValue / ratio
    verdict.unclipped = y / ratio
    return verdict
  }

  /// A warming slot's screen against its own earlier weeks, once it has
  /// two: a value further than the parametric critical value from their
  /// mean (with the recent noise) is clipped to ±`clipWidth` of it.
  /// Returns whether it clipped, and the value to learn.
  @inline(__always)
  func screenByOwnWeeks(
    _ slot: SlotRegression, _ value: Double, ratio: Double, score: SlotScore, parametric: Double
  ) -> (Bool, Double) {
    let n = slot.weight
    guard n >= 2 else { return (false, value) }
    let mean = slot.meanY * ratio
    let variance = score.residualVariance * (1 + 1 / n)
    let offset = value - mean
    guard offset * offset > parametric * parametric * variance else { return (false, value) }
    let halfWidth = Self.clipWidth * variance.squareRoot()
    return (true, min(max(value, mean - halfWidth), mean + halfWidth))
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
    // The slots judged this sample: a warming run's clipped samples stay
    // as learned.
    if track.recent.clipped.sign != 0 { track.recent.clipped = ClippedRun() }
  }
}
