/// The `slot_blocks` rows a batch has read or written, as its transaction
/// sees them: the other nine series of a row most likely come in the same
/// file, and need not read the row again. At most `capacity` rows of
/// `SlotRow.size` bytes; when full it starts over, which is always safe (a
/// row not held is read again from SQLite, which sees the transaction's
/// own writes).
struct SlotRowCache {
  let capacity: Int
  private var numbers: [Int64: Int] = [:]
  private var bytes: [UInt8] = []

  init(capacity: Int) {
    self.capacity = capacity
  }

  /// Whether the cache holds the row with this key.
  func contains(_ key: Int64) -> Bool { numbers[key] != nil }

  /// Calls `body` with the row's bytes, if the cache holds it.
  func withRow<R>(_ key: Int64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
    guard let number = numbers[key] else { return nil }
    return try bytes.withUnsafeBytes {
      try body(UnsafeRawBufferPointer(rebasing: $0[number * SlotRow.size..<(number + 1) * SlotRow.size]))
    }
  }

  /// Holds (or replaces) a row's bytes, `SlotRow.size` of them.
  mutating func put(_ key: Int64, _ row: [UInt8]) {
    precondition(row.count == SlotRow.size)
    let number: Int
    if let held = numbers[key] {
      number = held
    } else {
      if numbers.count == capacity { removeAll() }
      number = numbers.count
      numbers[key] = number
      if bytes.count < (number + 1) * SlotRow.size {
        bytes.append(contentsOf: repeatElement(0, count: SlotRow.size))
      }
    }
    bytes.replaceSubrange(number * SlotRow.size..<(number + 1) * SlotRow.size, with: row)
  }

  /// Forgets every row, keeping the storage.
  mutating func removeAll() { numbers.removeAll(keepingCapacity: true) }
}
