/// Which `slot_blocks` rows of new groups exist, so that a row that cannot
/// exist costs no query.
///
/// Groups (`RowLayout.group`) whose ids all came after the largest series
/// id at open are new: every row of theirs was written by this process, so
/// which ones exist is known exactly. In a backfill's first week, or for new
/// hosts, that is every row read. Kept per group as a set of block numbers,
/// for calendars of up to 256 blocks; with more blocks every row may exist.
///
/// Rows written in the open transaction count as existing; `rollback()`
/// forgets them and `commit()` keeps them.
struct KnownRows {
  /// A set of up to 256 block numbers.
  struct Blocks {
    static let capacity = 256
    private var words = SIMD4<UInt64>()

    func contains(_ block: Int64) -> Bool { (words[Int(block >> 6)] >> UInt64(block & 63)) & 1 == 1 }
    mutating func insert(_ block: Int64) { words[Int(block >> 6)] |= 1 << UInt64(block & 63) }
    mutating func remove(_ block: Int64) { words[Int(block >> 6)] &= ~(1 << UInt64(block & 63)) }
  }

  /// The first group all of whose ids are larger than any at open.
  let firstNewGroup: Int64
  /// False when the calendar has more blocks than `Blocks` holds.
  let tracked: Bool
  private var groups: [Blocks] = []
  /// Rows added in the open transaction, undone by `rollback()`.
  private var added: [Int64] = []

  /// - Parameters:
  ///   - largestSeriesID: the largest id in `series` (0 for none; ids start at 1).
  ///   - blockCount: blocks in the calendar.
  init(largestSeriesID: Int64, blockCount: Int) {
    let perRow = Int64(RowLayout.seriesPerRow)
    firstNewGroup = largestSeriesID == 0 ? 0 : (largestSeriesID + perRow) / perRow
    tracked = blockCount <= Blocks.capacity
  }

  /// False only when the row surely does not exist.
  @inline(__always)
  func mayExist(_ key: Int64) -> Bool {
    let group = RowLayout.group(ofKey: key)
    guard tracked, group >= firstNewGroup else { return true }
    let number = Int(group - firstNewGroup)
    return number < groups.count && groups[number].contains(RowLayout.time(ofKey: key))
  }

  /// Notes a row written in the open transaction.
  @inline(__always)
  mutating func written(_ key: Int64) {
    guard !mayExist(key) else { return }
    let number = Int(RowLayout.group(ofKey: key) - firstNewGroup)
    if groups.count <= number {
      groups.append(contentsOf: repeatElement(Blocks(), count: number + 1 - groups.count))
    }
    groups[number].insert(RowLayout.time(ofKey: key))
    added.append(key)
  }

  /// The open transaction committed: its rows exist.
  mutating func commit() { added.removeAll(keepingCapacity: true) }

  /// The open transaction rolled back: its rows do not exist.
  mutating func rollback() {
    for key in added {
      groups[Int(RowLayout.group(ofKey: key) - firstNewGroup)].remove(RowLayout.time(ofKey: key))
    }
    added.removeAll(keepingCapacity: true)
  }
}
