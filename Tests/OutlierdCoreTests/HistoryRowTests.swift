import Testing

@testable import OutlierdCore

@Suite("History rows")
struct HistoryRowTests {
  /// Writes a buffer's rows over `rows` the way the store does.
  func write(_ buffer: inout HistoryBuffer, over rows: inout [Int64: [UInt8]]) {
    buffer.forEachRow { key, pairs, starts in
      var out: [UInt8] = []
      if let old = rows[key] {
        old.withUnsafeBytes { HistoryRow.merge($0, newPairs: pairs, starts: starts, into: &out) }
      } else {
        HistoryRow.merge(nil, newPairs: pairs, starts: starts, into: &out)
      }
      rows[key] = out
    }
    buffer.removeAll()
  }

  /// The same samples give the same bytes whether they were written in one
  /// batch or split over two at any point, and each series reads back its
  /// own samples in order.
  @Test func rowsAreTheSameHoweverTheSamplesAreSplit() {
    var rng = SplitMix64(seed: 11)
    // 25 series over three rows of ten, two hours, interleaved as files bring them.
    var samples: [(series: Int64, time: Double, value: Double)] = []
    for step in 0..<24 {
      for series in Int64(1)...25 where rng.next() % 4 != 0 {
        samples.append(
          (series, 1_767_571_200 + Double(step * 300) + Double(series), Double(rng.next() % 1000) / 8))
      }
    }
    func rows(splitAt split: Int) -> [Int64: [UInt8]] {
      var rows: [Int64: [UInt8]] = [:]
      var buffer = HistoryBuffer()
      for (i, sample) in samples.enumerated() {
        if i == split { write(&buffer, over: &rows) }
        let hour = Int64((sample.time / 3600).rounded(.down))
        buffer.append(
          row: buffer.row(hour: hour, series: sample.series), series: sample.series, time: sample.time,
          value: sample.value)
      }
      write(&buffer, over: &rows)
      return rows
    }
    let whole = rows(splitAt: -1)
    #expect(whole.count == 3 * 2)
    for split in [1, samples.count / 3, samples.count / 2, samples.count - 1] {
      #expect(rows(splitAt: split) == whole, "split at \(split)")
    }
    for series in Int64(1)...25 {
      var stored: [(time: Double, value: Double)] = []
      for key in whole.keys.sorted() where key & 0xFFFF_FFFF == series / 10 {
        stored += whole[key]!.withUnsafeBytes { HistoryRow.pairs(in: $0, place: Int(series % 10)) }
      }
      let wanted = samples.filter { $0.series == series }
      #expect(stored.map(\.time) == wanted.map(\.time) && stored.map(\.value) == wanted.map(\.value))
    }
  }

  /// A damaged row (counts larger than its bytes) reads as what it holds.
  @Test func aShortRowIsClamped() {
    var row: [UInt8] = []
    [1.0, 2.0].withUnsafeBufferPointer {
      HistoryRow.merge(nil, newPairs: $0, starts: [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1][...], into: &row)
    }
    #expect(row.withUnsafeBytes { HistoryRow.pairs(in: $0, place: 2) }.map(\.value) == [2])
    row.removeLast(4)
    #expect(row.withUnsafeBytes { HistoryRow.pairs(in: $0, place: 2) }.isEmpty)
    #expect(row.withUnsafeBytes { HistoryRow.counts(in: $0) } == Array(repeating: 0, count: 10))
  }
}
