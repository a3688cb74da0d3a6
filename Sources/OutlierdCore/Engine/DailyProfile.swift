import Foundation

/// A series' day, hour by hour, weekdays apart from weekend days: the level
/// of each hour over about its last three days of that kind, and the spread
/// of its samples around it (`DailyNoise`). What the same time looked like
/// on the previous days, from a series' second day on, while its weekly
/// slots are still warming up: a nightly cleanup seen once is expected the
/// next night (`ScoringRules.judgeByRecentLevel`).
///
/// Kept in the series' track, not read from its weekly slots: the slots of
/// the previous days sit in other blocks, and reading them for every sample
/// of a warming series cost a backfill 1.39× its time. 48 hourly means as
/// 32-bit floats and their counts of samples: 240 bytes.
package struct DailyProfile: Sendable {
  /// Hours 0–23 of weekdays (Monday to Friday), then of weekend days.
  package static let bins = 48
  /// Samples of an hour that weigh in its mean: three days of 5-minute
  /// samples. (The weight is 1 / count up to it.)
  package static let memory: UInt8 = 36
  /// Samples an hour needs before it is a reference: half an hour's.
  package static let minimumSamples: UInt8 = 6

  package private(set) var means = InlineArray<48, Float>(repeating: 0)
  package private(set) var counts = InlineArray<48, UInt8>(repeating: 0)
  package var noise = DailyNoise()

  package init() {}

  init(means: InlineArray<48, Float>, counts: InlineArray<48, UInt8>, noise: DailyNoise) {
    self.means = means
    self.counts = counts
    self.noise = noise
  }

  /// The bin of a slot of a weekly period (`slotsPerDay` slots a day,
  /// Monday first); nil for a period that is not a week.
  @inline(__always)
  package static func bin(ofSlot slot: Int, slotsPerDay: Int, weekly: Bool) -> Int? {
    guard weekly, slotsPerDay >= 24 else { return nil }
    let day = slot / slotsPerDay
    let hour = (slot % slotsPerDay) * 24 / slotsPerDay
    return (day >= 5 ? 24 : 0) + hour
  }

  /// What this hour looked like on the previous days of the same kind, or,
  /// for a weekend day none of which has been seen yet, on weekdays (a
  /// series' first Saturday); nil before the hour has `minimumSamples`.
  @inline(__always)
  package func reference(bin: Int) -> Double? {
    if counts[bin] >= Self.minimumSamples { return Double(means[bin]) }
    let weekday = bin % 24
    if bin >= 24, counts[weekday] >= Self.minimumSamples { return Double(means[weekday]) }
    return nil
  }

  /// The largest magnitude learned: past it a 32-bit mean would overflow
  /// (values up to 1e100 are accepted), and such a series gets no profile.
  package static let largest = 1e30

  /// Learns y in its hour, after it was judged.
  @inline(__always)
  package mutating func learn(_ y: Double, bin: Int) {
    guard abs(y) <= Self.largest else { return }
    let count = counts[bin] < Self.memory ? counts[bin] + 1 : Self.memory
    counts[bin] = count
    let mean = Double(means[bin])
    means[bin] = Float(mean + (y - mean) / Double(count))
  }
}

extension DailyProfile: Hashable {
  package static func == (a: DailyProfile, b: DailyProfile) -> Bool {
    guard a.noise == b.noise else { return false }
    for k in 0..<bins where a.means[k] != b.means[k] || a.counts[k] != b.counts[k] { return false }
    return true
  }

  package func hash(into hasher: inout Hasher) {
    for k in 0..<Self.bins {
      hasher.combine(means[k])
      hasher.combine(counts[k])
    }
    hasher.combine(noise)
  }
}

extension DailyProfile: Codable {
  enum CodingKeys: String, CodingKey { case means, counts, noise }

  package init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let storedMeans = try container.decode([Double].self, forKey: .means)
    let storedCounts = try container.decode([Int].self, forKey: .counts)
    guard storedMeans.count == Self.bins, storedCounts.count == Self.bins,
      storedMeans.allSatisfy(\.isFinite), storedCounts.allSatisfy({ (0...255).contains($0) })
    else {
      throw DecodingError.dataCorruptedError(
        forKey: .means, in: container, debugDescription: "\(Self.bins) finite means and counts expected")
    }
    for k in 0..<Self.bins {
      means[k] = Float(storedMeans[k])
      counts[k] = UInt8(storedCounts[k])
    }
    noise = try container.decode(DailyNoise.self, forKey: .noise)
  }

  package func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode((0..<Self.bins).map { Double(means[$0]) }, forKey: .means)
    try container.encode((0..<Self.bins).map { Int(counts[$0]) }, forKey: .counts)
    try container.encode(noise, forKey: .noise)
  }
}
