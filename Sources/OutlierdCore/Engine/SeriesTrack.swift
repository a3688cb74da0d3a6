/// What a series remembers between samples beyond its slots: the current
/// run of outliers, an active level shift, and its open incident.
///
/// Stored in the series table (`TrackCoding`); every field stays finite.
package struct SeriesTrack: Sendable, Hashable, Codable {
  // Fields in the order a sample reads them: what every sample reads first,
  // the recent level (read by every sample while cold start is on) before
  // the weekly tails, and the open incident, read only by outliers, last.
  // A backfill of many series reads each track from beyond the L2 cache,
  // so the fewer cache lines a sample touches, the faster it goes (measured
  // 4%, docs/history/performance-log.md). The stored layout is TrackCoding's, not this.
  /// A suspected level shift: while `shiftRatio` is not 1 the series is
  /// judged against `shiftRatio` times its slots' lines, and its slots learn
  /// its samples divided by it (so they stay in the old level's units and
  /// need no change when the shift is undone). From `shiftConfirmAt` on the
  /// shift is the series' level: the slots are scaled and the ratio is 1
  /// again.
  package var shiftRatio: Double = 1
  package var shiftConfirmAt: Double = 0
  /// Set once a sample below zero arrives; until then the series is taken
  /// to be non-negative (counts, sizes, rates) and never expected below 0.
  package var everNegative = false
  /// Consecutive outliers in one direction (+1 above, −1 below) and the
  /// sums of their values and of their expected values.
  package var runSign: Int = 0
  package var runLength: Int = 0
  package var runValueSum: Double = 0
  package var runExpectedSum: Double = 0
  /// A run through expected values ≤ 0 has no meaningful ratio.
  package var runCrossesZero = false
  package var runStart: Double = 0
  /// Samples in a row, while a shift is suspected, that fit the old level
  /// and not the new one; `ScoringRules.revertAfter` of them undo it.
  package var revertRun = 0
  /// Set when the series went silent for longer than stale_after.
  package var stale = false
  /// The recent level that judges while the weekly slots warm up.
  package var recent = RecentLevel()
  /// The series' score tails and tail factors (calibration), one per side.
  /// Held inline and updated in place on every judged sample.
  package var tail = SidedTail()
  /// What the series' noise looks like: its family's statistics.
  package var noise = NoiseModel()
  /// Its day hour by hour, and the spread around it (cold start).
  package var daily = DailyProfile()
  /// Whether it has stopped varying (`variance` alerts).
  package var flat = FlatWatch()
  /// The open incident of its `variance` alerts, apart from its point
  /// alerts' (`incident`).
  package var varianceIncident: OpenIncident?

  package var incident: OpenIncident?
  package struct OpenIncident: Sendable, Hashable, Codable {
    package var id: Int64
    package var sign: Int
    package var start: Double
    package var end: Double
    /// The largest |score| (normal-equivalent), with its sign.
    package var peak: Double
    package var alerts: Int
    /// Fisher's evidence of its alerts, Σ −2 ln p (`IncidentSeverity`).
    package var evidence: Double = 0
    /// When it became critical; 0 while it is a warning.
    package var criticalAt: Double = 0

    package var severity: IncidentSeverity { criticalAt > 0 ? .critical : .warning }

    package init(
      id: Int64, sign: Int, start: Double, end: Double, peak: Double, alerts: Int, evidence: Double = 0,
      criticalAt: Double = 0
    ) {
      self.id = id
      self.sign = sign
      self.start = start
      self.end = end
      self.peak = peak
      self.alerts = alerts
      self.evidence = evidence
      self.criticalAt = criticalAt
    }

    enum CodingKeys: String, CodingKey { case id, sign, start, end, peak, alerts, evidence, criticalAt }

    /// Tracks stored as JSON before severity have no evidence: 0.
    package init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      id = try c.decode(Int64.self, forKey: .id)
      sign = try c.decode(Int.self, forKey: .sign)
      start = try c.decode(Double.self, forKey: .start)
      end = try c.decode(Double.self, forKey: .end)
      peak = try c.decode(Double.self, forKey: .peak)
      alerts = try c.decode(Int.self, forKey: .alerts)
      evidence = try c.decodeIfPresent(Double.self, forKey: .evidence) ?? 0
      criticalAt = try c.decodeIfPresent(Double.self, forKey: .criticalAt) ?? 0
    }
  }

  package init() {}

  /// Equal to a new track. (A learned recent level answers at once: the
  /// whole comparison touches 1 KB.)
  package var isEmpty: Bool { recent.samples == 0 && self == SeriesTrack() }

  enum CodingKeys: String, CodingKey {
    case runSign, runLength, runValueSum, runExpectedSum, runCrossesZero, runStart, shiftRatio,
      shiftConfirmAt, revertRun, incident, stale, tail, recent, everNegative, noise, daily, flat,
      varianceIncident
  }

  /// Every key may be missing (a track stored by an earlier version has no
  /// `tail`): it then keeps its initial value. The JSON of versions before
  /// 0.6 held a shift as `shiftUntil` with some slots already scaled; it is
  /// not read, and such a series finds its shift again if it lasts.
  package init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    runSign = try c.decodeIfPresent(Int.self, forKey: .runSign) ?? runSign
    runLength = try c.decodeIfPresent(Int.self, forKey: .runLength) ?? runLength
    runValueSum = try c.decodeIfPresent(Double.self, forKey: .runValueSum) ?? runValueSum
    runExpectedSum = try c.decodeIfPresent(Double.self, forKey: .runExpectedSum) ?? runExpectedSum
    runCrossesZero = try c.decodeIfPresent(Bool.self, forKey: .runCrossesZero) ?? runCrossesZero
    runStart = try c.decodeIfPresent(Double.self, forKey: .runStart) ?? runStart
    if let confirmAt = try c.decodeIfPresent(Double.self, forKey: .shiftConfirmAt) {
      shiftConfirmAt = confirmAt
      shiftRatio = try c.decodeIfPresent(Double.self, forKey: .shiftRatio) ?? shiftRatio
      revertRun = try c.decodeIfPresent(Int.self, forKey: .revertRun) ?? revertRun
    }
    incident = try c.decodeIfPresent(OpenIncident.self, forKey: .incident)
    stale = try c.decodeIfPresent(Bool.self, forKey: .stale) ?? stale
    tail = try c.decodeIfPresent(SidedTail.self, forKey: .tail) ?? tail
    recent = try c.decodeIfPresent(RecentLevel.self, forKey: .recent) ?? recent
    everNegative = try c.decodeIfPresent(Bool.self, forKey: .everNegative) ?? everNegative
    noise = try c.decodeIfPresent(NoiseModel.self, forKey: .noise) ?? noise
    daily = try c.decodeIfPresent(DailyProfile.self, forKey: .daily) ?? daily
    flat = try c.decodeIfPresent(FlatWatch.self, forKey: .flat) ?? flat
    varianceIncident = try c.decodeIfPresent(OpenIncident.self, forKey: .varianceIncident)
  }
}

extension SeriesTrack {
  mutating func endRun() {
    runSign = 0
    runLength = 0
    runValueSum = 0
    runExpectedSum = 0
    runCrossesZero = false
  }

  /// Drops a suspected shift.
  mutating func endShift() {
    shiftRatio = 1
    shiftConfirmAt = 0
    revertRun = 0
  }
}
