import Foundation
import Testing

@testable import OutlierdCore

/// `series.track`'s binary form (TrackCoding): checked word by word against
/// the layout docs/schema.md states, and against version 4 written here
/// by hand from its own layout, so that neither side is checked against
/// itself.
@Suite("Track coding")
struct TrackCodingTests {
  let t0 = 1_767_571_200.0  // Monday 2026-01-05 00:00Z

  /// A track with everything set: a run, a suspected shift, an incident,
  /// both tails learned and a clipped streak holding `clipped` samples.
  func fullTrack(clipped: Int = 1) -> SeriesTrack {
    var random = SplitMix64(seed: 77)
    var track = SeriesTrack()
    track.runSign = -1
    track.runLength = 4
    track.runValueSum = 12.5
    track.runExpectedSum = -3.25
    track.runCrossesZero = true
    track.runStart = t0
    track.shiftRatio = 1.75
    track.shiftConfirmAt = t0 + 10_800
    track.revertRun = 2
    track.stale = true
    track.incident = .init(
      id: 42, sign: -1, start: t0, end: t0 + 600, peak: -7.5, alerts: 3, evidence: 61.25, criticalAt: t0 + 300
    )
    for k in 0..<700 {
      track.tail.add(
        uSquared: random.nextUnit() * 3, above: k % 3 != 0, startsRun: k % 40 == 0, threshold: 3.5)
      track.recent.learn(50 + random.nextGaussian(), limit: 3.5)
      track.recent.tail.add(
        uSquared: random.nextUnit() * 40, above: k % 2 == 0, startsRun: k % 30 == 0, threshold: 3.5)
    }
    for k in 0..<400 {
      let y = k % 3 == 0 ? 0 : exp(random.nextGaussian())
      track.noise.learn(y, expected: k < 100 ? nil : 1.2)
      if k >= 100 { track.daily.noise.learn(random.nextGaussian()) }
      track.daily.learn(50 + Double(k % 7), bin: k % 48)
      track.flat.learn(k % 50 == 0 ? 8.5 : Double(k))
    }
    for _ in 0..<3 { track.flat.learn(8.5) }
    track.varianceIncident = .init(
      id: 43, sign: -1, start: t0 + 600, end: t0 + 900, peak: -5, alerts: 2, evidence: 40,
      criticalAt: t0 + 900)
    track.recent.clipped.sign = -1
    track.recent.clipped.length = 2
    for k in 0..<clipped {
      track.recent.clipped.append(
        ClippedRun.Sample(x: t0 + 300 * Double(k + 1), learned: 52.25, value: 61.5 + Double(k)))
    }
    return track
  }

