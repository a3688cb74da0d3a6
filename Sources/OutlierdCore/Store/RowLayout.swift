/// How the `slot_blocks` and `samples` tables key their rows: a row holds
/// one time (a block of slots, or an hour) of a group of `seriesPerRow`
/// series, each at its place.
///
/// A key is `time << 32 | group`: time in the high 32 bits, so one file's
/// rows are neighbours in the b-tree, and the group (`series_id / 10`) in
/// the low 32. docs/schema.md draws the row formats.
package enum RowLayout {
  /// Series per row: the row of series id s holds ids s / 10 * 10 up to
  /// s / 10 * 10 + 9, s % 10 being its place. A file of an hour for 1,000
  /// series writes 100 rows to each table instead of 1,000, and SQLite's
  /// cost is mostly per row; ten slot blocks (7,680 bytes) are the most two
  /// rows to a 16 KiB page hold.
  package static let seriesPerRow = 10

  /// The key of the row that holds `series` at `time` (a block number or
  /// an hour).
  @inline(__always)
  package static func key(time: Int64, series: Int64) -> Int64 { time << 32 | group(of: series) }

  /// The group of `seriesPerRow` series a series' rows belong to.
  @inline(__always)
  package static func group(of series: Int64) -> Int64 { series / Int64(seriesPerRow) }

  /// A series' place in its rows.
  @inline(__always)
  package static func place(of series: Int64) -> Int { Int(series % Int64(seriesPerRow)) }

  /// The group part of a key.
  @inline(__always)
  package static func group(ofKey key: Int64) -> Int64 { key & 0xFFFF_FFFF }

  /// The time part of a key (block or hour).
  @inline(__always)
  package static func time(ofKey key: Int64) -> Int64 { key >> 32 }
}
