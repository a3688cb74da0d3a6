import Foundation

/// The UTC offsets of one IANA time zone as a sorted table of transitions,
/// so that turning a Unix time into local wall-clock time is a binary search
/// over a few hundred integers instead of a call into Foundation per sample.
///
/// The table is built once by sampling the zone every day from 1970 to 2100
/// and bisecting each day whose offset changed down to the second. That finds
/// every change of offset (daylight saving and changes of standard time
/// alike) unless two changes fall within one day, which no zone in the tz
/// database does after 1970. Outside the table the nearest offset holds.
struct UTCOffsetTable: Sendable, Hashable {
  /// Unix seconds at which `offsets[i + 1]` takes effect.
  private let transitions: [Int64]
  /// `offsets[0]` applies before the first transition.
  private let offsets: [Int32]
  /// For each bucket of 2^20 s (about 12 days) from `tableStart`, the number
  /// of transitions at or before the bucket's start. Transitions are months
  /// apart, so from there at most one more comparison finds the offset: no
  /// binary search on the hot path.
  private let firstTransitionInBucket: [UInt16]
  private static let bucketShift: Int64 = 20

  static let tableStart: Int64 = 0
  static let tableEnd: Int64 = 4_102_444_800  // 2100-01-01T00:00:00Z

  init(timeZone: TimeZone) {
    func offset(_ t: Int64) -> Int32 {
      Int32(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t))))
    }
    var transitions: [Int64] = []
    var offsets: [Int32] = [offset(Self.tableStart)]
    var previous = Self.tableStart
    var previousOffset = offsets[0]
    while previous < Self.tableEnd {
      let next = previous + 86_400
      let nextOffset = offset(next)
      if nextOffset != previousOffset {
        // Invariant: offset(lo) == previousOffset, offset(hi) == nextOffset.
        var lo = previous
        var hi = next
        while hi - lo > 1 {
          let mid = lo + (hi - lo) / 2
          if offset(mid) == previousOffset { lo = mid } else { hi = mid }
        }
        transitions.append(hi)
        offsets.append(nextOffset)
        previousOffset = nextOffset
      }
      previous = next
    }
    self.transitions = transitions
    self.offsets = offsets
    let buckets = Int((Self.tableEnd - Self.tableStart) >> Self.bucketShift) + 1
    var index: [UInt16] = []
    index.reserveCapacity(buckets)
    var count = 0
    for bucket in 0..<buckets {
      let bucketStart = Self.tableStart + Int64(bucket) << Self.bucketShift
      while count < transitions.count && transitions[count] <= bucketStart { count += 1 }
      index.append(UInt16(count))
    }
    self.firstTransitionInBucket = transitions.isEmpty ? [] : index
  }

  /// Seconds to add to a Unix time to get local wall-clock seconds.
  @inline(__always)
  func offset(at unixSeconds: Int64) -> Int64 {
    if firstTransitionInBucket.isEmpty { return Int64(offsets[0]) }
    let clamped = min(max(unixSeconds, Self.tableStart), Self.tableEnd)
    var index = Int(firstTransitionInBucket[Int((clamped - Self.tableStart) >> Self.bucketShift)])
    while index < transitions.count && transitions[index] <= unixSeconds { index += 1 }
    return Int64(offsets[index])
  }
}
