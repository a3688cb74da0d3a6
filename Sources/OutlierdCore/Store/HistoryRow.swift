/// One row of the `samples` table: an hour of raw samples of up to
/// `places` series (ids `group * places` to `group * places + places - 1`,
/// a series' place being its id modulo `places`).
///
/// Encoding: `places` little-endian UInt32 counts, then each place's
/// (time, value) pairs of little-endian float64, place by place, oldest
/// first. One row per ten series instead of one per series: a file of an
/// hour for 1,000 series writes 100 rows, and SQLite's cost is mostly per
/// row. The encoding is a function of the samples alone, so the same
/// samples give the same bytes however they were split into files and
/// batches.
enum HistoryRow {
  static let places = RowLayout.seriesPerRow
  static let headerSize = places * 4

  /// The number of pairs stored for each place, clamped to what the blob holds.
  static func counts(in blob: UnsafeRawBufferPointer) -> [Int] {
    guard blob.count >= headerSize else { return Array(repeating: 0, count: places) }
    var available = (blob.count - headerSize) / 16
    return (0..<places).map { place in
      let stored = Int(UInt32(littleEndian: blob.loadUnaligned(fromByteOffset: place * 4, as: UInt32.self)))
      let count = min(stored, available)
      available -= count
      return count
    }
  }

  /// One place's pairs.
  static func pairs(in blob: UnsafeRawBufferPointer, place: Int) -> [(time: Double, value: Double)] {
    let counts = counts(in: blob)
    let first = headerSize + 16 * counts[..<place].reduce(0, +)
    return (0..<counts[place]).map { k in
      (
        blob.loadUnaligned(fromByteOffset: first + 16 * k, as: Double.self),
        blob.loadUnaligned(fromByteOffset: first + 16 * k + 8, as: Double.self)
      )
    }
  }

  /// Writes into `out` the row that holds `old`'s pairs (nil: no row yet)
  /// and, after each place's, the new ones: place p's are `newPairs[2 *
  /// starts[p] ..< 2 * starts[p + 1]]`, flat (time, value).
  static func merge(
    _ old: UnsafeRawBufferPointer?, newPairs: UnsafeBufferPointer<Double>, starts: ArraySlice<Int>,
    into out: inout [UInt8]
  ) {
    precondition(starts.count == places + 1)
    let oldCounts = old.map { counts(in: $0) } ?? Array(repeating: 0, count: places)
    let base = starts.startIndex
    let total = oldCounts.reduce(0, +) + starts[base + places] - starts[base]
    out.removeAll(keepingCapacity: true)
    out.reserveCapacity(headerSize + 16 * total)
    for place in 0..<places {
      let count = UInt32(oldCounts[place] + starts[base + place + 1] - starts[base + place])
      withUnsafeBytes(of: count.littleEndian) { out.append(contentsOf: $0) }
    }
    var oldOffset = headerSize
    for place in 0..<places {
      if let old, oldCounts[place] > 0 {
        out.append(contentsOf: old[oldOffset..<oldOffset + 16 * oldCounts[place]])
        oldOffset += 16 * oldCounts[place]
      }
      // float64 is little-endian on our targets
      let new = UnsafeBufferPointer(
        rebasing: newPairs[2 * starts[base + place]..<2 * starts[base + place + 1]])
      out.append(contentsOf: UnsafeRawBufferPointer(new))
    }
  }

  /// The row without one place's pairs (its count 0, the others' kept).
  static func removing(place removed: Int, from blob: UnsafeRawBufferPointer) -> [UInt8] {
    let counts = counts(in: blob)
    var out: [UInt8] = []
    out.reserveCapacity(blob.count)
    for place in 0..<places {
      let count = UInt32(place == removed ? 0 : counts[place])
      withUnsafeBytes(of: count.littleEndian) { out.append(contentsOf: $0) }
    }
    var offset = headerSize
    for place in 0..<places {
      if place != removed { out.append(contentsOf: blob[offset..<offset + 16 * counts[place]]) }
      offset += 16 * counts[place]
    }
    return out
  }
}
