/// The `slot_blocks` table: each series' slot statistics, in blocks of
/// `SlotBlock.size` slots. How blocks are packed into rows (`RowLayout`,
/// `SlotRow`) is the store's business: callers name a series and a block
/// number, and get or give slots.
extension Store {
  /// A block of a series' slots held in a flat array of slots: the
  /// `SlotBlock.size` slots from `start`.
  package struct HeldBlock: Sendable {
    package var series: Int64
    package var block: Int32
    package var start: Int

    package init(series: Int64, block: Int32, start: Int) {
      self.series = series
      self.block = block
      self.start = start
    }
  }

  /// Appends one block of a series' slots to `slots`, as the open
  /// transaction sees it: empty slots where nothing was learned.
  package func loadSlots(series: Int64, block: Int32, appendingTo slots: inout [SlotRegression])
    throws(SQLiteError)
  {
    let key = RowLayout.key(time: Int64(block), series: series)
    if !slotRows.contains(key) {
      // Held, found or not: the row's other series need not ask again.
      if try !readSlotRow(key: key, into: &slotRowBytes) { slotRowBytes = SlotRow.empty }
      slotRows.put(key, slotRowBytes)
    }
    slotRows.withRow(key) {
      SlotBlock.decode(SlotRow.place(RowLayout.place(of: series), in: $0), appendingTo: &slots)
    }
  }

  /// Writes blocks of slots into the open transaction, each over its row as
  /// the transaction sees it, row by row in key order (SQLite appends to
  /// its b-tree pages in order).
  package func saveSlots(_ blocks: [HeldBlock], from slots: [SlotRegression]) throws(SQLiteError) {
    let keyed = blocks.map { (key: RowLayout.key(time: Int64($0.block), series: $0.series), held: $0) }
      .sorted { $0.key < $1.key }
    var next = 0
    while next < keyed.count {
      let key = keyed[next].key
      if slotRows.withRow(key, { slotRowBytes.replaceSubrange(0..., with: $0) }) == nil {
        if try !readSlotRow(key: key, into: &slotRowBytes) { slotRowBytes = SlotRow.empty }
      }
      slotRowBytes.withUnsafeMutableBytes { raw in
        while next < keyed.count && keyed[next].key == key {
          let held = keyed[next].held
          SlotBlock.encode(
            slots, from: held.start, into: SlotRow.place(RowLayout.place(of: held.series), in: raw))
          next += 1
        }
      }
      try writeSlotRow(key: key, slotRowBytes)
      slotRows.put(key, slotRowBytes)
    }
  }

  /// Changes one slot of a series with `change` and writes it back. Inside
  /// a transaction.
  package func updateSlot(series: Int64, slot: Int, _ change: (inout SlotRegression) -> Void) throws {
    let block = Int32(slot / SlotBlock.size)
    var slots: [SlotRegression] = []
    try loadSlots(series: series, block: block, appendingTo: &slots)
    change(&slots[slot % SlotBlock.size])
    try saveSlots([HeldBlock(series: series, block: block, start: 0)], from: slots)
  }

  /// Empties every block of a series: its slots learned nothing. Inside a
  /// transaction.
  package func clearSlots(series: Int64) throws {
    let read = try db.prepare("SELECT key, data FROM slot_blocks WHERE (key & 4294967295) = ?")
      .bind(.integer(RowLayout.group(of: series)))
    var rows: [(Int64, [UInt8])] = []
    var row: [UInt8] = []
    while try read.step() {
      read.withBlob(1) { SlotRow.copy($0, into: &row) }
      rows.append((read.int64(0), row))
    }
    let place = RowLayout.place(of: series)
    for (key, var bytes) in rows {
      bytes.replaceSubrange(
        place * SlotRow.blockSize..<(place + 1) * SlotRow.blockSize,
        with: repeatElement(0, count: SlotRow.blockSize))
      try writeSlotRow(key: key, bytes)
    }
    slotRows.removeAll()
  }

  /// Copies a `slot_blocks` row into `row` (SlotRow.size bytes, zeros where
  /// the stored one is shorter); false, leaving `row` alone, when there is
  /// none. A row known not to exist (see `KnownRows`) costs no query.
  func readSlotRow(key: Int64, into row: inout [UInt8]) throws(SQLiteError) -> Bool {
    guard knownRows.mayExist(key) else { return false }
    return try Self.readSlotRow(selectBlock, key: key, into: &row)
  }

  func writeSlotRow(key: Int64, _ row: [UInt8]) throws(SQLiteError) {
    try upsertBlock.run(key, blob: row)
    knownRows.written(key)
  }

  /// The one read of a `slot_blocks` row, for the writer and the readers:
  /// through `statement` (`selectSlotRow`), copied into `row`
  /// (`SlotRow.size` bytes); false, leaving `row` alone, when there is none.
  static func readSlotRow(_ statement: SQLiteStatement, key: Int64, into row: inout [UInt8])
    throws(SQLiteError)
    -> Bool
  {
    let s = statement.bind(.integer(key))
    guard try s.step() else { return false }
    s.withBlob(0) { SlotRow.copy($0, into: &row) }
    _ = try s.step()
    return true
  }

  /// The query `readSlotRow(_:key:into:)` runs; readers prepare it once.
  package static let selectSlotRow = "SELECT data FROM slot_blocks WHERE key = ?"

  /// For readers: one block of a series' slots, read through `statement`
  /// (prepared from `selectSlotRow`); nil when nothing of it was ever
  /// written.
  package static func storedBlock(_ statement: SQLiteStatement, series: Int64, block: Int) throws(SQLiteError)
    -> SlotBlock?
  {
    var row: [UInt8] = []
    guard try readSlotRow(statement, key: RowLayout.key(time: Int64(block), series: series), into: &row)
    else {
      return nil
    }
    return row.withUnsafeBytes { SlotRow.block(in: $0, place: RowLayout.place(of: series)) }
  }

  /// For readers: calls `body` with every stored block of every series
  /// (its series id and slots; blocks of ids that hold no series are
  /// empty), in no particular order.
  package static func forEachStoredBlock(
    _ db: SQLiteDatabase, _ body: (_ series: Int64, _ block: SlotBlock) throws -> Void
  ) throws {
    let rows = try db.prepare("SELECT first_series_id, data FROM slot_blocks")
    var row: [UInt8] = []
    while try rows.step() {
      rows.withBlob(1) { SlotRow.copy($0, into: &row) }
      for place in 0..<RowLayout.seriesPerRow {
        try body(rows.int64(0) + Int64(place), row.withUnsafeBytes { SlotRow.block(in: $0, place: place) })
      }
    }
  }
}
