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
}
