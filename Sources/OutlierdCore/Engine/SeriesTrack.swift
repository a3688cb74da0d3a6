/// What a series remembers between samples beyond its slots: the current
/// run of outliers, an active level shift, and its open incident.
public struct SeriesTrack: Sendable, Hashable, Codable {
  /// Consecutive outliers in one direction (+1 above, −1 below), the sum
  /// of their residuals, and their slots (the first `shiftAfter`).
  public var runSign: Int = 0
  public var runLength: Int = 0
  public var runResidualSum: Double = 0
  public var runStart: Double = 0
  public var runSlots: [Int32] = []
  /// While a sample's time is before `shiftUntil`, the series is taken to
  /// sit `shiftDelta` away from its slots' lines.
  public var shiftDelta: Double = 0
  public var shiftUntil: Double = -.infinity
  public var incident: OpenIncident?

  public struct OpenIncident: Sendable, Hashable, Codable {
    public var id: Int64
    public var sign: Int
    public var start: Double
    public var end: Double
    /// The largest |score| (normal-equivalent), with its sign.
    public var peak: Double
    public var alerts: Int
  }

  public init() {}

  public var isEmpty: Bool { self == SeriesTrack() }
}

/// What judging one sample did.
public struct SampleVerdict: Sendable {
  public var assessment: Assessment
  public var isAlert: Bool
  /// Set when this sample completed a run that reveals a level shift: the
  /// total shift now in force.
  public var shiftDetected: Double?
  /// Slots of the run before this sample, to be moved by `shiftIncrement`.
  public var slotsToShift: [Int32] = []
  public var shiftIncrement: Double = 0
}

extension ScoringRules {
  /// Judges one sample of a series against its slot and learns it, with the
  /// series-level rules: a run of `shiftAfter` outliers in one direction is a
  /// level shift, after which, for one period from the run's start, every
  /// slot is judged relative to the shifted level and moved to it when
  /// learned. The caller moves the run's earlier slots (`slotsToShift`).
  public func judge(
    _ slot: inout SlotRegression, slotIndex: Int32, x: Double, y: Double, pool: NoisePool?,
    track: inout SeriesTrack, shiftAfter: Int, period: Double
  ) -> SampleVerdict {
    let shifted = x < track.shiftUntil
    let delta = shifted ? track.shiftDelta : 0
    let assessment = assess(slot, x: x, y: y - delta, pool: pool)
    if let value = valueToLearn(y: y - delta, assessment: assessment) {
      slot.add(x: x, y: value, memory: memory)
    }
    if shifted { slot.shiftLevel(by: delta) }
    var verdict = SampleVerdict(assessment: assessment, isAlert: false)
    guard case .scored(let score) = assessment else { return verdict }
    guard score.isOutlier else {
      track.runSign = 0
      track.runLength = 0
      track.runResidualSum = 0
      track.runSlots = []
      return verdict
    }
    verdict.isAlert = true
    let sign = score.residual < 0 ? -1 : 1
    if sign != track.runSign {
      track.runSign = sign
      track.runLength = 0
      track.runResidualSum = 0
      track.runStart = x
      track.runSlots = []
    }
    track.runLength += 1
    track.runResidualSum += score.residual
    if shiftAfter > 0 && track.runLength >= shiftAfter {
      let increment = track.runResidualSum / Double(track.runLength)
      track.shiftDelta = delta + increment
      track.shiftUntil = track.runStart + period
      slot.shiftLevel(by: increment)
      verdict.shiftDetected = track.shiftDelta
      verdict.slotsToShift = track.runSlots.filter { $0 != slotIndex }
      verdict.shiftIncrement = increment
      track.runSign = 0
      track.runLength = 0
      track.runResidualSum = 0
      track.runSlots = []
    } else if track.runSlots.count < max(shiftAfter, 1) {
      track.runSlots.append(slotIndex)
    }
    return verdict
  }
}

extension SlotRegression {
  /// Moves the whole line by δ: every past value counts as δ higher. The
  /// spread around the line (RSS) is unchanged.
  public mutating func shiftLevel(by delta: Double) {
    guard weight > 0, delta != 0 else { return }
    offsetMeanYAdjust(delta)
  }
}
