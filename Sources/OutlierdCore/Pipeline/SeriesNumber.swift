/// A series' number in the ingestor's memory: its place in `SeriesIndex`
/// and in the committed `states`, dense from 0 in order of arrival. Not its
/// store id (`SeriesState.id`, the `series` table's row, by which the
/// store finds its slots and history), nor its position in a
/// batch's `touched` list. A type of its own, so the three cannot be mixed.
struct SeriesNumber: Hashable, Sendable {
  let value: Int32

  init(_ value: Int32) { self.value = value }

  /// As an array index.
  var index: Int { Int(value) }
}
