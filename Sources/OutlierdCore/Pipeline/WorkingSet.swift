/// The slots, noise pools and new history one batch holds in memory, and
/// the committed blocks kept from one batch to the next.
///
/// Contract:
/// - `blockIndex` and `poolIndex` give a block's or a pool's place, loading
///   it on first use (from the cache of committed blocks, or from the
///   store, which sees the open transaction's own writes).
/// - The owner marks the blocks it changes (`blockChanged`); `write()` writes
///   exactly those, row by row in key order, and the new history.
/// - `spill()` writes and forgets everything mid-transaction, so a batch's
///   memory stays bounded (`limit`); places handed out before are void.
/// - `remember` runs after the commit only: the cache then holds committed
///   state, and a rolled-back batch never reaches it.
struct WorkingSet {
  /// A block (or pool) of one series, by its store id.
  struct BlockKey: Hashable {
    var series: Int64
    var block: Int32
  }

  /// Blocks, pools and history arrays held before they are written into the
  /// (still open) transaction and let go: a file with many series must not
  /// hold a block per series until its commit. About 5 MB of blocks and
  /// 6 MB of pools: the batch's share of memory, whatever the series count
  /// (docs/performance.md has the whole process's).
  static let limit = 6144
  /// New history samples held (24 bytes each): as many as the blocks have slots.
  static let historyLimit = limit * SlotBlock.size

  let store: Store
  /// The slots of the blocks held, flat: block i's at `i * SlotBlock.size`.
  /// One array of plain values, so a sample's slot is changed in place, with
  /// no block copied or reference counted.
  var slots: [SlotRegression] = []
  private(set) var blockKeys: [BlockKey] = []
  private var blockPlaces: [BlockKey: Int] = [:]
  /// Whether the batch changed a block: pools also load blocks they only
  /// read, and those are not written back.
  var blockChanged: [Bool] = []
  /// Noise pools (by series and pool number), built from their slots on
  /// first use and then kept up to date sample by sample.
  var pools: PoolSums
  private var poolPlaces: [BlockKey: Int] = [:]
  /// Reused for the members of each pool built.
  private var members: [NoisePool] = []
  /// New raw samples for the history.
  var history = HistoryBuffer()
  /// Once blocks went to SQLite mid-batch, the cache of committed blocks may
  /// be older than them and is not read again in this batch.
  private(set) var spilled = false
  /// Committed blocks kept between batches: the block of each series'
  /// newest slot and those its noise pool spans. Samples arrive in time
  /// order, so the next file most likely needs them. The store is written by
  /// this process alone, so the copies stay true. 8 k blocks of 0.8 KB: the
  /// cache pays off for files shorter than a block (an hour) and for the
  /// neighbours a pool spans; past it, series read their blocks back.
  private var committed = BlockCache(capacity: 8192)

  init(store: Store, poolSlots: Int) {
    self.store = store
    pools = PoolSums(poolSlots: poolSlots)
    // Sized once: growing them batch after batch showed as rehashing.
    blockPlaces.reserveCapacity(Self.limit)
    poolPlaces.reserveCapacity(Self.limit)
    // The arrays too, and to their bound: grown by doubling, each would
    // pass through twice its need, the old and the new buffer alive at once
    // (the heap profile's peak). Reserved pages cost no memory until used.
    slots.reserveCapacity(Self.limit * SlotBlock.size)
    pools.reserveCapacity(pools: Self.limit)
  }

  /// Whether the next sample must first `spill()`.
  var mustSpill: Bool { blockKeys.count >= Self.limit || history.count >= Self.historyLimit }

  /// Whether three quarters are used: another file would likely spill, so
  /// the batch should commit first. (At half, batches of hour files for
  /// 1,000 series held 4 files, at three quarters 5: 0.91× the time of the
  /// 10 M backfill.)
  var isMostlyFull: Bool {
    blockKeys.count >= Self.limit * 3 / 4 || history.count >= Self.historyLimit * 3 / 4
  }

  /// The place of a series' block among those held (its slots start at that
  /// times `SlotBlock.size` in `slots`), loaded on first use.
  /// - Parameter number: the series' number in the ingestor's index, which
  ///   keys the cache of committed blocks.
  mutating func blockIndex(series: Int64, number: SeriesNumber, block: Int32) throws -> Int {
    let key = BlockKey(series: series, block: block)
    if let index = blockPlaces[key] { return index }
    if !spilled, let start = committed.start(series: number, block: block) {
      slots.append(contentsOf: committed.storage[start..<start + SlotBlock.size])
    } else {
      try store.loadSlots(series: series, block: block, appendingTo: &slots)
    }
    blockKeys.append(key)
    blockChanged.append(false)
    blockPlaces[key] = blockKeys.count - 1
    return blockKeys.count - 1
  }

