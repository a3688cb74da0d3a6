import Foundation

/// How a series' track is kept in `series.track`: NULL when empty, else a
/// BLOB of little-endian 8-byte words (doubles as their bits, integers as
/// Int64; the tails' 32-bit counts as doubles), version 4, in this order:
///
///     version, runSign, runLength, runValueSum, runExpectedSum,
///     runCrossesZero, runStart, shiftRatio, shiftConfirmAt, revertRun,
///     stale, everNegative,
///     tails (above, below: each 24 counts, increment, total,
///            sinceRefresh, factor; sharedFactor, sinceShared;
///            run starts: increment, 15 counts above, 15 below),
///     recent (mean, variance, samples, runSign, runLength, runSum,
///             tails as before,
///             clipped run: sign, length, count, then two samples of
///             x, learned, value),
///     hasIncident, incident (id, sign, start, end, peak, alerts)
///
/// Version 3 had no clipped run (read as empty).
/// Version 1 (0.5.0) had `shiftUntil` where version 3 and 4 have `shiftConfirmAt`,
/// no `revertRun`, one tail for both sides (read into both), and the run's
/// slots at the end (a count, then the slots). Its shift had already scaled
/// some slots and not others, so it is not carried over: such a series
/// finds its shift again if it lasts. Version 2 was never released. Rows
/// written before version 1 hold the track as JSON text, which is still
/// read. Binary because the track changes with every judged sample
/// (the tails and the recent level), so it is written for every series in
/// every batch: JSONEncoder made the all-cold 1 M backfill 2.6× slower.
enum TrackCoding {
  static let version: UInt64 = 4

  /// The most words a track takes: with an open incident.
  static let maximumWords = 212

