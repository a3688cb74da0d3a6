import Foundation

/// The outliers of a series that started a run, by side, as decayed counts
/// of u = |t| / critical over ScoreTail's bins from u = 1 up, on the time
/// base of every judged sample (`tick`). What the rank gate counts
/// (SidedTail.isCommon): an incident of an hour is one event, not twelve,
/// so it does not make the series' next anomaly look common, while a
/// metric that bursts once a day is seen to.
package struct RunStarts: Sendable, Hashable {
  /// ScoreTail's bin of u = 1: an outlier's u is never below it.
  package static let firstBin = 9
  package static let bins = ScoreTail.bins - firstBin
  /// What the next start adds: grows by 1/decay with every judged sample.
  package private(set) var increment: Double = 1
  package private(set) var above = InlineArray<15, Float>(repeating: 0)
  package private(set) var below = InlineArray<15, Float>(repeating: 0)

  package init() {}

  /// Restores counts saved earlier (the store's binary track).
  init(above: InlineArray<15, Float>, below: InlineArray<15, Float>, increment: Double) {
    self.above = above
    self.below = below
    self.increment = increment
  }

  /// One more judged sample: every count ages by ScoreTail.decay.
  @inline(__always)
  package mutating func tick() {
    increment /= ScoreTail.decay
    if increment > ScoreTail.rescaleAbove {
      let scale = 1 / increment
      for k in 0..<Self.bins {
        above[k] = Float(Double(above[k]) * scale)
        below[k] = Float(Double(below[k]) * scale)
      }
      increment = 1
    }
  }

  /// This start's place in the counts (u below 1, which an outlier never
  /// has, counts as 1).
  @inline(__always)
  static func place(uSquared: Double) -> Int { max(ScoreTail.bin(uSquared: uSquared) - firstBin, 0) }

  /// Records an outlier that started a run (after this sample's `tick`).
  package mutating func add(uSquared: Double, above isAbove: Bool) {
    guard uSquared.isFinite else { return }
    let k = Self.place(uSquared: uSquared)
    if isAbove { above[k] += Float(increment) } else { below[k] += Float(increment) }
  }

  /// The decayed number of recorded starts on this side at least as far out
  /// as u (the newest counting 1), interpolated log-linearly within u's bin.
  package func exceedances(uSquared: Double, above isAbove: Bool) -> Double {
    isAbove ? Self.exceedances(above, uSquared, increment) : Self.exceedances(below, uSquared, increment)
  }

  private static func exceedances(
    _ counts: borrowing InlineArray<15, Float>, _ uSquared: Double, _ increment: Double
  )
    -> Double
  {
    let b = ScoreTail.bin(uSquared: uSquared)
    let k = max(b - firstBin, 0)
    var total = 0.0
    for j in (k + 1)..<bins { total += Double(counts[j]) }
    if b >= firstBin && b < ScoreTail.bins - 1 {
      // u lies 4·log₂(u / lower edge) of the way up its quarter-octave bin.
      let lower = ScoreTail.lowest * exp2(Double(b - 1) / 4)
      let position = 4 * log2(uSquared.squareRoot() / lower)
      total += Double(counts[k]) * max(0, min(1, 1 - position))
    } else {
      total += Double(counts[k])
    }
    return total / increment
  }

  package static func == (a: RunStarts, b: RunStarts) -> Bool {
    guard a.increment == b.increment else { return false }
    for k in 0..<bins where a.above[k] != b.above[k] || a.below[k] != b.below[k] { return false }
    return true
  }

  package func hash(into hasher: inout Hasher) {
    for k in 0..<Self.bins {
      hasher.combine(above[k])
      hasher.combine(below[k])
    }
    hasher.combine(increment)
  }
}

extension RunStarts: Codable {
  enum CodingKeys: String, CodingKey { case above, below, increment }

  package init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    func counts(_ key: CodingKeys) throws -> InlineArray<15, Float> {
      let stored = try container.decode([Double].self, forKey: key)
      guard stored.count == Self.bins, stored.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
        throw DecodingError.dataCorruptedError(
          forKey: key, in: container, debugDescription: "\(Self.bins) finite counts expected")
      }
      var array = InlineArray<15, Float>(repeating: 0)
      for k in 0..<Self.bins { array[k] = Float(stored[k]) }
      return array
    }
    above = try counts(.above)
    below = try counts(.below)
    increment = try container.decode(Double.self, forKey: .increment)
  }

  package func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode((0..<Self.bins).map { Double(above[$0]) }, forKey: .above)
    try container.encode((0..<Self.bins).map { Double(below[$0]) }, forKey: .below)
    try container.encode(increment, forKey: .increment)
  }
}