  /// The place in `pools` of a series' noise pool, built from its slots on
  /// first use. Pools are a function of the slots, not stored.
  mutating func poolIndex(
    series: Int64, number: SeriesNumber, pool: Int32, poolSlots: Int, slotCount: Int, trendAfter: Int
  )
    throws
    -> Int
  {
    let key = BlockKey(series: series, block: pool)
    if let index = poolPlaces[key] { return index }
    members.removeAll(keepingCapacity: true)
    var loaded: (block: Int, index: Int) = (-1, 0)
    for slot in NoisePool.slots(ofPool: Int(pool), poolSlots: poolSlots, slotCount: slotCount) {
      if slot / SlotBlock.size != loaded.block {
        loaded = (
          slot / SlotBlock.size,
          try blockIndex(series: series, number: number, block: Int32(slot / SlotBlock.size))
        )
      }
      members.append(
        NoisePool.contribution(
          of: slots[loaded.index * SlotBlock.size + slot % SlotBlock.size], trendAfter: Double(trendAfter)))
    }
    let index = pools.append(members: members)
    poolPlaces[key] = index
    return index
  }

  /// Writes the changed blocks and the new history into the open
  /// transaction and forgets everything held; later reads go through
  /// SQLite, which sees the transaction's own writes.
  mutating func spill() throws {
    try write()
    spilled = true
    forget()
  }

  /// Writes the changed blocks and the new history into the open
  /// transaction.
  mutating func write() throws {
    try store.saveSlots(
      blockKeys.indices.filter { blockChanged[$0] }.map {
        Store.HeldBlock(series: blockKeys[$0].series, block: blockKeys[$0].block, start: $0 * SlotBlock.size)
      }, from: slots)
    try store.appendHistory(&history)
  }

  /// Empties the set for the next batch, keeping its arrays' storage (the
  /// set is megabytes; growing it afresh for every batch showed as page
  /// faults) and the cache of committed blocks.
  mutating func reset(poolSlots: Int) {
    forget()
    spilled = false
    if pools.width != PoolSums(poolSlots: poolSlots).width { pools = PoolSums(poolSlots: poolSlots) }
  }

  private mutating func forget() {
    slots.removeAll(keepingCapacity: true)
    blockKeys.removeAll(keepingCapacity: true)
    blockPlaces.removeAll(keepingCapacity: true)
    blockChanged.removeAll(keepingCapacity: true)
    pools.removeAll()
    poolPlaces.removeAll(keepingCapacity: true)
    history.removeAll()
  }

  /// After the commit: keeps, for each series the batch touched, the
  /// committed blocks of its newest slot and of that slot's neighbours in
  /// its noise pool, where the next file will most likely start.
  mutating func remember(_ touched: [TouchedSeries], calendar: SlotCalendar, poolSlots: Int) {
    // Taken out once: the cache is changed while they are read.
    let places = blockPlaces, slots = self.slots, spilled = self.spilled
    for entry in touched where entry.newest.isFinite {
      let slot = calendar.slot(at: entry.newest)
      let newest = slot / SlotBlock.size
      var span = newest...newest
      if poolSlots > 1 {
        let members = NoisePool.slots(
          ofPool: slot / poolSlots, poolSlots: poolSlots, slotCount: calendar.slotCount)
        span =
          max(
            members.lowerBound / SlotBlock.size, newest - 1)...min(
            (members.upperBound - 1) / SlotBlock.size, newest + 1)
      }
      committed.replace(
        series: entry.number, with: [newest, newest - 1, newest + 1].filter(span.contains).map { Int32($0) },
        from: slots,
        source: { block in places[BlockKey(series: entry.id, block: block)].map { $0 * SlotBlock.size } },
        // Unchanged by the batch: a batch that did not spill holds every block it changed.
        keepCached: !spilled)
    }
  }

  /// Drops a series' committed blocks from the cache (its model was reset
  /// outside a batch).
  mutating func forgetCommitted(series number: SeriesNumber) { committed.forget(series: number) }
}
