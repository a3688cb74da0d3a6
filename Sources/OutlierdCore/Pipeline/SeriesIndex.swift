#if canImport(Glibc)
  import Glibc
#endif

/// Series names interned to dense numbers (0, 1, 2, … in order of arrival),
/// found by the bytes of a line: no String is made for a known series, and
/// per-series state lives in arrays indexed by the number.
///
/// Open addressing over a power-of-two table at most half full; names are
/// kept end to end in one byte array. The hash is seeded per process, so
/// producers cannot choose names that collide.
struct SeriesIndex {
  /// Numbers by hash bucket; -1 is empty.
  private var buckets: [Int32]
  private var hashes: [UInt64] = []
  /// Where each name starts in `bytes`; one extra entry marks the end.
  private var starts: [Int] = [0]
  private var bytes: [UInt8] = []
  private let seed: UInt64

  init(capacity: Int = 0) {
    var size = 16
    while size < capacity * 2 { size *= 2 }
    buckets = Array(repeating: -1, count: size)
    seed = UInt64.random(in: .min ... .max)
  }

  var count: Int { hashes.count }

  /// The name of series `number`.
  func name(_ number: SeriesNumber) -> String {
    bytes.withUnsafeBufferPointer {
      String(
        decoding: UnsafeBufferPointer(rebasing: $0[starts[number.index]..<starts[number.index + 1]]),
        as: UTF8.self)
    }
  }

  /// The number of the series with this name, if known.
  @inline(__always)
  func find(_ name: UnsafeRawBufferPointer) -> SeriesNumber? {
    let hash = hash(name)
    let mask = buckets.count - 1
    var bucket = Int(truncatingIfNeeded: hash) & mask
    while true {
      let number = buckets[bucket]
      if number < 0 { return nil }
      if hashes[Int(number)] == hash && matches(Int(number), name) { return SeriesNumber(number) }
      bucket = (bucket + 1) & mask
    }
  }

  /// Adds a name not yet known; returns its number.
  @discardableResult
  mutating func insert(_ name: UnsafeRawBufferPointer) -> SeriesNumber {
    if (count + 1) * 2 > buckets.count { grow() }
    let number = Int32(count)
    let hash = hash(name)
    hashes.append(hash)
    bytes.append(contentsOf: name)
    starts.append(bytes.count)
    place(number, hash: hash)
    return SeriesNumber(number)
  }

  @discardableResult
  mutating func insert(_ name: String) -> SeriesNumber {
    var name = name
    return name.withUTF8 { insert(UnsafeRawBufferPointer($0)) }
  }

  /// Forgets the names numbered `count` and above (those of a rolled-back
  /// file); rare, so it rebuilds the table.
  mutating func truncate(to count: Int) {
    guard count < self.count else { return }
    hashes.removeSubrange(count...)
    bytes.removeSubrange(starts[count]...)
    starts.removeSubrange((count + 1)...)
    for i in buckets.indices { buckets[i] = -1 }
    for number in 0..<count { place(Int32(number), hash: hashes[number]) }
  }

  private mutating func grow() {
    buckets = Array(repeating: -1, count: buckets.count * 2)
    for number in 0..<count { place(Int32(number), hash: hashes[number]) }
  }

  private mutating func place(_ number: Int32, hash: UInt64) {
    let mask = buckets.count - 1
    var bucket = Int(truncatingIfNeeded: hash) & mask
    while buckets[bucket] >= 0 { bucket = (bucket + 1) & mask }
    buckets[bucket] = number
  }

  @inline(__always)
  private func matches(_ number: Int, _ name: UnsafeRawBufferPointer) -> Bool {
    let start = starts[number]
    guard starts[number + 1] - start == name.count else { return false }
    return bytes.withUnsafeBytes { stored in
      name.count == 0 || memcmp(stored.baseAddress! + start, name.baseAddress!, name.count) == 0
    }
  }

  /// A 64-bit multiply–xorshift hash, eight bytes at a time.
  @inline(__always)
  private func hash(_ name: UnsafeRawBufferPointer) -> UInt64 {
    var h = seed ^ (UInt64(name.count) &* 0x9E37_79B9_7F4A_7C15)
    var i = 0
    while i + 8 <= name.count {
      h = (h ^ name.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
      h ^= h >> 29
      i += 8
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while i < name.count {
      tail |= UInt64(name[i]) << shift
      shift += 8
      i += 1
    }
    h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
    h ^= h >> 31
    h = h &* 0xBF58_476D_1CE4_E5B9
    return h ^ (h >> 29)
  }
}
