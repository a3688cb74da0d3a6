/// A flagged sample, as stored in the `alerts` table and logged.
///
/// A record both the pipeline (which makes it) and the store (which writes
/// it) name: it lives below both.
package struct Alert: Sendable, Hashable {
  package var series: String
  package var timestamp: Double
  package var value: Double
  package var slot: Int
  package var threshold: Double
  package var score: SlotScore
  /// The incident this alert belongs to.
  package var incident: Int64? = nil
  /// The series' noise family when it was judged, and the sample's score
  /// under it (nil when the family has no score of its own).
  package var family: NoiseFamily = .additive
  package var familyScore: Double? = nil
  /// What its slot learned of it, and would have as an ordinary sample
  /// (`SampleVerdict.learned`, `unclipped`).
  package var learned: Double? = nil
  package var unclipped: Double? = nil
  /// A point alert, or a collective one (its score is then `familyScore`:
  /// the run's, for `variance`).
  package var kind: AlertKind = .point

  /// The normal-equivalent score severity counts (`IncidentSeverity`):
  /// the calibrated score, or the family's where that is less extreme; an
  /// intermittent series' family alone (it alone judged).
  package var severityScore: Double {
    if kind != .point, let familyScore { return familyScore }
    let calibrated = score.normalEquivalent / score.tailFactor
    guard let familyScore else { return calibrated }
    if family == .intermittent { return familyScore }
    return abs(familyScore) < abs(calibrated) ? familyScore : calibrated
  }
}
