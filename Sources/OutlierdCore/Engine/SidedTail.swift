/// A series' score tails, one for each side of its expected values, and
/// the rank gate.
///
/// Bursty metrics are skewed: a count bursts upward to twice its level now
/// and then, but never drops as far, and a latency spikes up but cannot go
/// below its floor. One tail of |t| would widen the band on both sides for
/// the bursts, and a count stuck at zero would go unseen. So each side is
/// calibrated on the samples that fell on it, once it has
/// ScoreTail.minimumWeight of them; until then both sides share the factor
/// of all samples together. Under the model (symmetric noise) both sides
/// have the same reference, P(|Z| > z) given the side.
package struct SidedTail: Sendable, Hashable, Codable {
  // What every judged sample reads comes first, together: the factors in
  // force on both sides, the shared one and the run starts' increment
  // (`RunStarts` keeps it first). A sample then touches this line and its
  // own side's, not both sides' (`SeriesTrack`'s order).
  /// κ of both sides' samples together, refreshed every
  /// ScoreTail.refreshEvery samples.
  package private(set) var sharedFactor: Double = 1
  package private(set) var sinceShared = 0
  /// `factor(above:)` of each side, kept by `add` and the initialisers: a
  /// pure function of the other fields.
  private var inForceAbove: Double = 1
  private var inForceBelow: Double = 1
  /// The outliers that started a run, for the rank gate.
  package private(set) var starts = RunStarts()
  /// Samples above their expected value (residual ≥ 0).
  package private(set) var above = ScoreTail()
  /// Samples below it.
  package private(set) var below = ScoreTail()

  package init() {}

  init(above: ScoreTail, below: ScoreTail, sharedFactor: Double, sinceShared: Int, starts: RunStarts) {
    self.above = above
    self.below = below
    self.sharedFactor = sharedFactor
    self.sinceShared = sinceShared
    self.starts = starts
    refreshInForce()
  }

  /// κ on one side: the side's own once it has enough samples, else the
  /// shared one.
  @inline(__always)
  package func factor(above isAbove: Bool) -> Double { isAbove ? inForceAbove : inForceBelow }

  /// A side's factor in force: its own once it has enough samples, else
  /// the shared one.
  @inline(__always)
  private func inForce(_ side: borrowing ScoreTail) -> Double {
    side.isHeavyEnough ? side.factor : sharedFactor
  }

  /// Both sides' factors in force, from their tails and the shared factor.
  private mutating func refreshInForce() {
    inForceAbove = inForce(above)
    inForceBelow = inForce(below)
  }

  /// The weight of all judged samples recorded (both sides).
  package var weight: Double { above.weight + below.weight }

  /// Records a judged sample's u² on its side; `startsRun` when it is an
  /// outlier that starts a run of outliers (the rank gate's events).
  @inline(__always)
  package mutating func add(uSquared: Double, above isAbove: Bool, startsRun: Bool, threshold: Double) {
    if isAbove {
      above.add(uSquared: uSquared, threshold: threshold)
      inForceAbove = inForce(above)
    } else {
      below.add(uSquared: uSquared, threshold: threshold)
      inForceBelow = inForce(below)
    }
    starts.tick()
    if startsRun { starts.add(uSquared: uSquared, above: isAbove) }
    sinceShared += 1
    if sinceShared >= ScoreTail.refreshEvery {
      sinceShared = 0
      sharedFactor = ScoreTail.sharedFactor(above, below, threshold: threshold)
      refreshInForce()
    }
  }

  /// Extra past starts a sample may have beyond the expected number: the
  /// rank gate's slack for the few weeks the tail remembers.
  package static let rankSlack = 2.0

  /// The rank gate: whether an outlier of u² is common for this series, so
  /// that it is not an alert. It is when at least as many outliers as far
  /// out on its side started a run in the tail's memory as the threshold
  /// allows there (half of `rate`, times the judged samples, plus
  /// `rankSlack`): the series does that about as often as the threshold
  /// allows, or more (a metric that bursts every day). False while the tail
  /// is too light to say.
  ///
  /// - Parameter rate: the threshold's own tail probability, P(|Z| > k).
  @inline(__always)
  package func isCommon(uSquared: Double, above isAbove: Bool, rate: Double) -> Bool {
    let weight = self.weight
    guard weight >= ScoreTail.minimumWeight else { return false }
    return starts.exceedances(uSquared: uSquared, above: isAbove) >= rate / 2 * weight + Self.rankSlack
  }

  enum CodingKeys: String, CodingKey { case above, below, sharedFactor, sinceShared, starts }

  /// Reads both sides, or the single tail of earlier versions (a plain
  /// ScoreTail), which then serves both.
  package init(from decoder: any Decoder) throws {
    if let container = try? decoder.container(keyedBy: CodingKeys.self), container.contains(.above) {
      above = try container.decode(ScoreTail.self, forKey: .above)
      below = try container.decode(ScoreTail.self, forKey: .below)
      sharedFactor = try container.decode(Double.self, forKey: .sharedFactor)
      sinceShared = try container.decode(Int.self, forKey: .sinceShared)
      starts = try container.decode(RunStarts.self, forKey: .starts)
    } else {
      let single = try ScoreTail(from: decoder)
      above = single
      below = single
      sharedFactor = single.factor
    }
    refreshInForce()
  }
}
