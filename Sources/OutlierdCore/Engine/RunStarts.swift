import Foundation

/// The outliers of a series that started a run, by side, as decayed counts
/// of u = |t| / critical over the same bins as ScoreTail, on the time base
/// of every judged sample (`tick`). What the rank gate counts
/// (SidedTail.isCommon): an incident of an hour is one event, not twelve,
/// so it does not make the series' next anomaly look common, while a
/// metric that bursts once a day is seen to.
public struct RunStarts: Sendable, Hashable {
  public private(set) var above = InlineArray<24, Double>(repeating: 0)
  public private(set) var below = InlineArray<24, Double>(repeating: 0)
  /// What the next start adds: grows by 1/decay with every judged sample.
  public private(set) var increment: Double = 1

  public init() {}

  /// Restores counts saved earlier (the store's binary track).
  init(above: InlineArray<24, Double>, below: InlineArray<24, Double>, increment: Double) {
    self.above = above
    self.below = below
    self.increment = increment
  }

  /// One more judged sample: every count ages by ScoreTail.decay.
  @inline(__always)
  public mutating func tick() {
    increment /= ScoreTail.decay
    if increment > 1e100 {
      let scale = 1 / increment
      for k in 0..<ScoreTail.bins {
        above[k] *= scale
        below[k] *= scale
      }
      increment = 1
    }
  }

  /// Records an outlier that started a run (after this sample's `tick`).
  public mutating func add(uSquared: Double, above isAbove: Bool) {
    guard uSquared.isFinite else { return }
    let bin = ScoreTail.bin(uSquared: uSquared)
    if isAbove { above[bin] += increment } else { below[bin] += increment }
  }

  /// The decayed number of recorded starts on this side at least as far out
  /// as u (the newest counting 1), interpolated log-linearly within u's bin.
  public func exceedances(uSquared: Double, above isAbove: Bool) -> Double {
    let counts = isAbove ? above : below
    let b = ScoreTail.bin(uSquared: uSquared)
    var total = 0.0
    for k in (b + 1)..<ScoreTail.bins { total += counts[k] }
    if b >= 1 && b < ScoreTail.bins - 1 {
      // u lies 4·log₂(u / lower edge) of the way up its quarter-octave bin.
      let lower = ScoreTail.lowest * exp2(Double(b - 1) / 4)
      let position = 4 * log2(uSquared.squareRoot() / lower)
      total += counts[b] * max(0, min(1, 1 - position))
    } else {
      total += counts[b]
    }
    return total / increment
  }

  public static func == (a: RunStarts, b: RunStarts) -> Bool {
    guard a.increment == b.increment else { return false }
    for k in 0..<ScoreTail.bins where a.above[k] != b.above[k] || a.below[k] != b.below[k] { return false }
    return true
  }

  public func hash(into hasher: inout Hasher) {
    for k in 0..<ScoreTail.bins {
      hasher.combine(above[k])
      hasher.combine(below[k])
    }
    hasher.combine(increment)
  }
}

extension RunStarts: Codable {
  enum CodingKeys: String, CodingKey { case above, below, increment }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    func counts(_ key: CodingKeys) throws -> InlineArray<24, Double> {
      let stored = try container.decode([Double].self, forKey: key)
      guard stored.count == ScoreTail.bins, stored.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
        throw DecodingError.dataCorruptedError(
          forKey: key, in: container, debugDescription: "\(ScoreTail.bins) finite counts expected")
      }
      var array = InlineArray<24, Double>(repeating: 0)
      for k in 0..<ScoreTail.bins { array[k] = stored[k] }
      return array
    }
    above = try counts(.above)
    below = try counts(.below)
    increment = try container.decode(Double.self, forKey: .increment)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode((0..<ScoreTail.bins).map { above[$0] }, forKey: .above)
    try container.encode((0..<ScoreTail.bins).map { below[$0] }, forKey: .below)
    try container.encode(increment, forKey: .increment)
  }
}
