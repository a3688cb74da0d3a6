/// What judging one sample did.
package struct SampleVerdict: Sendable {
  package var assessment: Assessment
  package var isAlert: Bool
  /// Set when this sample suspected, confirmed or undid a level shift.
  package var shift: ShiftChange?
  /// Samples whose warming slots learned them clipped, in the run this
  /// sample confirmed as the series' new level: the caller replaces, in
  /// the slot at each one's time, `learned` by `value` (`ClippedRun`).
  /// Empty for nearly every sample.
  package var relearn: ClippedRun
  /// The series' noise family when it was judged (`NoiseModel`), and the
  /// sample's normal-equivalent score under it where the family has one.
  package var family: NoiseFamily = .additive
  package var familyScore: Double? = nil
  /// What the sample's slot learned of it, in the slot's units (the
  /// sample divided by a suspected shift's ratio, clipped when it was off
  /// the model), nil when nothing; and what it would have learned of it as
  /// an ordinary sample. `outlierd feedback … normal` takes the first out
  /// and puts the second in: exact by construction, not re-derived.
  package var learned: Double? = nil
  package var unclipped: Double? = nil
  /// Set when the sample's slot started over (a polluted slot): what it
  /// learned of earlier samples is gone.
  package var slotStartedOver = false
  /// Set when the sample extends a run of equal values improbable for the
  /// series (`FlatWatch`): the run's normal-equivalent score (negative).
  package var flatScore: Double? = nil
  /// For an alert of a young weekly slot (fewer than twice `min_samples`
  /// weeks) whose sample is ordinary for its hour on the series' previous
  /// days (within the critical value of the spread around them,
  /// `DailyProfile`, `DailyNoise`): its normal-equivalent score there.
  /// Severity counts the less extreme of this and the slot's score: a
  /// slot of three weeks knows little of how much one day may differ from
  /// the last, and its pooled spread, from neighbouring slots that all
  /// move with the day, is overconfident. The alert stays an alert.
  package var dailyScore: Double? = nil

  package init(
    assessment: Assessment, isAlert: Bool, shift: ShiftChange? = nil, relearn: ClippedRun = ClippedRun()
  ) {
    self.assessment = assessment
    self.isAlert = isAlert
    self.shift = shift
    self.relearn = relearn
  }
}
