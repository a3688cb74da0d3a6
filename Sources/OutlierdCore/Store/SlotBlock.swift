/// The slots of one series stored together: `size` consecutive slots in one
/// row, so a file that brings an hour of samples writes one row per series
/// instead of one per sample.
public struct SlotBlock: Sendable, Hashable {
  public static let size = 12
  public var slots: [SlotRegression]

  public init() { slots = Array(repeating: SlotRegression(), count: Self.size) }

  /// 8 little-endian float64 per slot, in the order of SlotRegression's init.
  public init(decoding blob: [UInt8]) {
    self = blob.withUnsafeBytes { SlotBlock(decoding: $0) }
  }

  public init(decoding raw: UnsafeRawBufferPointer) {
    slots = (0..<Self.size).map { i in
      guard (i + 1) * 64 <= raw.count else { return SlotRegression() }
      func d(_ k: Int) -> Double {
        Double(
          bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 64 + k * 8, as: UInt64.self))
        )
      }
      return SlotRegression(
        weight: d(0), originX: d(1), originY: d(2), offsetMeanX: d(3), offsetMeanY: d(4), cxx: d(5),
        cxy: d(6), cyy: d(7))
    }
  }

  public func encoded() -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: Self.size * 64) { buffer, count in
      encode(into: UnsafeMutableRawBufferPointer(buffer))
      count = Self.size * 64
    }
  }

  /// Writes the encoding into `raw`, which holds `size * 64` bytes.
  public func encode(into raw: UnsafeMutableRawBufferPointer) {
    precondition(raw.count >= Self.size * 64)
    do {
      for (i, s) in slots.enumerated() {
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
  }
}
