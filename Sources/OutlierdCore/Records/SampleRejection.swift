/// Why a line's sample was not applied: the line could not be read
/// (`LineRejection`, decided by the parser alone), or it was read and the
/// store's state refused it (decided when the sample meets its series).
package enum SampleRejection: Error, Sendable, Hashable, CustomStringConvertible {
  case unreadable(LineRejection)
  /// The series already holds a sample at or after this time.
  case notNewer(timestamp: Double, newest: Double)
  /// The sample would create a series past `input.max_series`.
  case tooManySeries(limit: Int)

  /// What the rejected/ file and the `rejections` table say.
  package var description: String {
    switch self {
    case .unreadable(let reason):
      return reason.description
    case .notNewer(let t, let newest):
      return
        "timestamp \(t.formatted(maxFractionDigits: 3)) is not newer than the series' newest accepted sample \(newest.formatted(maxFractionDigits: 3)) (duplicate or out of order)"
    case .tooManySeries(let limit):
      return "new series refused: the cap of \(limit) series is reached (input.max_series)"
    }
  }

  /// A short, stable name for the kind of rejection (the `rejections`
  /// table's `kind` column), for counting.
  package var kind: String {
    switch self {
    case .unreadable(let reason): return reason.kind
    case .notNewer: return "not_newer"
    case .tooManySeries: return "series_cap"
    }
  }
}
