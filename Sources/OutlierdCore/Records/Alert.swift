/// A flagged sample, as stored in the `alerts` table and logged.
///
/// A record both the pipeline (which makes it) and the store (which writes
/// it) name: it lives below both.
public struct Alert: Sendable, Hashable {
  public var series: String
  public var timestamp: Double
  public var value: Double
  public var slot: Int
  public var threshold: Double
  public var score: SlotScore
  /// The incident this alert belongs to.
  public var incident: Int64? = nil
  /// The series' noise family when it was judged, and the sample's score
  /// under it (nil when the family has no score of its own).
  public var family: NoiseFamily = .additive
  public var familyScore: Double? = nil
  /// What its slot learned of it, and would have as an ordinary sample
  /// (`SampleVerdict.learned`, `unclipped`).
  public var learned: Double? = nil
  public var unclipped: Double? = nil
  /// A point alert, or a collective one (its score is then `familyScore`:
  /// the run's, for `variance`).
  public var kind: AlertKind = .point

  /// The normal-equivalent score severity counts (`IncidentSeverity`):
  /// the calibrated score, or the family's where that is less extreme; an
  /// intermittent series' family alone (it alone judged).
  public var severityScore: Double {
    if kind != .point, let familyScore { return familyScore }
    let calibrated = score.normalEquivalent / score.tailFactor
    guard let familyScore else { return calibrated }
    if family == .intermittent { return familyScore }
    return abs(familyScore) < abs(calibrated) ? familyScore : calibrated
  }
}
