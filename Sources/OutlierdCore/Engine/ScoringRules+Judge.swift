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
  /// y / r, so they stay as they were. A sample that is an outlier against
  /// the new level but fits the old one is not an alert;
  /// `revertAfter` of them in a row undo the shift (a temporary excursion
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
    let factor = calibrate ? track.tail.factor : 1
    if y < 0 { track.everNegative = true }
    let nonNegative = !track.everNegative
    let assessment = assess(
      slot, x: x, y: y / ratio, pool: pool, tailFactor: factor, nonNegative: nonNegative)
    if suspected && !confirming, case .scored(let score) = assessment {
      if score.isOutlier {
        if case .scored(let old) = assess(
          slot, x: x, y: y, pool: pool, tailFactor: factor, nonNegative: nonNegative), !old.isOutlier
        {
          return judgeBackAtOldLevel(&slot, x: x, y: y, score: old, track: &track)
        }
      } else {
        track.revertRun = 0
      }
    }
    if calibrate, case .scored(let score) = assessment {
      // u² = (|t| / parametric critical)², recorded after the sample was
      // judged: a sample never calibrates its own verdict.
      let parametric = score.critical / factor
      let uSquared = score.residual * score.residual / (parametric * parametric * score.predictionVariance)
      track.tail.add(uSquared: uSquared, threshold: threshold)
    }
    if coldStart, case .cannotJudge = assessment,
      var verdict = judgeByRecentLevel(&slot, x: x, y: y, ratio: ratio, track: &track)
    {
      if confirming { confirmShift(&track, verdict: &verdict) }
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
    var verdict = followRun(
      assessment, x: x, y: y, ratio: ratio, track: &track, shiftAfter: confirming ? 0 : shiftAfter,
      shiftConfirm: shiftConfirm)
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
    if score.expected <= 0 { track.runCrossesZero = true }
    guard shiftAfter > 0 && track.runLength >= shiftAfter else { return verdict }
    let increment = track.runValueSum / track.runExpectedSum
    let start = track.runStart
    let crossesZero = track.runCrossesZero
    track.endRun()
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
  /// but not the new one: not an alert, learned as it is, and the
  /// `revertAfter`-th in a row undoes the shift.
  func judgeBackAtOldLevel(
    _ slot: inout SlotRegression, x: Double, y: Double, score: SlotScore, track: inout SeriesTrack
  ) -> SampleVerdict {
    let factor = score.tailFactor
    if calibrate {
      let parametric = score.critical / factor
      let uSquared = score.residual * score.residual / (parametric * parametric * score.predictionVariance)
      track.tail.add(uSquared: uSquared, threshold: threshold)
    }
    if coldStart {
      let limit =
        critical(degreesOfFreedom: track.recent.samples) * (calibrate ? track.recent.tail.factor : 1)
      track.recent.learn(y, limit: limit)
    }
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
    return SampleVerdict(assessment: .scored(score), isAlert: outlier)
  }
}
