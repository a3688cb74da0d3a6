/// The series-level rules for runs of outliers and level shifts
/// (docs/detection.md, "Level shifts are suspected, confirmed or undone").
extension ScoringRules {
  /// The range of level ratios taken as a shift. Outside it (a metric
  /// stuck at zero, a counter reset) the series keeps alerting instead: that
  /// is a failure to fix, not a new normal to learn.
  package static let shiftRatios = 0.2...5.0

  /// Samples in a row back at the old level that undo a suspected shift.
  package static let revertAfter = 3

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