  static func encode(_ track: SeriesTrack) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: maximumWords * 8) { buffer, count in
      var out = WordWriter(base: UnsafeMutableRawPointer(buffer.baseAddress!))
      out.word(version)
      out.integer(track.runSign)
      out.integer(track.runLength)
      out.double(track.runValueSum)
      out.double(track.runExpectedSum)
      out.integer(track.runCrossesZero ? 1 : 0)
      out.double(track.runStart)
      out.double(track.shiftRatio)
      out.double(track.shiftConfirmAt)
      out.integer(track.revertRun)
      out.integer(track.stale ? 1 : 0)
      out.integer(track.everNegative ? 1 : 0)
      out.tails(track.tail)
      out.double(track.recent.mean)
      out.double(track.recent.variance)
      out.double(track.recent.samples)
      out.double(track.recent.runSign)
      out.integer(track.recent.runLength)
      out.double(track.recent.runSum)
      out.tails(track.recent.tail)
      out.clipped(track.recent.clipped)
      if let incident = track.incident {
        out.integer(1)
        out.word(UInt64(bitPattern: incident.id))
        out.integer(incident.sign)
        out.double(incident.start)
        out.double(incident.end)
        out.double(incident.peak)
        out.integer(incident.alerts)
      } else {
        out.integer(0)
      }
      count = out.offset
    }
  }

  /// Little-endian words into a buffer of `maximumWords`: the track is
  /// written for every touched series in every batch, so without an
  /// array of words, closures or copies of its tails.
  struct WordWriter {
    let base: UnsafeMutableRawPointer
    var offset = 0

    @inline(__always)
    mutating func word(_ value: UInt64) {
      base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self)
      offset += 8
    }
    @inline(__always)
    mutating func double(_ value: Double) { word(value.bitPattern) }
    @inline(__always)
    mutating func integer(_ value: Int) { word(UInt64(bitPattern: Int64(value))) }

    mutating func counts(_ counts: borrowing InlineArray<24, Float>) {
      for k in 0..<ScoreTail.bins { double(Double(counts[k])) }
    }

    mutating func starts(_ counts: borrowing InlineArray<15, Float>) {
      for k in 0..<RunStarts.bins { double(Double(counts[k])) }
    }

    mutating func tail(_ tail: borrowing ScoreTail) {
      counts(tail.counts)
      double(tail.increment)
      double(tail.total)
      integer(tail.sinceRefresh)
      double(tail.factor)
    }

    mutating func clipped(_ run: ClippedRun) {
      integer(run.sign)
      integer(run.length)
      integer(run.count)
      sample(run.first)
      sample(run.second)
    }

    mutating func sample(_ sample: ClippedRun.Sample) {
      double(sample.x)
      double(sample.learned)
      double(sample.value)
    }

    mutating func tails(_ sided: borrowing SidedTail) {
      tail(sided.above)
      tail(sided.below)
      double(sided.sharedFactor)
      integer(sided.sinceShared)
      double(sided.starts.increment)
      starts(sided.starts.above)
      starts(sided.starts.below)
    }
  }

  /// The track in a BLOB; nil when it is not a version-1, -3 or -4 track
  /// (damaged).
  static func decode(blob: UnsafeRawBufferPointer) -> SeriesTrack? {
    guard blob.count % 8 == 0 else { return nil }
    let count = blob.count / 8
    let stored = count >= 1 ? UInt64(littleEndian: blob.loadUnaligned(as: UInt64.self)) : 0
    guard stored == 1 || stored == 3 || stored == version else { return nil }
    var index = 1
    func word() -> UInt64? {
      guard index < count else { return nil }
      defer { index += 1 }
      return UInt64(littleEndian: blob.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
    }
    func double() -> Double? { word().map(Double.init(bitPattern:)) }
    func integer() -> Int? { word().map { Int(Int64(bitPattern: $0)) } }
    func tail() -> ScoreTail? {
      var counts = InlineArray<24, Float>(repeating: 0)
      for k in 0..<ScoreTail.bins {
        guard let value = double() else { return nil }
        counts[k] = Float(value)
      }
      guard let increment = double(), let total = double(), let since = integer(), let factor = double()
      else { return nil }
      return ScoreTail(
        counts: counts, increment: increment, total: total, sinceRefresh: since, factor: factor)
    }
    func starts() -> InlineArray<15, Float>? {
      var counts = InlineArray<15, Float>(repeating: 0)
      for k in 0..<RunStarts.bins {
        guard let value = double() else { return nil }
        counts[k] = Float(value)
      }
      return counts
    }
    /// Both sides; version 1 kept one tail for both.
    func tails() -> SidedTail? {
      guard let above = tail() else { return nil }
      if stored == 1 {
        return SidedTail(
          above: above, below: above, sharedFactor: above.factor, sinceShared: 0, starts: RunStarts())
      }
      guard let below = tail(), let shared = double(), let since = integer(), let increment = double(),
        let startsAbove = starts(), let startsBelow = starts()
      else { return nil }
      return SidedTail(
        above: above, below: below, sharedFactor: shared, sinceShared: since,
        starts: RunStarts(above: startsAbove, below: startsBelow, increment: increment))
    }
    /// Version 4's clipped run; empty before.
    func clipped() -> ClippedRun? {
      guard stored == version else { return ClippedRun() }
      guard let sign = integer(), (-1...1).contains(sign), let length = integer(), length >= 0,
        let count = integer(), (0...ClippedRun.capacity).contains(count)
      else { return nil }
      var samples: [ClippedRun.Sample] = []
      for _ in 0..<2 {
        guard let x = double(), let learned = double(), let value = double() else { return nil }
        samples.append(ClippedRun.Sample(x: x, learned: learned, value: value))
      }
      return ClippedRun(sign: sign, length: length, count: count, first: samples[0], second: samples[1])
    }
    var track = SeriesTrack()
    guard let runSign = integer(), let runLength = integer(), let runValueSum = double(),
      let runExpectedSum = double(), let crosses = integer(), let runStart = double(),
      let shiftRatio = double(), let shiftConfirmAt = double(), let revertRun = stored == 1 ? 0 : integer(),
      let stale = integer(), let negative = integer(),
      let slotTail = tails(),
      let mean = double(), let variance = double(), let samples = double(), let recentSign = double(),
      let recentLength = integer(), let recentSum = double(), let recentTail = tails(),
      let recentClipped = clipped(), let hasIncident = integer()
    else { return nil }
    track.runSign = runSign
    track.runLength = runLength
    track.runValueSum = runValueSum
    track.runExpectedSum = runExpectedSum
    track.runCrossesZero = crosses != 0
    track.runStart = runStart
    if stored != 1 {
      track.shiftRatio = shiftRatio
      track.shiftConfirmAt = shiftConfirmAt
      track.revertRun = revertRun
    }
    track.stale = stale != 0
    track.everNegative = negative != 0
    track.tail = slotTail
    track.recent = RecentLevel(
      mean: mean, variance: variance, samples: samples, tail: recentTail, runSign: recentSign,
      runLength: recentLength, runSum: recentSum, clipped: recentClipped)
    if hasIncident != 0 {
      guard let id = word(), let sign = integer(), let start = double(), let end = double(),
        let peak = double(), let alerts = integer()
      else { return nil }
      track.incident = SeriesTrack.OpenIncident(
        id: Int64(bitPattern: id), sign: sign, start: start, end: end, peak: peak, alerts: alerts)
    }
    if stored == 1 {
      // The run's slots: checked, no longer needed.
      guard let slotCount = integer(), slotCount >= 0, slotCount == count - index else { return nil }
      index = count
    }
    guard index == count else { return nil }
    return track
  }

  /// The track of a `series.track` column: NULL, a version-1, -3 or -4 BLOB, or the
  /// JSON text of earlier versions.
  static func read(_ statement: SQLiteStatement, column: Int32) throws -> SeriesTrack {
    if statement.isNull(column) { return SeriesTrack() }
    if statement.isBlob(column) {
      guard let track = statement.withBlob(column, { decode(blob: $0) }) else {
        throw SQLiteError(code: 11, message: "series.track: not a version-1, -3 or -\(version) track")
      }
      return track
    }
    let text = statement.text(column) ?? ""
    return try JSONDecoder().decode(SeriesTrack.self, from: Data(text.utf8))
  }
}
