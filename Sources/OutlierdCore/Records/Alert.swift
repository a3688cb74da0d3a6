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
  /// A young weekly slot's alert: its score against the series' previous
  /// days at that hour (`SampleVerdict.dailyScore`).
  package var dailyScore: Double? = nil

  /// The normal-equivalent score severity counts (`IncidentSeverity`):
  /// the least extreme of the calibrated score, the family's and the
  /// day's; an intermittent series' family alone (it alone judged).
  package var severityScore: Double {
    if kind != .point, let familyScore { return familyScore }
    var least = score.normalEquivalent / score.tailFactor
    if let familyScore {
      if family == .intermittent { return familyScore }
      if abs(familyScore) < abs(least) { least = familyScore }
    }
    if let dailyScore, abs(dailyScore) < abs(least) { least = dailyScore }
    return least
  }
}