  func words(_ bytes: [UInt8]) -> [UInt64] {
    bytes.withUnsafeBytes { raw in
      (0..<raw.count / 8).map {
        UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))
      }
    }
  }

  /// Version 10's BLOB expanded back into the track's words (its version
  /// word 10 first), by the layout docs/schema.md states: n, the presence
  /// words, the nonzero words. Not TrackCoding's reader.
  func logical(_ bytes: [UInt8]) -> [UInt64] {
    let w = words(bytes)
    #expect(w[0] == 11)
    let n = Int(w[1])
    let presence = (n + 63) / 64
    var stored = w[(2 + presence)...].makeIterator()
    var out: [UInt64] = [11]
    for j in 0..<n { out.append(w[2 + j / 64] & (1 << UInt64(j % 64)) != 0 ? stored.next() ?? 0 : 0) }
    #expect(stored.next() == nil, "a stored word no presence bit names")
    return out
  }

  func decode(_ bytes: [UInt8]) -> SeriesTrack? { bytes.withUnsafeBytes { TrackCoding.decode(blob: $0) } }

  func decode(words: [UInt64]) -> SeriesTrack? {
    decode(words.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) })
  }

  /// The track's words as they are (never stored so: version 7 leaves out
  /// the zeros), read by the reader of the expanded form.
  func decode(trackWords words: [UInt64]) -> SeriesTrack? {
    words.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }.withUnsafeBytes {
      TrackCoding.decodeWords($0, version: TrackCoding.wordsVersion)
    }
  }

  /// The track's words without the flat watch and the variance incident,
  /// as version 10 had them.
  func version10(_ w: [UInt64], _ track: SeriesTrack) -> [UInt64] {
    var old = Array(w.dropLast(4 + (track.varianceIncident == nil ? 1 : 9)))
    old[0] = 10
    return old
  }

  /// Version 10's words without the daily profile's hours, as version 9
  /// had them.
  func version9(_ w: [UInt64]) -> [UInt64] {
    var old = Array(w.dropLast(32)) + Array(w.suffix(2))
    old[0] = 9
    return old
  }

  /// Without the daily profile, as version 8 had them.
  func version8(_ w: [UInt64]) -> [UInt64] {
    var old = Array(w.dropLast(32))
    old[0] = 8
    return old
  }

  /// Also without the noise model, as version 7 had them.
  func version7(_ w: [UInt64]) -> [UInt64] {
    var old = Array(version8(w).dropLast(NoiseModel.wordCount))
    old[0] = 7
    return old
  }

  /// The track's words without the noise model and the incident's evidence
  /// and criticalAt, as version 5 (and version 6, without its zeros) had
  /// them.
  func version5(_ w: [UInt64]) -> [UInt64] {
    var old = version7(w)
    old[0] = 5
    if old[12] == 1 { old.removeSubrange(19...20) }
    return old
  }

  /// The track as a version without severity and noise reads it: its
  /// incident a warning with no evidence, its noise model new.
  func withoutSeverity(_ track: SeriesTrack) -> SeriesTrack {
    var old = withoutNoise(track)
    old.incident?.evidence = 0
    old.incident?.criticalAt = 0
    return old
  }

  func withoutNoise(_ track: SeriesTrack) -> SeriesTrack {
    var old = withoutDaily(track)
    old.noise = NoiseModel()
    return old
  }

  func withoutFlat(_ track: SeriesTrack) -> SeriesTrack {
    var old = track
    old.flat = FlatWatch()
    old.varianceIncident = nil
    return old
  }

  func withoutDaily(_ track: SeriesTrack) -> SeriesTrack {
    var old = withoutFlat(track)
    old.daily = DailyProfile()
    return old
  }

  func withoutHours(_ track: SeriesTrack) -> SeriesTrack {
    var old = withoutFlat(track)
    old.daily = DailyProfile()
    old.daily.noise = track.daily.noise
    return old
  }

  /// Everything set survives word for word, at the places docs/schema.md
  /// gives: the incident's id is word 13 (FaultTests leaves it out), its
  /// evidence and criticalAt words 19 and 20, the tails 51 words each, one
  /// word per clipped sample's field, the noise model's 17 words, the
  /// daily profile's 32 last.
  @Test func aFullTrackRoundTripsAtTheDocumentedPlaces() {
    for clipped in 0...ClippedRun.capacity {
      let track = fullTrack(clipped: clipped)
      let bytes = TrackCoding.encode(track)
      #expect(decode(bytes) == track, "clipped \(clipped)")
      let w = logical(bytes)
      #expect(decode(trackWords: w) == track, "clipped \(clipped)")
      #expect(w.count == 12 + 9 + 51 + 6 + 51 + 3 + 3 * clipped + 17 + 32 + 4 + 9)
      #expect(w[0] == 11)
      // The flat watch's 4 words, then the variance incident, last.
      let tail = Array(w.suffix(13))
      #expect(
        Array(tail.prefix(4)) == [
          (8.5).bitPattern, (3.0).bitPattern, track.flat.repeats.bitPattern, (403.0).bitPattern,
        ])
      #expect(tail[4] == 1 && Int64(bitPattern: tail[5]) == 43 && Double(bitPattern: tail[12]) == t0 + 900)
      let w10 = version10(w, track)
      #expect(decode(words: withoutZeros(w10)) == withoutFlat(track), "clipped \(clipped)")
      #expect(Array(w10.dropLast(32).suffix(17)) == track.noise.words.map(\.bitPattern))
      let daily = Array(w10.suffix(32))
      #expect(Float(bitPattern: UInt32(truncatingIfNeeded: daily[1])) == track.daily.means[2])
      #expect(Float(bitPattern: UInt32(daily[1] >> 32)) == track.daily.means[3])
      #expect(UInt8(truncatingIfNeeded: daily[24 + 1] >> 8) == track.daily.counts[9])
      #expect(
        Array(daily.suffix(2)) == [
          track.daily.noise.variance.bitPattern, track.daily.noise.samples.bitPattern,
        ])
      #expect(track.daily.noise.samples == 300 && track.daily.counts[9] == 9)
      #expect(track.noise.samples == 400 && track.noise.zeroShare > 0.3)
      #expect(w[12] == 1 && Int64(bitPattern: w[13]) == 42)
      #expect(Double(bitPattern: w[19]) == 61.25 && Double(bitPattern: w[20]) == t0 + 300)
      #expect(w[21] == 1 && w[21 + 51 + 6] == 1)
      #expect(Double(bitPattern: w[21 + 51]) == track.recent.mean)
      // The first two counts of the tail above share a word, low half first.
      #expect(Float(bitPattern: UInt32(truncatingIfNeeded: w[21 + 5])) == track.tail.above.counts[0])
      #expect(Float(bitPattern: UInt32(w[21 + 5] >> 32)) == track.tail.above.counts[1])
      #expect(w.count <= TrackCoding.maximumWords)
      // Version 7's BLOB (without the noise model), version 5's words read
      // as they are (a database of two releases ago), and version 6's BLOB
      // of them: the incident a warning.
      #expect(decode(words: withoutZeros(version9(w10))) == withoutHours(track), "clipped \(clipped)")
      #expect(decode(words: withoutZeros(version8(w10))) == withoutDaily(track), "clipped \(clipped)")
      #expect(decode(words: withoutZeros(version7(w10))) == withoutNoise(track), "clipped \(clipped)")
      let old = version5(w10)
      #expect(decode(words: old) == withoutSeverity(track), "clipped \(clipped)")
      #expect(decode(words: withoutZeros(old, as: 6)) == withoutSeverity(track), "clipped \(clipped)")
    }
  }

  /// The BLOB of words without their zeros, by the layout docs/schema.md
  /// states (versions 6, 7 and 8 alike), under the version `as` or the
  /// words' own.
  func withoutZeros(_ w: [UInt64], as version: UInt64? = nil) -> [UInt64] {
    let all = Array(w.dropFirst())
    var out: [UInt64] = [version ?? w[0], UInt64(all.count)]
    for first in stride(from: 0, to: all.count, by: 64) {
      var bits: UInt64 = 0
      for j in first..<min(first + 64, all.count) where all[j] != 0 { bits |= 1 << UInt64(j - first) }
      out.append(bits)
    }
    return out + all.filter { $0 != 0 }
  }

  /// A new series' track, judged only by its recent level, leaves out the
  /// weekly tails it has never used: 74 words, not 124.
  @Test func aNewSeriesLeavesOutTheTailsItHasNotUsed() {
    var track = SeriesTrack()
    for k in 0..<300 {
      track.recent.learn(100 + Double(k % 7), limit: 3.5)
      track.recent.tail.add(uSquared: Double(k % 5) / 10, above: k % 2 == 0, startsRun: false, threshold: 3.5)
    }
    let bytes = TrackCoding.encode(track)
    let w = logical(bytes)
    #expect(w.count == 12 + 1 + 1 + 6 + 51 + 3 + 17 + 32 + 4 + 1)
    #expect(w[12] == 0 && w[13] == 0 && w[20] == 1)
    #expect(decode(bytes) == track)
    // Stored without its zeros: the run, shift and incident it has not
    // had, its empty upper bins and run starts, its clipped run. Half the
    // words or fewer.
    let nonzero = w.dropFirst().filter { $0 != 0 }.count
    #expect(words(bytes).count == 2 + 2 + nonzero)
    #expect(words(bytes).count * 2 <= w.count, "\(words(bytes).count) of \(w.count) words stored")
    // Tails that learned nothing are left out only if really new: a tail
    // with nothing but a factor is kept.
    var shared = SeriesTrack()
    shared.tail = SidedTail(
      above: ScoreTail(), below: ScoreTail(), sharedFactor: 1.5, sinceShared: 0, starts: RunStarts())
    #expect(decode(TrackCoding.encode(shared)) == shared)
    #expect(logical(TrackCoding.encode(shared)).count == 12 + 1 + 51 + 6 + 1 + 3 + 17 + 32 + 4 + 1)
  }

  /// Version 7 stores exactly the track's nonzero words, in order, each
  /// named by its presence bit, and none of the zeros.
  @Test func onlyTheNonzeroWordsAreStored() {
    for track in [
      fullTrack(clipped: 2), SeriesTrack(),
      {
        var t = SeriesTrack(); t.stale = true; return t
      }(),
    ] {
      let bytes = TrackCoding.encode(track)
      let stored = words(bytes)
      let w = logical(bytes)
      #expect(Int(stored[1]) == w.count - 1)
      let presence = (w.count - 1 + 63) / 64
      #expect(Array(stored[(2 + presence)...]) == w.dropFirst().filter { $0 != 0 })
      #expect(decode(bytes) == track)
    }
  }

  /// A cut, lengthened or foreign blob is refused, not misread.
  @Test func aDamagedTrackIsRefused() {
    let bytes = TrackCoding.encode(fullTrack())
    #expect(decode(Array(bytes.dropLast(8))) == nil)
    #expect(decode(bytes + [UInt8](repeating: 0, count: 8)) == nil)
    #expect(decode(Array(bytes.dropLast(1))) == nil)
    #expect(decode([UInt8](repeating: 7, count: bytes.count)) == nil)
    var badFlag = logical(bytes)
    #expect(decode(trackWords: badFlag) != nil)
    badFlag[21] = 2
    #expect(decode(trackWords: badFlag) == nil)
    var badEvidence = logical(bytes)
    badEvidence[19] = Double.nan.bitPattern
    #expect(decode(trackWords: badEvidence) == nil)
    var badNoise = logical(bytes)
    badNoise[badNoise.count - 33 - 13] = Double.infinity.bitPattern
    #expect(decode(trackWords: badNoise) == nil)
    var badDaily = logical(bytes)
    badDaily[badDaily.count - 2 - 13] = (-1.0).bitPattern
    #expect(decode(trackWords: badDaily) == nil)
    var badCount = logical(bytes)
    badCount[badCount.count - 3 - 13] = 200 << 56
    var badFlat = logical(bytes)
    badFlat[badFlat.count - 13 + 2] = 2.0.bitPattern  // repeats beyond 1
    #expect(decode(trackWords: badFlat) == nil)
    #expect(decode(trackWords: badCount) == nil)
    var version2 = version5(version10(logical(bytes), fullTrack()))
    #expect(decode(words: version2) != nil)
    version2[0] = 2
    #expect(decode(words: version2) == nil)
    // Version 6's own damage: a stored zero, a presence bit past the n
    // words, one cleared (a word too many), n past the most words.
    let w = words(bytes)
    let n = Int(w[1])
    let presence = (n + 63) / 64
    var storedZero = w
    storedZero[2 + presence] = 0
    #expect(decode(words: storedZero) == nil)
    var pastTheEnd = w
    pastTheEnd[1 + presence] |= 1 << 63
    #expect(n % 64 != 0 && decode(words: pastTheEnd) == nil)
    var cleared = w
    let firstPresent = UInt64(cleared[2].trailingZeroBitCount)
    cleared[2] &= ~(1 << firstPresent)
    #expect(decode(words: cleared) == nil)
    var tooLong = w
    tooLong[1] = UInt64(TrackCoding.maximumWords)
    #expect(decode(words: tooLong) == nil)
    #expect(decode(words: [11]) == nil)
    #expect(decode(words: [11, 0]) == nil)
    #expect(decode(words: [10]) == nil)
    #expect(decode(words: [9]) == nil)
    #expect(decode(words: [8]) == nil)
    #expect(decode(words: [7]) == nil)
    #expect(decode(words: [6]) == nil)
  }

  /// A database written by version 4 (the release before) keeps its
  /// tracks: its layout, written here from docs/schema.md's description
  /// of it, reads back as the same track.
  @Test func version4TracksAreStillRead() {
    let track = fullTrack(clipped: 1)
    var w: [UInt64] = []
    func double(_ value: Double) { w.append(value.bitPattern) }
    func integer(_ value: Int) { w.append(UInt64(bitPattern: Int64(value))) }
    func tails(_ sided: SidedTail) {
      for side in [sided.above, sided.below] {
        for k in 0..<24 { double(Double(side.counts[k])) }
        double(side.increment)
        double(side.total)
        integer(side.sinceRefresh)
        double(side.factor)
      }
      double(sided.sharedFactor)
      integer(sided.sinceShared)
      double(sided.starts.increment)
      for k in 0..<15 { double(Double(sided.starts.above[k])) }
      for k in 0..<15 { double(Double(sided.starts.below[k])) }
    }
    integer(4)
    for value in [track.runSign, track.runLength] { integer(value) }
    double(track.runValueSum)
    double(track.runExpectedSum)
    integer(1)
    double(track.runStart)
    double(track.shiftRatio)
    double(track.shiftConfirmAt)
    integer(track.revertRun)
    integer(1)
    integer(0)
    tails(track.tail)
    for value in [track.recent.mean, track.recent.variance, track.recent.samples, track.recent.runSign] {
      double(value)
    }
    integer(track.recent.runLength)
    double(track.recent.runSum)
    tails(track.recent.tail)
    integer(track.recent.clipped.sign)
    integer(track.recent.clipped.length)
    integer(1)
    for sample in [track.recent.clipped.samples[0], ClippedRun.Sample(x: 0, learned: 0, value: 0)] {
      double(sample.x)
      double(sample.learned)
      double(sample.value)
    }
    integer(1)
    let incident = track.incident!
    w.append(UInt64(bitPattern: incident.id))
    integer(incident.sign)
    double(incident.start)
    double(incident.end)
    double(incident.peak)
    integer(incident.alerts)
    #expect(w.count == 212)
    #expect(decode(words: w) == withoutSeverity(track))
    #expect(decode(words: Array(w.dropLast())) == nil)
  }
}
