extension ScoringRules {
  /// The range of level ratios taken as a shift. Outside it (a metric
  /// stuck at zero, a counter reset) the series keeps alerting instead: that
  /// is a failure to fix, not a new normal to learn.
  public static let shiftRatios = 0.2...5.0

  /// Judges one sample of a series against its slot and learns it, with the
  /// series-level rules: a run of `shiftAfter` outliers in one direction is a
  /// level shift when the run's values are a steady multiple r of what the
  /// slots expected. For one period from the run's start every slot is then
  /// judged relative to r times its line and scaled by r when learned, so
  /// each slot follows the new level the first time it sees it. The caller
  /// scales the run's earlier slots (`slotsToShift`).
  ///
  /// The shift is multiplicative because level shifts of traffic-like
  /// metrics are: +50% at night is not the same number as +50% at noon, and
  /// a constant offset learned from the run's hour would be wrong for the
  /// rest of the day.
  public func judge(
    _ slot: inout SlotRegression, slotIndex: Int32, x: Double, y: Double, pool: NoisePool?,
    track: inout SeriesTrack, shiftAfter: Int, period: Double
  ) -> SampleVerdict {
    let shifted = x < track.shiftUntil
    let ratio = shifted ? track.shiftRatio : 1
    let factor = calibrate ? track.tail.factor : 1
    if y < 0 { track.everNegative = true }
    let assessment = assess(
      slot, x: x, y: y / ratio, pool: pool, tailFactor: factor, nonNegative: !track.everNegative)
    if calibrate, case .scored(let score) = assessment {
      // u² = (|t| / parametric critical)², recorded after the sample was
      // judged: a sample never calibrates its own verdict.
      let parametric = score.critical / factor
      let uSquared = score.residual * score.residual / (parametric * parametric * score.predictionVariance)
      track.tail.add(uSquared: uSquared, threshold: threshold)
    }
    if coldStart, case .cannotJudge = assessment,
      let verdict = judgeByRecentLevel(&slot, x: x, y: y, ratio: ratio, track: &track)
    {
      return verdict
    }
    if coldStart {
      let limit =
        critical(degreesOfFreedom: track.recent.samples) * (calibrate ? track.recent.tail.factor : 1)
      track.recent.learn(y, limit: limit)
    }
    if let value = valueToLearn(y: y / ratio, assessment: assessment) {
      slot.add(x: x, y: value, memory: memory)
    }
    if shifted { slot.scaleLevel(by: ratio) }
    var verdict = SampleVerdict(assessment: assessment, isAlert: false)
    guard case .scored(let score) = assessment else { return verdict }
    let sign = score.residual < 0 ? -1 : 1
    if score.isOutlier {
      verdict.isAlert = true
      if sign != track.runSign {
        track.endRun()
        track.runSign = sign
        track.runStart = x
      }
      track.runLength += 1
      if track.runSlots.count < max(shiftAfter, 1) { track.runSlots.append(slotIndex) }
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
    if score.expected <= 0 { track.runCrossesZero = true }
    guard shiftAfter > 0 && track.runLength >= shiftAfter else { return verdict }
    let increment = track.runValueSum / track.runExpectedSum
    let slots = track.runSlots
    let start = track.runStart
    let crossesZero = track.runCrossesZero
    track.endRun()
    guard !crossesZero, Self.shiftRatios.contains(increment) else { return verdict }
    track.shiftRatio = ratio * increment
    track.shiftUntil = start + period
    slot.scaleLevel(by: increment)
    verdict.shiftDetected = track.shiftRatio
    verdict.slotsToShift = slots.filter { $0 != slotIndex }
    verdict.shiftIncrement = increment
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
    let factor = calibrate ? track.recent.tail.factor : 1
    let parametric = critical(degreesOfFreedom: track.recent.samples)
    guard
      let score = track.recent.score(
        y, critical: parametric, tailFactor: factor, lowerLimit: track.everNegative ? -.infinity : 0)
    else { return nil }
    if calibrate {
      let uSquared = score.residual * score.residual / (parametric * parametric * score.predictionVariance)
      track.recent.tail.add(uSquared: uSquared, threshold: threshold)
    }
    track.recent.learn(y, limit: score.critical)
    let outlier = score.isOutlier
    var learned = y
    if outlier {
      let halfWidth = Self.clipWidth * score.standardError
      learned = min(max(y, score.expected - halfWidth), score.expected + halfWidth)
    }
    if outlier && learning == .skip {
      // Nothing learned, as for a flagged sample of a warm slot.
    } else {
      slot.add(x: x, y: learned / ratio, memory: memory)
    }
    if ratio != 1 { slot.scaleLevel(by: ratio) }
    return SampleVerdict(assessment: .scored(score), isAlert: outlier)
  }
}
