/// A silence: incidents of matching series are not delivered while it
/// lasts (`outlierd silence`). Kept in the daemon's database, where every
/// notifier reads it; older ones in a notifier's own ledger.
package struct Silence: Sendable, Hashable {
  package var id: Int64
  /// A shell glob on series names.
  package var pattern: String
  /// Unix seconds.
  package var starts: Double
  package var ends: Double
  package var comment: String
  package var createdBy: String

  package init(id: Int64, pattern: String, starts: Double, ends: Double, comment: String, createdBy: String) {
    self.id = id
    self.pattern = pattern
    self.starts = starts
    self.ends = ends
    self.comment = comment
    self.createdBy = createdBy
  }
}
