/// How far a new sample lies from its slot's line, judged before the sample
/// is learned.
package struct SlotScore: Sendable, Hashable {
  /// ŷ, the slot's line evaluated at the sample's time.
  package let expected: Double
  /// y − ŷ.
  package let residual: Double
  /// s², the noise variance: RSS / (n − 2) of the slot, or pooled over its
  /// block of neighbouring slots; raised to the noise floor's square.
  package let residualVariance: Double
  /// SE² = s²·(1 + 1/n + (x − x̄)²/Cxx), the variance of a new observation
  /// at this x around the line.
  package let predictionVariance: Double
  /// The slot's weight n at scoring time.
  package let samples: Double
  /// Degrees of freedom of s²: n − 2, or the pool's.
  package let degreesOfFreedom: Double
  /// The |studentized residual| above which this sample is an outlier: the
  /// threshold itself on the t scale, or the t quantile as unlikely as the
  /// threshold on the normal scale; times κ of the sample's side.
  package let critical: Double
  /// κ, the tail factor of the sample's side that the critical value
  /// includes (1: the parametric critical value itself).
  package let tailFactor: Double
  /// The critical values below and above the expected value (with each
  /// side's κ): the band's half-widths in standard errors. `critical` is
  /// one of them, by the residual's sign.
  package let criticalBelow: Double
  package let criticalAbove: Double
  /// What judged the sample: the slot's line, or the recent level.
  package let baseline: Baseline
  /// The band's lowest value: 0 for a series that has never been negative
  /// (−∞ otherwise).
  package let lowerLimit: Double

  package init(
    expected: Double, residual: Double, residualVariance: Double, predictionVariance: Double, samples: Double,
    degreesOfFreedom: Double, critical: Double, tailFactor: Double = 1, baseline: Baseline = .weekly,
    lowerLimit: Double = -.infinity, criticalBelow: Double? = nil, criticalAbove: Double? = nil
  ) {
    self.expected = expected
    self.residual = residual
    self.residualVariance = residualVariance
    self.predictionVariance = predictionVariance
    self.samples = samples
    self.degreesOfFreedom = degreesOfFreedom
    self.critical = critical
    self.tailFactor = tailFactor
    self.baseline = baseline
    self.lowerLimit = lowerLimit
    self.criticalBelow = criticalBelow ?? critical
    self.criticalAbove = criticalAbove ?? critical
  }

  // The square roots and divisions below are left to the readers that need
  // them: the hot path decides an alert from the variances alone.

  /// s, the residual standard error.
  package var residualStandardError: Double { residualVariance.squareRoot() }
  /// SE, the standard error of a new observation at this x.
  package var standardError: Double { predictionVariance.squareRoot() }
  /// The studentized residual (y − ŷ) / SE, signed.
  package var studentized: Double { residual / standardError }

  /// Two-sided p-value of the studentized residual under Student's t.
  package var pValue: Double {
    StudentT.twoSidedPValue(studentized, degreesOfFreedom: degreesOfFreedom)
  }

  /// The score on the normal-equivalent scale, signed: the z whose
  /// two-sided normal tail equals this sample's p-value.
  package var normalEquivalent: Double {
    let z = NormalDistribution.twoSidedQuantile(pValue)
    return residual < 0 ? -z : z
  }

  /// |studentized residual| > critical, without a square root or division.
  @inline(__always)
  package var isOutlier: Bool {
    residual * residual > critical * critical * predictionVariance
  }

  /// |studentized residual| > the parametric critical value (κ = 1): off
  /// the model, whether or not calibration makes it an alert. What a slot
  /// learns is decided by this, so a bursty series' lines stay robust.
  @inline(__always)
  package var isBeyondModel: Bool {
    let parametric = critical / tailFactor
    return residual * residual > parametric * parametric * predictionVariance
  }

  /// The band ŷ − criticalBelow·SE … ŷ + criticalAbove·SE (never below
  /// `lowerLimit`): a sample outside it is an outlier.
  package var band: ClosedRange<Double> {
    let se = standardError
    return max(expected - criticalBelow * se, lowerLimit)...(expected + criticalAbove * se)
  }
}

extension Double {
  func formatted(maxFractionDigits digits: Int) -> String {
    if self == rounded() && abs(self) < 1e15 { return String(Int64(self)) }
    var text = String(format: "%.\(digits)f", self)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
  }
}

extension SlotScore {
  /// The same score for values r times as large (a series judged against r
  /// × its slots' lines, ScoringRules.judge): expected and residual times
  /// r, variances times r². The studentized residual and the verdict are
  /// unchanged.
  package func scaled(by r: Double) -> SlotScore {
    SlotScore(
      expected: expected * r, residual: residual * r, residualVariance: residualVariance * r * r,
      predictionVariance: predictionVariance * r * r, samples: samples, degreesOfFreedom: degreesOfFreedom,
      critical: critical, tailFactor: tailFactor, baseline: baseline, lowerLimit: lowerLimit,
      criticalBelow: criticalBelow, criticalAbove: criticalAbove)
  }
}
