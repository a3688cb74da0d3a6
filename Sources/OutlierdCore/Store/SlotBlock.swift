/// The slots of one series stored together: `size` consecutive slots in one
/// row, so a file that brings an hour of samples writes one row per series
/// instead of one per sample.
///
/// The slots are held inline (768 bytes, no heap buffer): a batch keeps
/// thousands of blocks side by side in one array, and a block that is its
/// own allocation cost a malloc, a copy on first write and reference
/// counting on every access.
package struct SlotBlock: Sendable, Hashable {
  package static let size = 12
  package var slots: InlineArray<12, SlotRegression>

  package init() { slots = InlineArray(repeating: SlotRegression()) }

  package static func == (a: SlotBlock, b: SlotBlock) -> Bool {
    a.slots.indices.allSatisfy { a.slots[$0] == b.slots[$0] }
  }

  package func hash(into hasher: inout Hasher) {
    for i in slots.indices { hasher.combine(slots[i]) }
  }

  /// The slots that learned something, with their index in the block.
  package var learned: [(index: Int, slot: SlotRegression)] {
    slots.indices.compactMap { slots[$0].weight > 0 ? ($0, slots[$0]) : nil }
  }

  // The encoding: 8 little-endian float64 per slot, in the order of
  // SlotRegression's init; a shorter blob's missing slots are empty.

  init(decoding raw: UnsafeRawBufferPointer) {
    slots = InlineArray { Self.decodeSlot($0, from: raw) }
  }

  /// Decodes a blob's slots onto the end of a flat array of blocks.
  static func decode(_ raw: UnsafeRawBufferPointer, appendingTo array: inout [SlotRegression]) {
    for i in 0..<size { array.append(decodeSlot(i, from: raw)) }
  }

  @inline(__always)
  static func decodeSlot(_ i: Int, from raw: UnsafeRawBufferPointer) -> SlotRegression {
    guard (i + 1) * 64 <= raw.count else { return SlotRegression() }
    func d(_ k: Int) -> Double {
      Double(
        bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 64 + k * 8, as: UInt64.self)))
    }
    return SlotRegression(
      weight: d(0), originX: d(1), originY: d(2), offsetMeanX: d(3), offsetMeanY: d(4), cxx: d(5),
      cxy: d(6), cyy: d(7))
  }

  package func encoded() -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: Self.size * 64) { buffer, count in
      encode(into: UnsafeMutableRawBufferPointer(buffer))
      count = Self.size * 64
    }
  }

  /// Writes the encoding into `raw`, which holds `size * 64` bytes.
  func encode(into raw: UnsafeMutableRawBufferPointer) {
    precondition(raw.count >= Self.size * 64)
    for i in slots.indices { Self.encodeSlot(slots[i], at: i, into: raw) }
  }

  /// Writes the encoding of the block of `size` slots at `start` of a flat
  /// array of blocks into `raw`, which holds `size * 64` bytes.
  static func encode(
    _ array: [SlotRegression], from start: Int, into raw: UnsafeMutableRawBufferPointer
  ) {
    precondition(raw.count >= size * 64 && start + size <= array.count)
    for i in 0..<size { encodeSlot(array[start + i], at: i, into: raw) }
  }

  @inline(__always)
  static func encodeSlot(_ s: SlotRegression, at i: Int, into raw: UnsafeMutableRawBufferPointer) {
    func put(_ k: Int, _ value: Double) {
      raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: i * 64 + k * 8, as: UInt64.self)
    }
    put(0, s.weight)
    put(1, s.originX)
    put(2, s.originY)
    put(3, s.offsetMeanX)
    put(4, s.offsetMeanY)
    put(5, s.cxx)
    put(6, s.cxy)
    put(7, s.cyy)
  }
}
