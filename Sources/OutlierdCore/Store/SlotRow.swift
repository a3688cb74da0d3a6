/// One row of `slot_blocks`: the same block of `RowLayout.seriesPerRow` series,
/// each at its place (`RowLayout.place(of:)`), `SlotBlock`-encoded, zeros (empty
/// slots) for a series that has none. Always `size` bytes, so a row's bytes
/// depend only on its slots.
enum SlotRow {
  static let blockSize = SlotBlock.size * 64
  static let size = RowLayout.seriesPerRow * blockSize
  static let empty = [UInt8](repeating: 0, count: size)

  /// The bytes of one place.
  @inline(__always)
  static func place(_ place: Int, in row: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(rebasing: row[place * blockSize..<(place + 1) * blockSize])
  }

  @inline(__always)
  static func place(_ place: Int, in row: UnsafeMutableRawBufferPointer) -> UnsafeMutableRawBufferPointer {
    UnsafeMutableRawBufferPointer(rebasing: row[place * blockSize..<(place + 1) * blockSize])
  }

  static func block(in row: UnsafeRawBufferPointer, place: Int) -> SlotBlock {
    SlotBlock(decoding: Self.place(place, in: row))
  }

  /// Sets `row` to a stored row's bytes, cut or padded with zeros to `size`.
  static func copy(_ stored: UnsafeRawBufferPointer, into row: inout [UInt8]) {
    row.removeAll(keepingCapacity: true)
    row.append(contentsOf: stored.prefix(size))
    if row.count < size { row.append(contentsOf: repeatElement(0, count: size - row.count)) }
  }
}
