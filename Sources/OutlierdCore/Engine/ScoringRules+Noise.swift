extension ScoringRules {
  /// Judges one sample as `judge` does, then asks the series' noise family
  /// (`NoiseModel`) for its opinion and learns the sample into it.
  ///
  /// An alert of the slots or the recent level stays an alert only if the
  /// sample is also as improbable under the family as the threshold asks:
  /// |z| under the family ≥ threshold (normal-equivalent). An intermittent
  /// series (mostly zeros) is judged by its family alone: the Gaussian
  /// model has nothing to say of bursts, and a burst that goes on far
  /// longer than its usual ones is the anomaly even when the level has
  /// followed it. Families that have no opinion of their own (additive,
  /// constant), and the seed's t scale, leave the verdict as it was. The
  /// verdict of an alert, or of a sample its family judged, records the
  /// family and its score.
  package func judgeWithNoise(
    _ slot: inout SlotRegression, x: Double, y: Double, pool: NoisePool?,
    track: inout SeriesTrack, shiftAfter: Int, shiftConfirm: Double, dailyBin: Int? = nil
  ) -> SampleVerdict {
    var verdict = judge(
      &slot, x: x, y: y, pool: pool, track: &track, shiftAfter: shiftAfter, shiftConfirm: shiftConfirm,
      dailyBin: dailyBin)
    if let dailyBin {
      // A young weekly slot's alert against its hour on the previous days,
      // with the spread cold start learned around them: when it is
      // ordinary there, the day's score is what its severity counts
      // (`SampleVerdict.dailyScore`). Only alerts pay for it.
      if verdict.isAlert, case .scored(let score) = verdict.assessment, score.baseline == .weekly,
        slot.weight < 2 * Double(minimumSamples) * (1 - 1e-12), track.daily.noise.canJudge,
        let reference = track.daily.reference(bin: dailyBin)
      {
        let residual = y - reference * track.shiftRatio
        let noise = track.daily.noise
        let limit = critical(degreesOfFreedom: noise.samples)
        if residual * residual <= limit * limit * noise.variance {
          verdict.dailyScore = residual / noise.variance.squareRoot()
        }
      }
      // The day's profile learns every sample, after it was judged.
      track.daily.learn(y / track.shiftRatio, bin: dailyBin)
    }
    var expected: Double? = nil
    if case .scored(let score) = verdict.assessment {
      expected = score.expected
      // Only an alert, or a series that may be intermittent, needs the
      // family: the choice is not free.
      if scale == .normal && (verdict.isAlert || track.noise.zeroShare >= 0.5) {
        let family = track.noise.family(everNegative: track.everNegative)
        if family == .intermittent || verdict.isAlert {
          verdict.family = family
          if let z = track.noise.normalEquivalent(y, expected: score.expected, family: family) {
            verdict.familyScore = z
            if family == .intermittent {
              verdict.isAlert = abs(z) >= threshold
            } else if abs(z) < threshold {
              verdict.isAlert = false
            }
          }
        }
      }
    }
    track.noise.learn(y, expected: expected)
    // Collective: a run of equal values the series does not make.
    if scale == .normal, let z = track.flat.score(y, integerShare: track.noise.integerShare),
      abs(z) >= threshold
    {
      verdict.flatScore = z
    }
    track.flat.learn(y)
    return verdict
  }
}
