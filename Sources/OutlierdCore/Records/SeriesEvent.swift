/// Something that happened to a series, as stored in the `events` table: a
/// level shift, going stale, resuming.
public struct SeriesEvent: Sendable, Hashable {
  public var series: String
  public var time: Double
  /// A short stable word: `shift`, `stale`, `resumed`.
  public var kind: String
  public var detail: String
}
