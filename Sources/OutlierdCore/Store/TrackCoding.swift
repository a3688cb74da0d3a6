import Foundation

/// How a series' track is kept in `series.track`: NULL when empty, else a
/// BLOB of little-endian 8-byte words, version 11: the track's words with
/// the words that are 0 left out,
///
///     11, n, ⌈n / 64⌉ presence words, the n words' nonzero ones in order
///
/// where n is the number of the track's words after its version word, and
/// bit j of presence word j / 64 (the lowest first) is set when word j is
/// not 0. The track's words (doubles as their bits, integers as Int64,
/// booleans as 0/1) are, in this order:
///
///     version, runSign, runLength, runValueSum, runExpectedSum,
///     runCrossesZero, runStart, shiftRatio, shiftConfirmAt, revertRun,
///     stale, everNegative,
///     hasIncident, then if 1 incident (id, sign, start, end, peak, alerts,
///     evidence, criticalAt),
///     tails,
///     recent (mean, variance, samples, runSign, runLength, runSum),
///     recent tails,
///     clipped run: sign, length, count, then count samples of
///     x, learned, value,
///     noise: the 17 numbers of `NoiseModel.words`,
///     daily profile: 48 hourly means as 32-bit floats, two to a word
///     (24 words), their 48 counts as bytes, eight to a word (6 words),
///     the lowest byte first; then its noise: variance, samples,
///     flat watch: previous, length, repeats, samples,
///     hasVarianceIncident, then if 1 that incident as the one above
///
/// where tails are one word, 0 for tails that never learned a score
/// (nothing follows) or 1, then 50 words: above and below, each
/// increment, total, sinceRefresh, factor and 24 counts; sharedFactor,
/// sinceShared; run starts: increment, 15 counts above, 15 below. Counts
/// are 32-bit floats in memory and stored so, two to a word (the first in
/// the low half; an odd count's last half is 0).
///
/// The track is written for every touched series in every batch (the
/// tails and the recent level change with every judged sample), so its
/// size is the cost of a batch's series writes: version 4 kept the counts
/// as doubles, the tails of a series the slots had never judged, and both
/// clipped samples always, in 206 words; version 5 takes 124 for a warm
/// series and 74 for a new one. Most of a series' words are 0 (a run, a
/// shift or an incident it does not have, the tails' upper bins and run
/// starts), so version 6 stores about half of them (docs/history/performance-log.md).
///
/// Earlier versions are still read. Version 10 stored the same words
/// without the flat watch and the variance incident. Version 9 stored them
/// without the daily profile's means and counts (its noise only), version 8
/// without the daily profile (read as new), version 7 also without the
/// noise (read as a new `NoiseModel`). Version 6 stored version 5's words
/// the same way; version 5's words are these without the incident's
/// evidence and criticalAt (read as 0: a warning). Version 5 is those words
/// with the zeros kept. Version 4 had the incident last, the
/// counts as doubles and the tails and clipped run in full (206 words
/// before the incident). Version 3 had no clipped run (read as empty).
/// Version 1 (before 0.5.0) had `shiftUntil` where later versions have
/// `shiftConfirmAt`, no `revertRun`, one tail for both sides (read into
/// both), and the run's slots at the end (a count, then the slots). Its
/// shift had already scaled some slots and not others, so it is not
/// carried over: such a series finds its shift again if it lasts. Version
/// 2 was never released. Rows written before version 1 hold the track as
/// JSON text. Binary because JSONEncoder made the all-cold 1 M backfill
/// 2.6× slower.
enum TrackCoding {
  static let version: UInt64 = 11
  /// The track's words, the first word of their expanded form.
  static let wordsVersion: UInt64 = 11
  /// Version 10's: these words without the flat watch and variance incident.
  static let version10: UInt64 = 10
  /// Version 9's: these words without the daily profile's hours.
  static let version9: UInt64 = 9
  /// Version 8's: these words without the daily profile.
  static let version8: UInt64 = 8
  /// Version 7's: also without the noise.
  static let version7: UInt64 = 7
  /// Version 6's: the words of version 5, an incident without severity.
  static let version6: UInt64 = 6

