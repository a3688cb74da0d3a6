import Foundation
import Testing

@testable import OutlierdCore

/// The ingestor's parts against plain models: a Dictionary for the series
/// index, a Dictionary of rows for the row cache, a Set for the known rows,
/// and SQLite itself for the store's writes.
@Suite("Pipeline parts")
struct PipelinePartsTests {
  @Test func seriesIndexAgreesWithADictionary() {
    var rng = SplitMix64(seed: 41)
    var index = SeriesIndex()
    var model: [String: SeriesNumber] = [:]
    var names: [String] = []
    let alphabet: [Character] = ["a", "b", ".", "c"]
    for step in 0..<20_000 {
      // Short names from a small alphabet collide often, in hash and in prefix.
      let name = String((0..<Int(rng.next() % 6 + 1)).map { _ in alphabet[Int(rng.next() % 4)] })
      var bytes = Array(name.utf8)
      let found = bytes.withUnsafeBytes { index.find($0) }
      #expect(found == model[name], "step \(step): \(name)")
      if found == nil {
        let number = bytes.withUnsafeMutableBytes { index.insert(UnsafeRawBufferPointer($0)) }
        #expect(number.index == names.count)
        model[name] = number
        names.append(name)
      }
      if step == 10_000 {
        // A rollback: the newest numbers are forgotten and reused.
        let keep = names.count / 2
        index.truncate(to: keep)
        for name in names[keep...] { model[name] = nil }
        names.removeSubrange(keep...)
      }
    }
    #expect(index.count == names.count)
    for (number, name) in names.enumerated() { #expect(index.name(SeriesNumber(Int32(number))) == name) }
  }

  @Test func slotRowCacheHoldsWhatWasPutUntilFull() {
    var cache = SlotRowCache(capacity: 4)
    var model: [Int64: [UInt8]] = [:]
    var rng = SplitMix64(seed: 43)
    for step in 0..<500 {
      let key = Int64(rng.next() % 7)
      if rng.next() % 2 == 0 {
        var row = SlotRow.empty
        row[Int(rng.next() % UInt64(row.count))] = UInt8(step % 255 + 1)
        if model[key] == nil && model.count == 4 { model.removeAll() }  // full: starts over
        cache.put(key, row)
        model[key] = row
      }
      #expect(cache.contains(key) == (model[key] != nil))
      #expect(cache.withRow(key) { Array($0) } == model[key], "step \(step)")
    }
  }

  @Test func knownRowsAreExactForNewGroupsAndUndoneByRollback() {
    // Series ids up to 25 existed: groups 0–2 are old (rows may exist), 3 on new.
    var known = KnownRows(largestSeriesID: 25, blockCount: 168)
    #expect(known.firstNewGroup == 3)
    for group: Int64 in 0..<3 { #expect(known.mayExist(RowLayout.key(time: 5, series: group * 10))) }
    let a = RowLayout.key(time: 5, series: 31)
    let b = RowLayout.key(time: 167, series: 95)
    #expect(!known.mayExist(a) && !known.mayExist(b))
    known.written(a)
    known.commit()
    known.written(b)
    #expect(known.mayExist(a) && known.mayExist(b))
    #expect(!known.mayExist(RowLayout.key(time: 6, series: 31)))
    known.rollback()
    #expect(known.mayExist(a) && !known.mayExist(b))
    // A calendar of more blocks than the set holds: every row may exist.
    let wide = KnownRows(largestSeriesID: 0, blockCount: 257)
    #expect(wide.mayExist(RowLayout.key(time: 1, series: 1)))
  }

  @Test func storeWritesRowsHistoryAndForgetsThemOnRollback() throws {
    let path = NSTemporaryDirectory() + "outlierd-parts-" + UUID().uuidString.prefix(8) + ".db"
    defer {
      for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
    let store = try Store(path: path, calendar: try SlotCalendar())
    var slots = Array(repeating: SlotRegression(), count: 2 * SlotBlock.size)
    slots[SlotBlock.size + 5].add(x: 1_767_571_200, y: 7)
    // Series 12 and 13 share a row: both blocks are written, each at its place.
    let held = [
      Store.HeldBlock(series: 12, block: 3, start: SlotBlock.size),
      Store.HeldBlock(series: 13, block: 3, start: 0),
    ]
    func stored(_ series: Int64) throws -> [SlotRegression] {
      var read: [SlotRegression] = []
      try store.loadSlots(series: series, block: 3, appendingTo: &read)
      return read
    }
    #expect(throws: Abandoned.self) {
      try store.transaction {
        try store.saveSlots(held, from: slots)
        #expect(try stored(12) == Array(slots[SlotBlock.size...]))
        throw Abandoned()
      }
    }
    #expect(try stored(12) == Array(repeating: SlotRegression(), count: SlotBlock.size))

    try store.transaction {
      try store.saveSlots(held, from: slots)
      // Two appends to one history row: place 2 (series 12) then more of it.
      for pairs: [(Double, Double)] in [[(1_767_571_200, 1), (1_767_571_500, 2)], [(1_767_571_800, 3)]] {
        var buffer = HistoryBuffer()
        for (time, value) in pairs {
          buffer.append(row: buffer.row(hour: 490_992, series: 12), series: 12, time: time, value: value)
        }
        try store.appendHistory(&buffer)
        #expect(buffer.count == 0)
      }
    }
    #expect(try stored(12) == Array(slots[SlotBlock.size...]))
    #expect(try stored(13) == Array(slots[..<SlotBlock.size]))
    #expect(try stored(14) == Array(repeating: SlotRegression(), count: SlotBlock.size))
    let stored = try Store.history(
      try SQLiteDatabase(path: path, readOnly: true), series: 12, from: 0, to: 2e9)
    #expect(stored.map(\.time) == [1_767_571_200, 1_767_571_500, 1_767_571_800])
    #expect(stored.map(\.value) == [1, 2, 3])
    #expect(
      try Store.history(try SQLiteDatabase(path: path, readOnly: true), series: 13, from: 0, to: 2e9).isEmpty)
  }
}

extension PipelinePartsTests {
  /// A rolled-back batch leaves nothing behind: the tracks it changed in
  /// place are the committed ones again, and the series it added are
  /// forgotten, so replaying its file gives the same database as applying
  /// it once. Fails if the tracks are not restored (the replay then learns
  /// the file twice into the calibration and recent level).
  @Test func aRolledBackBatchLeavesTheTracksAsCommitted() throws {
    func lines(_ hours: Range<Int>, series: Int) -> Data {
      var text = ""
      for hour in hours {
        for step in 0..<12 {
          let t = 1_767_571_200 + hour * 3600 + step * 300
          for s in 0..<series { text += "roll.s\(s) \(100 + (t / 300 % 7) + s) \(t)\n" }
        }
      }
      return Data(text.utf8)
    }
    let first = lines(0..<24, series: 3), second = lines(24..<48, series: 5)
    func database(rollingBack: Bool) throws -> [[String]] {
      let path = NSTemporaryDirectory() + "outlierd-rollback-" + UUID().uuidString.prefix(8) + ".db"
      defer {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
      }
      var settings = Settings()
      settings.database = path
      let store = try Store(path: path, calendar: try settings.calendar())
      let ingestor = try Ingestor(settings: settings, store: store)
      func apply(_ data: Data, _ name: String) throws {
        try ingestor.apply(bytes: Array(data), name: name, sha256: name, now: 1_800_000_000)
      }
      try ingestor.withBatch { try apply(first, "first") }
      if rollingBack {
        #expect(throws: Abandoned.self) {
          try ingestor.withBatch {
            try apply(second, "second")
            throw Abandoned()
          }
        }
      }
      try ingestor.withBatch { try apply(second, "second") }
      let db = try SQLiteDatabase(path: path, readOnly: true)
      let rows = try db.prepare("SELECT id, name, newest_ts, samples, hex(track) FROM series ORDER BY id")
      var result: [[String]] = []
      while try rows.step() { result.append((0..<5).map { rows.text(Int32($0)) ?? "" }) }
      return result
    }
    let once = try database(rollingBack: false)
    #expect(once.count == 5)
    #expect(try database(rollingBack: true) == once)
  }
}

/// Thrown to abandon a transaction or a batch in a test.
struct Abandoned: Error {}
