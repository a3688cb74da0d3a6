/// What a series remembers between samples beyond its slots: the current
/// run of outliers, an active level shift, and its open incident.
///
/// Stored as JSON in the series table, so every field stays finite.
public struct SeriesTrack: Sendable, Hashable, Codable {
  /// Consecutive outliers in one direction (+1 above, −1 below), the sums
  /// of their values and of their expected values, and their slots (the
  /// first `shiftAfter`).
  public var runSign: Int = 0
  public var runLength: Int = 0
  public var runValueSum: Double = 0
  public var runExpectedSum: Double = 0
  /// A run through expected values ≤ 0 has no meaningful ratio.
  public var runCrossesZero = false
  public var runStart: Double = 0
  public var runSlots: [Int32] = []
  /// While a sample's time is before `shiftUntil`, the series is taken to
  /// run at `shiftRatio` times its slots' lines.
  public var shiftRatio: Double = 1
  public var shiftUntil: Double = 0
  public var incident: OpenIncident?
  /// Set when the series went silent for longer than stale_after.
  public var stale = false
  /// The series' score tail and tail factor (calibration). Held inline and
  /// updated in place on every judged sample.
  public var tail = ScoreTail()
  /// The recent level that judges while the weekly slots warm up.
  public var recent = RecentLevel()
  /// Set once a sample below zero arrives; until then the series is taken
  /// to be non-negative (counts, sizes, rates) and never expected below 0.
  public var everNegative = false

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

  enum CodingKeys: String, CodingKey {
    case runSign, runLength, runValueSum, runExpectedSum, runCrossesZero, runStart, runSlots, shiftRatio,
      shiftUntil, incident, stale, tail, recent, everNegative
  }

  /// Every key may be missing (a track stored by an earlier version has no
  /// `tail`): it then keeps its initial value.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    runSign = try c.decodeIfPresent(Int.self, forKey: .runSign) ?? runSign
    runLength = try c.decodeIfPresent(Int.self, forKey: .runLength) ?? runLength
    runValueSum = try c.decodeIfPresent(Double.self, forKey: .runValueSum) ?? runValueSum
    runExpectedSum = try c.decodeIfPresent(Double.self, forKey: .runExpectedSum) ?? runExpectedSum
    runCrossesZero = try c.decodeIfPresent(Bool.self, forKey: .runCrossesZero) ?? runCrossesZero
    runStart = try c.decodeIfPresent(Double.self, forKey: .runStart) ?? runStart
    runSlots = try c.decodeIfPresent([Int32].self, forKey: .runSlots) ?? runSlots
    shiftRatio = try c.decodeIfPresent(Double.self, forKey: .shiftRatio) ?? shiftRatio
    shiftUntil = try c.decodeIfPresent(Double.self, forKey: .shiftUntil) ?? shiftUntil
    incident = try c.decodeIfPresent(OpenIncident.self, forKey: .incident)
    stale = try c.decodeIfPresent(Bool.self, forKey: .stale) ?? stale
    tail = try c.decodeIfPresent(ScoreTail.self, forKey: .tail) ?? tail
    recent = try c.decodeIfPresent(RecentLevel.self, forKey: .recent) ?? recent
    everNegative = try c.decodeIfPresent(Bool.self, forKey: .everNegative) ?? everNegative
  }
}

extension SeriesTrack {
  mutating func endRun() {
    runSign = 0
    runLength = 0
    runValueSum = 0
    runExpectedSum = 0
    runCrossesZero = false
    runSlots = []
  }
}
