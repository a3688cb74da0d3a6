/// The `samples` table: each series' raw samples, kept `history_days` for
/// plots and `explain`. Rows hold an hour of a group of series
/// (`RowLayout`, `HistoryRow`); callers see series, times and values.
extension Store {
  /// Writes the samples a batch buffered into the open transaction, row by
  /// row in key order, and empties the buffer.
  func appendHistory(_ buffer: inout HistoryBuffer) throws {
    try buffer.forEachRow { key, pairs, starts in
      try appendHistory(key: key, pairs: pairs, starts: starts)
    }
    buffer.removeAll()
  }

  /// Appends to each place of a `samples` row its new (time, value) pairs:
  /// place p's are `pairs[2 * starts[p] ..< 2 * starts[p + 1]]`.
  func appendHistory(key: Int64, pairs: UnsafeBufferPointer<Double>, starts: ArraySlice<Int>) throws {
    let s = selectHistory.bind(.integer(key))
    if try s.step() {
      s.withBlob(0) { HistoryRow.merge($0, newPairs: pairs, starts: starts, into: &historyRow) }
      _ = try s.step()
    } else {
      HistoryRow.merge(nil, newPairs: pairs, starts: starts, into: &historyRow)
    }
    try upsertHistory.run(key, blob: historyRow)
  }

  /// Drops every series' history before an hour.
  package func pruneHistory(before hour: Int64) throws(SQLiteError) {
    try pruneSamples.bind(.integer(RowLayout.key(time: hour, series: 0))).run()
  }

  /// A series' stored samples between two times, oldest first.
  package static func history(
    _ db: SQLiteDatabase, series: Int64, from: Double, to: Double
  ) throws(SQLiteError) -> [(time: Double, value: Double)] {
    // One lookup per stored hour in the range: the key leads with the hour.
    let place = RowLayout.place(of: series)
    let bounds = try db.prepare("SELECT min(key) >> 32, max(key) >> 32 FROM samples")
    guard try bounds.step(), !bounds.isNull(0) else { return [] }
    func hour(_ t: Double) -> Int64 { Int64(min(max((t / 3600).rounded(.down), -1e15), 1e15)) }
    let first = max(hour(from), bounds.int64(0))
    let last = min(hour(to), bounds.int64(1))
    _ = try bounds.step()
    guard first <= last else { return [] }
    let statement = try db.prepare("SELECT data FROM samples WHERE key = ?")
    var result: [(Double, Double)] = []
    for hour in first...last {
      guard try statement.bind(.integer(RowLayout.key(time: hour, series: series))).step() else { continue }
      let pairs = statement.withBlob(0) { HistoryRow.pairs(in: $0, place: place) }
      result.append(contentsOf: pairs.filter { $0.time >= from && $0.time <= to })
    }
    return result
  }

}
