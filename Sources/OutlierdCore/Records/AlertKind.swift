/// What an alert says is out of the ordinary. Each kind opens incidents of
/// its own.
package enum AlertKind: String, Sendable, Hashable, CaseIterable {
  /// One sample far from what the series' model expects.
  case point
  /// The series has stopped varying: a run of equal values it does not
  /// make (`FlatWatch`).
  case variance
}
