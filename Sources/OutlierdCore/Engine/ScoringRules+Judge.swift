extension ScoringRules {
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
  ///
  /// `dailyBin`: the sample's hour in the series' `DailyProfile` (nil for
  /// a period that is not a week), for a slot that cannot judge yet (see
  /// `judgeByRecentLevel`).
  package func judge(
    _ slot: inout SlotRegression, x: Double, y: Double, pool: NoisePool?,
    track: inout SeriesTrack, shiftAfter: Int, shiftConfirm: Double, dailyBin: Int? = nil
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
      contradictsPollutedSlot(slot, pool: pool, score: score), track.recent.fits(y, rules: self)
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
      var verdict = SampleVerdict(assessment: assessment, isAlert: false)
      verdict.slotStartedOver = true
      return verdict
    }
    if coldStart, case .cannotJudge = assessment, track.recent.canJudge {
      // Returned as made unless a shift is confirmed: a verdict kept in a
      // variable first was copied once more per sample.
      guard confirming else {
        return judgeByRecentLevel(&slot, x: x, y: y, ratio: ratio, track: &track, dailyBin: dailyBin)
      }
      var verdict = judgeByRecentLevel(&slot, x: x, y: y, ratio: ratio, track: &track, dailyBin: dailyBin)
      confirmShift(&track, verdict: &verdict)
      return verdict
    }
    if coldStart { learnRecentLevel(y, track: &track) }
    let learned = valueToLearn(y: y / ratio, assessment: assessment)
    if let learned { slot.add(x: x, y: learned, memory: memory) }
    var verdict = followRun(
      assessment, x: x, y: y, ratio: ratio, track: &track, shiftAfter: confirming ? 0 : shiftAfter,
      shiftConfirm: shiftConfirm)
    verdict.learned = learned
    verdict.unclipped = y / ratio
    if common { verdict.isAlert = false }
    if confirming { confirmShift(&track, verdict: &verdict) }
    return verdict
  }
}
