/// The raw samples a batch adds to the history, until it writes them: one
/// flat array in arrival order, sorted into `samples` rows (HistoryRow)
/// only when written. Appending a sample allocates nothing.
struct HistoryBuffer {
  private struct Sample {
    var row: Int32
    var place: Int32
    var time: Double
    var value: Double
  }

  private var samples: [Sample] = []
  /// The `samples` key of each row the buffer holds samples for.
  private var rowKeys: [Int64] = []
  private var rowNumbers: [Int64: Int32] = [:]
  /// Reused by `forEachRow`.
  private var pairs: [Double] = []
  private var starts: [Int] = []

  var count: Int { samples.count }

  /// The buffer's number for the row of a series' hour.
  mutating func row(hour: Int64, series: Int64) -> Int32 {
    let key = RowLayout.key(time: hour, series: series)
    if let number = rowNumbers[key] { return number }
    rowKeys.append(key)
    rowNumbers[key] = Int32(rowKeys.count - 1)
    return Int32(rowKeys.count - 1)
  }

  @inline(__always)
  mutating func append(row: Int32, series: Int64, time: Double, value: Double) {
    samples.append(
      Sample(row: row, place: Int32(series % Int64(HistoryRow.places)), time: time, value: value))
  }

  /// Calls `body` for each row in key order with its new pairs, flat
  /// (time, value), and where each place's start (`HistoryRow.merge`'s
  /// arguments). A series' samples keep their order: the order they came.
  mutating func forEachRow(
    _ body: (_ key: Int64, _ pairs: UnsafeBufferPointer<Double>, _ starts: ArraySlice<Int>) throws -> Void
  ) rethrows {
    let places = HistoryRow.places
    // A counting sort by (row, place): stable, and linear in the samples.
    starts.removeAll(keepingCapacity: true)
    starts.append(contentsOf: repeatElement(0, count: rowKeys.count * places + 1))
    for sample in samples { starts[Int(sample.row) * places + Int(sample.place) + 1] += 1 }
    for i in starts.indices.dropFirst() { starts[i] += starts[i - 1] }
    var next = starts
    pairs.removeAll(keepingCapacity: true)
    pairs.append(contentsOf: repeatElement(0, count: 2 * samples.count))
    for sample in samples {
      let at = Int(sample.row) * places + Int(sample.place)
      pairs[2 * next[at]] = sample.time
      pairs[2 * next[at] + 1] = sample.value
      next[at] += 1
    }
    let order = rowKeys.indices.sorted { rowKeys[$0] < rowKeys[$1] }
    try pairs.withUnsafeBufferPointer { flat in
      for row in order {
        try body(rowKeys[row], flat, starts[row * places...row * places + places])
      }
    }
  }

  mutating func removeAll() {
    samples.removeAll(keepingCapacity: true)
    rowKeys.removeAll(keepingCapacity: true)
    rowNumbers.removeAll(keepingCapacity: true)
  }
}
