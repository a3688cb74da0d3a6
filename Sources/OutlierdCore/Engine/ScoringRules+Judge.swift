extension ScoringRules {
  /// The range of level ratios taken as a shift. Outside it (a metric
  /// stuck at zero, a counter reset) the series keeps alerting instead: that
  /// is a failure to fix, not a new normal to learn.
  public static let shiftRatios = 0.2...5.0

  /// Samples in a row back at the old level that undo a suspected shift.
  public static let revertAfter = 3

  /// Judges one sample of a series against its slot and learns it, with the
  /// series-level rules for level shifts.
  ///
  /// A run of `shiftAfter` outliers in one direction whose values are a
  /// steady multiple r of what the slots expected makes a shift *suspected*:
  /// the series is then judged against r × its lines, and its slots learn
  /// y / r, so they stay as they were. A sample closer to the old level than
  /// to the new one, and ordinary there, is not an alert; `revertAfter` of
  /// them in a row undo the shift (a temporary excursion
  /// that ended). A sample that fits neither level is an alert, so a shift
  /// hides no spike. When the new level has held for `shiftConfirm` seconds
  /// from the run's start, the shift is confirmed: the verdict asks the
  /// caller to scale every slot of the series by r, and the series is judged
  /// by its slots alone again. `shiftConfirm` 0 confirms at once.
  ///
  /// The shift is multiplicative because level shifts of traffic-like
  /// metrics are: +50% at night is not the same number as +50% at noon, and
  /// a constant offset learned from the run's hour would be wrong for the
  /// rest of the day.
  ///
  /// While a shift is suspected the verdict's score is in the series' own
  /// units: expected is r × the line.
  public func judge(
    _ slot: inout SlotRegression, x: Double, y: Double, pool: NoisePool?,
    track: inout SeriesTrack, shiftAfter: Int, shiftConfirm: Double
  ) -> SampleVerdict {
    let ratio = track.shiftRatio
    let suspected = ratio != 1
    let confirming = suspected && x >= track.shiftConfirmAt
    // The factors only matter to a slot that can judge.
    let warm = calibrate && slot.weight >= Double(minimumSamples) * (1 - 1e-12)
    let above = warm ? track.tail.factor(above: true) : 1
    let below = warm ? track.tail.factor(above: false) : 1
    if y < 0 { track.everNegative = true }
    let nonNegative = !track.everNegative
    let assessment = assess(
      slot, x: x, y: y / ratio, pool: pool, tailFactor: above, tailFactorBelow: below,
      nonNegative: nonNegative)
    if suspected && !confirming, case .scored(let score) = assessment {
      // Closer to the old level than to the new one, and ordinary there.
      // Not "an outlier against the new level": r × a wide band can hold
      // the old level (a ×2 shift of a series with 15% noise).
      if case .scored(let old) = assess(
        slot, x: x, y: y, pool: pool, tailFactor: above, tailFactorBelow: below, nonNegative: nonNegative),
        abs(old.residual) < abs(score.residual) && !old.isOutlier
      {
        return judgeBackAtOldLevel(&slot, x: x, y: y, score: old, track: &track)
      }
      if !score.isOutlier { track.revertRun = 0 }
    }
    var common = false
    if calibrate, case .scored(let score) = assessment {
      // u² = (|t| / parametric critical)², recorded after the sample was
      // judged: a sample never calibrates its own verdict.
      let parametric = score.critical / score.tailFactor
      let uSquared = score.residual * score.residual / (parametric * parametric * score.predictionVariance)
      let isAbove = score.residual >= 0
      // A run's later outliers are the same event as its first, and never
      // common: a burst is one sample, an excursion goes on.
      let startsRun = score.isOutlier && (track.runLength == 0 || track.runSign != (isAbove ? 1 : -1))
      if startsRun { common = track.tail.isCommon(uSquared: uSquared, above: isAbove, rate: alertRate) }
      track.tail.add(uSquared: uSquared, above: isAbove, startsRun: startsRun, threshold: threshold)
    }
    if coldStart, !suspected, case .scored(let score) = assessment, let pool,
      let others = noiseOfOthers(ifContradictedBy: slot, pool: pool),
      score.residual * score.residual
        > score.critical / score.tailFactor * score.critical / score.tailFactor * others
        * (score.predictionVariance / score.residualVariance),
      track.recent.fits(y, rules: self, track: track)
    {
      // Off the model by the neighbours' noise, for a slot whose own spread
      // is far beyond theirs, and ordinary for where the series is now: a
      // value the slot learned was wrong (a burst in its first weeks,
      // before anything could judge it). Its spread also widens its
      // block's pooled noise, so it may hide itself and desensitise its
      // neighbours. The slot starts over from this sample; the recent level
      // judges its samples until it has enough again.
      learnRecentLevel(y, track: &track)
      slot = SlotRegression()
      slot.add(x: x, y: y, memory: memory)
      track.endRun()
      return SampleVerdict(assessment: assessment, isAlert: false)
    }
    if coldStart, case .cannotJudge = assessment,
      var verdict = judgeByRecentLevel(&slot, x: x, y: y, ratio: ratio, track: &track)
    {
      if confirming { confirmShift(&track, verdict: &verdict) }
      return verdict
    }
    if coldStart { learnRecentLevel(y, track: &track) }
    if let value = valueToLearn(y: y / ratio, assessment: assessment) {
      slot.add(x: x, y: value, memory: memory)
    }
    var verdict = followRun(
      assessment, x: x, y: y, ratio: ratio, track: &track, shiftAfter: confirming ? 0 : shiftAfter,
      shiftConfirm: shiftConfirm)
    if common { verdict.isAlert = false }
    if confirming { confirmShift(&track, verdict: &verdict) }
    return verdict
  }

  /// The verdict on a judged sample, and its part in the series' run of
  /// outliers: the `shiftAfter`-th outlier in a row on one side at a steady
  /// ratio makes a shift suspected (`shiftAfter` 0: the run only counts).
  @inline(__always)
  func followRun(
    _ assessment: Assessment, x: Double, y: Double, ratio: Double, track: inout SeriesTrack,
    shiftAfter: Int, shiftConfirm: Double
  ) -> SampleVerdict {
    var verdict = SampleVerdict(assessment: assessment, isAlert: false)
    guard case .scored(let score) = assessment else { return verdict }
    if ratio != 1 { verdict.assessment = .scored(score.scaled(by: ratio)) }
    let sign = score.residual < 0 ? -1 : 1
    if score.isOutlier {
      verdict.isAlert = true
      if sign != track.runSign {
        track.endRun()
        track.runSign = sign
        track.runStart = x
      }
      track.runLength += 1
    } else if sign == track.runSign && score.residual * score.residual > score.predictionVariance {
      // Still more than one standard error off on the same side: a noisy
      // shifted series dips under the threshold now and then without
      // having come back. The run goes on but does not grow.
    } else {
      track.endRun()
      return verdict
    }
    track.runValueSum += y / ratio
    track.runExpectedSum += score.expected
    // A count's slot may expect exactly 0 at night; the run's ratio is
    // still its sums'. Only a line below zero makes it meaningless.
    if score.expected < 0 { track.runCrossesZero = true }
    guard shiftAfter > 0 && track.runLength >= shiftAfter else { return verdict }
    let increment = track.runValueSum / track.runExpectedSum
    let start = track.runStart
    let crossesZero = track.runCrossesZero
    track.endRun()
    // An expected sum of 0 gives an infinite or undefined ratio: no shift.
    guard !crossesZero, Self.shiftRatios.contains(increment) else { return verdict }
    track.shiftRatio = ratio * increment
    track.shiftConfirmAt = start + shiftConfirm
    track.revertRun = 0
    if shiftConfirm <= 0 {
      confirmShift(&track, verdict: &verdict)
    } else {
      verdict.shift = .suspected(ratio: track.shiftRatio, confirmAt: track.shiftConfirmAt)
    }
    return verdict
  }

  /// A suspected shift's new level held: the slots are to be scaled to it.
  @inline(__always)
  func confirmShift(_ track: inout SeriesTrack, verdict: inout SampleVerdict) {
    verdict.shift = .confirmed(ratio: track.shiftRatio)
    track.endShift()
  }

  /// While a shift is suspected, a sample that fits the old level (`score`)
  /// better than the new one: not an alert, learned as it is, and the
  /// `revertAfter`-th in a row undoes the shift.
  func judgeBackAtOldLevel(
    _ slot: inout SlotRegression, x: Double, y: Double, score: SlotScore, track: inout SeriesTrack
  ) -> SampleVerdict {
    if calibrate {
      let parametric = score.critical / score.tailFactor
      let uSquared = score.residual * score.residual / (parametric * parametric * score.predictionVariance)
      track.tail.add(uSquared: uSquared, above: score.residual >= 0, startsRun: false, threshold: threshold)
    }
    if coldStart { learnRecentLevel(y, track: &track) }
    slot.add(x: x, y: y, memory: memory)
    track.endRun()
    track.revertRun += 1
    var verdict = SampleVerdict(assessment: .scored(score), isAlert: false)
    if track.revertRun >= Self.revertAfter {
      verdict.shift = .undone(ratio: track.shiftRatio)
      track.endShift()
    }
    return verdict
  }
}

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