  /// The most words the track takes: with an open incident, both tails and
  /// a full clipped run.
  static let maximumWords =
    12 + 9 + 2 * (1 + tailWords) + 6 + 3 + 3 * ClippedRun.capacity + NoiseModel.wordCount + dailyWords + 4 + 9

  /// Words of the daily profile: its means, its counts, its noise.
  static let dailyWords = DailyProfile.bins / 2 + DailyProfile.bins / 8 + 2

  /// Words of tails that learned a score.
  static let tailWords = 2 * (4 + ScoreTail.bins / 2) + 2 + 1 + RunStarts.bins

  /// The track's BLOB (version 7): its words made on the stack, then the
  /// nonzero ones copied out behind their presence bits.
  static func encode(_ track: SeriesTrack) -> [UInt8] {
    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: maximumWords) { scratch in
      var words = WordWriter(base: UnsafeMutableRawPointer(scratch.baseAddress!))
      writeWords(track, into: &words)
      // Zero is zero in either byte order: the words are copied as stored.
      let all = UnsafeBufferPointer(rebasing: scratch[1..<words.offset / 8])
      let presenceWords = (all.count + 63) / 64
      let present = all.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
      return [UInt8](unsafeUninitializedCapacity: (2 + presenceWords + present) * 8) { buffer, count in
        var out = WordWriter(base: UnsafeMutableRawPointer(buffer.baseAddress!))
        out.word(version)
        out.integer(all.count)
        for first in stride(from: 0, to: all.count, by: 64) {
          var bits: UInt64 = 0
          for j in first..<min(first + 64, all.count) where all[j] != 0 { bits |= 1 << (j - first) }
          out.word(bits)
        }
        for word in all where word != 0 { out.stored(word) }
        count = out.offset
      }
    }
  }

  /// The track's words, its version word first.
  static func writeWords(_ track: SeriesTrack, into out: inout WordWriter) {
    out.word(wordsVersion)
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
    out.incident(track.incident)
    out.tails(track.tail)
    out.double(track.recent.mean)
    out.double(track.recent.variance)
    out.double(track.recent.samples)
    out.double(track.recent.runSign)
    out.integer(track.recent.runLength)
    out.double(track.recent.runSum)
    out.tails(track.recent.tail)
    out.clipped(track.recent.clipped)
    for word in track.noise.words { out.double(word) }
    let daily = track.daily
    for k in stride(from: 0, to: DailyProfile.bins, by: 2) { out.floats(daily.means[k], daily.means[k + 1]) }
    for first in stride(from: 0, to: DailyProfile.bins, by: 8) {
      var word: UInt64 = 0
      for k in 0..<8 { word |= UInt64(daily.counts[first + k]) << (8 * k) }
      out.word(word)
    }
    out.double(daily.noise.variance)
    out.double(daily.noise.samples)
    out.double(track.flat.previous)
    out.double(track.flat.length)
    out.double(track.flat.repeats)
    out.double(track.flat.samples)
    out.incident(track.varianceIncident)
  }

  /// Little-endian words into a buffer the caller sized (the track's
  /// `maximumWords` on the stack, then the BLOB's exact size): the track
  /// is written for every touched series in every batch, so without an
  /// array of words, closures or copies of its tails.
  struct WordWriter {
    let base: UnsafeMutableRawPointer
    var offset = 0

    @inline(__always)
    mutating func word(_ value: UInt64) {
      base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self)
      offset += 8
    }
    /// A word already in little-endian order.
    @inline(__always)
    mutating func stored(_ value: UInt64) {
      base.storeBytes(of: value, toByteOffset: offset, as: UInt64.self)
      offset += 8
    }
    @inline(__always)
    mutating func double(_ value: Double) { word(value.bitPattern) }
    @inline(__always)
    mutating func integer(_ value: Int) { word(UInt64(bitPattern: Int64(value))) }
    /// Two 32-bit floats in a word, the first in the low half.
    @inline(__always)
    mutating func floats(_ low: Float, _ high: Float) {
      word(UInt64(low.bitPattern) | UInt64(high.bitPattern) << 32)
    }

    mutating func tail(_ tail: borrowing ScoreTail) {
      double(tail.increment)
      double(tail.total)
      integer(tail.sinceRefresh)
      double(tail.factor)
      for k in stride(from: 0, to: ScoreTail.bins, by: 2) { floats(tail.counts[k], tail.counts[k + 1]) }
    }

    /// `hasIncident`, then if 1 the incident: id, sign, start, end, peak,
    /// alerts, evidence, criticalAt.
    mutating func incident(_ incident: SeriesTrack.OpenIncident?) {
      guard let incident else {
        integer(0)
        return
      }
      integer(1)
      word(UInt64(bitPattern: incident.id))
      integer(incident.sign)
      double(incident.start)
      double(incident.end)
      double(incident.peak)
      integer(incident.alerts)
      double(incident.evidence)
      double(incident.criticalAt)
    }

    mutating func clipped(_ run: ClippedRun) {
      integer(run.sign)
      integer(run.length)
      integer(run.count)
      if run.count > 0 { sample(run.first) }
      if run.count > 1 { sample(run.second) }
    }

    mutating func sample(_ sample: ClippedRun.Sample) {
      double(sample.x)
      double(sample.learned)
      double(sample.value)
    }

    mutating func tails(_ sided: borrowing SidedTail) {
      // Every judged sample moves the run starts' increment; equal to new
      // tails only if it has not moved (or was rescaled to 1).
      if sided.starts.increment == 1, sided == SidedTail() {
        integer(0)
        return
      }
      integer(1)
      tail(sided.above)
      tail(sided.below)
      double(sided.sharedFactor)
      integer(sided.sinceShared)
      double(sided.starts.increment)
      // The 30 run-start counts, above then below, two to a word.
      let starts = sided.starts
      func start(_ k: Int) -> Float {
        k < RunStarts.bins ? starts.above[k] : starts.below[k - RunStarts.bins]
      }
      for k in stride(from: 0, to: 2 * RunStarts.bins, by: 2) { floats(start(k), start(k + 1)) }
    }
  }

  /// The track in a BLOB; nil when it is not a version-1 or -3 to -11
  /// track (damaged).
  static func decode(blob: UnsafeRawBufferPointer) -> SeriesTrack? {
    guard blob.count % 8 == 0 else { return nil }
    var words = WordReader(blob: blob)
    guard let stored = words.word() else { return nil }
    switch stored {
    case version: return decodeWithoutZeros(blob, words: wordsVersion)
    case version10: return decodeWithoutZeros(blob, words: version10)
    case version9: return decodeWithoutZeros(blob, words: version9)
    case version8: return decodeWithoutZeros(blob, words: version8)
    case version7: return decodeWithoutZeros(blob, words: version7)
    case version6: return decodeWithoutZeros(blob, words: 5)
    case 1, 3, 4, 5: return decodeWords(blob, version: stored)
    default: return nil
    }
  }

  /// Words of `version` (1, 3, 4, 5, 7 to 10, or 11: the track's), behind
  /// their version word.
  static func decodeWords(_ blob: UnsafeRawBufferPointer, version stored: UInt64) -> SeriesTrack? {
    var words = WordReader(blob: blob)
    _ = words.word()
    guard var track = words.header(version: stored) else { return nil }
    /// The parts every version has, in its own order.
    func assemble(
      _ slotTail: SidedTail, _ recent: RecentLevel, _ recentTail: SidedTail, _ clipped: ClippedRun
    ) {
      track.tail = slotTail
      track.recent = recent
      track.recent.tail = recentTail
      track.recent.clipped = clipped
    }
    if stored == 5 || stored >= version7 {
      guard words.incident(into: &track, withSeverity: stored != 5), let slotTail = words.tails(),
        let recent = words.recent(), let recentTail = words.tails(),
        let clipped = words.clipped(samplesAlways: false)
      else { return nil }
      assemble(slotTail, recent, recentTail, clipped)
      if stored >= version8 {
        guard let noise = words.noise() else { return nil }
        track.noise = noise
      }
      if stored >= version9 {
        guard let daily = words.daily(withHours: stored >= version10) else { return nil }
        track.daily = daily
      }
      if stored >= wordsVersion {
        guard let previous = words.double(), let length = words.double(), let repeats = words.double(),
          let samples = words.double(), previous.isFinite, length.isFinite, length >= 0, repeats.isFinite,
          (0...1).contains(repeats), samples.isFinite, samples >= 0
        else { return nil }
        track.flat = FlatWatch(previous: previous, length: length, repeats: repeats, samples: samples)
        var second = SeriesTrack()
        guard words.incident(into: &second, withSeverity: true) else { return nil }
        track.varianceIncident = second.incident
      }
    } else {
      guard let slotTail = words.legacyTails(version: stored), let recent = words.recent(),
        let recentTail = words.legacyTails(version: stored),
        let clipped = stored == 4 ? words.clipped(samplesAlways: true) : ClippedRun(),
        words.incident(into: &track, withSeverity: false)
      else { return nil }
      assemble(slotTail, recent, recentTail, clipped)
      if stored == 1 {
        // The run's slots: checked, no longer needed.
        guard let slotCount = words.integer(), slotCount >= 0, slotCount == words.remaining else {
          return nil
        }
        words.skipToEnd()
      }
    }
    guard words.remaining == 0 else { return nil }
    return track
  }

  /// A version-6 to -11 BLOB: its zero words put back, read as words of
  /// version 5 (for 6) or its own. Nil unless the presence bits name exactly the words
  /// stored, none of them 0, within the most words there can be.
  static func decodeWithoutZeros(_ blob: UnsafeRawBufferPointer, words version: UInt64) -> SeriesTrack? {
    var words = WordReader(blob: blob)
    _ = words.word()
    guard let count = words.integer(), (0..<maximumWords).contains(count) else { return nil }
    let presenceWords = (count + 63) / 64
    guard words.remaining >= presenceWords else { return nil }
    let firstStored = words.index + presenceWords
    func word(_ index: Int) -> UInt64 {
      UInt64(littleEndian: blob.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
    }
    // No bit past the n words, and one stored word for each bit.
    let spare = presenceWords * 64 - count
    guard spare == 0 || word(firstStored - 1) >> (64 - spare) == 0 else { return nil }
    let present = (words.index..<firstStored).reduce(0) { $0 + word($1).nonzeroBitCount }
    guard blob.count / 8 - firstStored == present else { return nil }
    return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: count + 1) { out in
      out[0] = version.littleEndian
      var next = firstStored
      for j in 0..<count {
        if word(words.index + j / 64) >> (j % 64) & 1 == 1 {
          let value = word(next)
          guard value != 0 else { return nil }
          out[1 + j] = value.littleEndian
          next += 1
        } else {
          out[1 + j] = 0
        }
      }
      return decodeWords(UnsafeRawBufferPointer(out), version: version)
    }
  }

  /// Little-endian words out of a BLOB; every read is nil past its end.
  struct WordReader {
    let blob: UnsafeRawBufferPointer
    var index = 0

    var remaining: Int { blob.count / 8 - index }
    mutating func skipToEnd() { index = blob.count / 8 }

    mutating func word() -> UInt64? {
      guard remaining > 0 else { return nil }
      defer { index += 1 }
      return UInt64(littleEndian: blob.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
    }
    mutating func double() -> Double? { word().map(Double.init(bitPattern:)) }
    mutating func integer() -> Int? { word().map { Int(Int64(bitPattern: $0)) } }
    mutating func floats() -> (Float, Float)? {
      word().map { (Float(bitPattern: UInt32(truncatingIfNeeded: $0)), Float(bitPattern: UInt32($0 >> 32))) }
    }

    /// The words after the version, up to `everNegative`: the same in
    /// every version but 1, which had no `revertRun` and whose shift is
    /// dropped (TrackCoding).
    mutating func header(version: UInt64) -> SeriesTrack? {
      guard let runSign = integer(), let runLength = integer(), let runValueSum = double(),
        let runExpectedSum = double(), let crosses = integer(), let runStart = double(),
        let shiftRatio = double(), let shiftConfirmAt = double(),
        let revertRun = version == 1 ? 0 : integer(),
        let stale = integer(), let negative = integer()
      else { return nil }
      var track = SeriesTrack()
      track.runSign = runSign
      track.runLength = runLength
      track.runValueSum = runValueSum
      track.runExpectedSum = runExpectedSum
      track.runCrossesZero = crosses != 0
      track.runStart = runStart
      if version != 1 {
        track.shiftRatio = shiftRatio
        track.shiftConfirmAt = shiftConfirmAt
        track.revertRun = revertRun
      }
      track.stale = stale != 0
      track.everNegative = negative != 0
      return track
    }

    /// `hasIncident`, then the incident if 1, with its evidence and
    /// criticalAt when `withSeverity`; false when damaged.
    mutating func incident(into track: inout SeriesTrack, withSeverity: Bool) -> Bool {
      guard let hasIncident = integer() else { return false }
      guard hasIncident != 0 else { return true }
      guard let id = word(), let sign = integer(), let start = double(), let end = double(),
        let peak = double(), let alerts = integer(), let evidence = withSeverity ? double() : 0,
        let criticalAt = withSeverity ? double() : 0, evidence.isFinite, evidence >= 0, criticalAt.isFinite
      else { return false }
      track.incident = SeriesTrack.OpenIncident(
        id: Int64(bitPattern: id), sign: sign, start: start, end: end, peak: peak, alerts: alerts,
        evidence: evidence, criticalAt: criticalAt)
      return true
    }

    /// The daily profile: its hours (when `withHours`), then its noise; nil
    /// when a word is missing or a number out of range.
    mutating func daily(withHours: Bool) -> DailyProfile? {
      var means = InlineArray<48, Float>(repeating: 0)
      var counts = InlineArray<48, UInt8>(repeating: 0)
      if withHours {
        for k in stride(from: 0, to: DailyProfile.bins, by: 2) {
          guard let (low, high) = floats(), low.isFinite, high.isFinite else { return nil }
          means[k] = low
          means[k + 1] = high
        }
        for first in stride(from: 0, to: DailyProfile.bins, by: 8) {
          guard let word = word() else { return nil }
          for k in 0..<8 {
            let count = UInt8(truncatingIfNeeded: word >> (8 * k))
            guard count <= DailyProfile.memory else { return nil }
            counts[first + k] = count
          }
        }
      }
      guard let variance = double(), let samples = double(), variance.isFinite, variance >= 0,
        samples.isFinite, samples >= 0
      else { return nil }
      return DailyProfile(
        means: means, counts: counts, noise: DailyNoise(variance: variance, samples: samples))
    }

    /// The noise model's numbers; nil when one is missing or not finite.
    mutating func noise() -> NoiseModel? {
      var values: [Double] = []
      for _ in 0..<NoiseModel.wordCount {
        guard let value = double(), value.isFinite else { return nil }
        values.append(value)
      }
      return NoiseModel(words: values)
    }

    /// The recent level's own numbers, without its tails and clipped run.
    mutating func recent() -> RecentLevel? {
      guard let mean = double(), let variance = double(), let samples = double(), let runSign = double(),
        let runLength = integer(), let runSum = double()
      else { return nil }
      return RecentLevel(
        mean: mean, variance: variance, samples: samples, tail: SidedTail(), runSign: runSign,
        runLength: runLength, runSum: runSum)
    }

    /// Version 5's tails: a flag, then (if 1) the tails with their counts
    /// two to a word.
    mutating func tails() -> SidedTail? {
      guard let learned = integer(), learned == 0 || learned == 1 else { return nil }
      guard learned == 1 else { return SidedTail() }
      func tail() -> ScoreTail? {
        guard let increment = double(), let total = double(), let since = integer(), let factor = double()
        else { return nil }
        var counts = InlineArray<24, Float>(repeating: 0)
        for k in stride(from: 0, to: ScoreTail.bins, by: 2) {
          guard let (low, high) = floats() else { return nil }
          counts[k] = low
          counts[k + 1] = high
        }
        return ScoreTail(
          counts: counts, increment: increment, total: total, sinceRefresh: since, factor: factor)
      }
      guard let above = tail(), let below = tail(), let shared = double(), let since = integer(),
        let increment = double()
      else { return nil }
      var startsAbove = InlineArray<15, Float>(repeating: 0)
      var startsBelow = InlineArray<15, Float>(repeating: 0)
      for k in stride(from: 0, to: 2 * RunStarts.bins, by: 2) {
        guard let (low, high) = floats() else { return nil }
        for (j, value) in [(k, low), (k + 1, high)] {
          if j < RunStarts.bins { startsAbove[j] = value } else { startsBelow[j - RunStarts.bins] = value }
        }
      }
      return SidedTail(
        above: above, below: below, sharedFactor: shared, sinceShared: since,
        starts: RunStarts(above: startsAbove, below: startsBelow, increment: increment))
    }

    /// Versions 1–4's tails: counts as doubles; version 1 kept one tail
    /// for both sides.
    mutating func legacyTails(version: UInt64) -> SidedTail? {
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
      guard let above = tail() else { return nil }
      if version == 1 {
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

    /// The clipped run: sign, length, count, then the samples held
    /// (version 5) or always two of them (version 4).
    mutating func clipped(samplesAlways: Bool) -> ClippedRun? {
      guard let sign = integer(), (-1...1).contains(sign), let length = integer(), length >= 0,
        let count = integer(), (0...ClippedRun.capacity).contains(count)
      else { return nil }
      var samples = [
        ClippedRun.Sample(x: 0, learned: 0, value: 0), ClippedRun.Sample(x: 0, learned: 0, value: 0),
      ]
      for k in 0..<(samplesAlways ? ClippedRun.capacity : count) {
        guard let x = double(), let learned = double(), let value = double() else { return nil }
        samples[k] = ClippedRun.Sample(x: x, learned: learned, value: value)
      }
      return ClippedRun(sign: sign, length: length, count: count, first: samples[0], second: samples[1])
    }
  }

  /// `read`, with a track that cannot be read reported as
  /// `StoreError.damagedTrack`: the series named, and what to do.
  static func read(
    _ statement: SQLiteStatement, column: Int32, path: String, series name: String, id: Int64
  ) throws -> SeriesTrack {
    do {
      return try read(statement, column: column)
    } catch {
      throw StoreError.damagedTrack(path: path, series: name, id: id)
    }
  }

  /// The track of a `series.track` column: NULL, a version-1 or -3 to -11
  /// BLOB, or the JSON text of earlier versions.
  static func read(_ statement: SQLiteStatement, column: Int32) throws -> SeriesTrack {
    if statement.isNull(column) { return SeriesTrack() }
    if statement.isBlob(column) {
      guard let track = statement.withBlob(column, { decode(blob: $0) }) else {
        throw SQLiteError(
          code: 11, message: "series.track: not a version-1 or -3 to -\(version) track")
      }
      return track
    }
    let text = statement.text(column) ?? ""
    return try JSONDecoder().decode(SeriesTrack.self, from: Data(text.utf8))
  }
}
