/// Committed blocks of slots kept between batches, up to three per series
/// (its newest slot's block and the neighbours on either side that share its
/// noise pool), at most `capacity` in all.
///
/// The slots live in one preallocated array of `capacity` blocks and each
/// series holds only the places of its blocks there: 24 bytes per series,
/// however many series there are, and no allocation per cached block.
struct BlockCache {
  /// A cached block: its number and its place in `slots` (-1: none).
  struct Entry {
    var block: Int32 = 0
    var place: Int32 = -1
  }

  typealias Entries = (Entry, Entry, Entry)

  let capacity: Int
  /// The cached blocks by series number.
  private var bySeries: [Entries] = []
  /// `capacity` blocks of slots, `SlotBlock.size` each.
  private var slots: [SlotRegression] = []
  /// Places in `slots` that hold no block.
  private var free: [Int32] = []

  init(capacity: Int) {
    self.capacity = capacity
  }

  /// Blocks held now.
  var count: Int { slots.count / SlotBlock.size - free.count }

  /// Where in `storage` a cached block of a series starts, if it is cached.
  @inline(__always)
  func start(series number: SeriesNumber, block: Int32) -> Int? {
    guard number.index < bySeries.count else { return nil }
    let (a, b, c) = bySeries[number.index]
    let place =
      a.place >= 0 && a.block == block
      ? a.place : b.place >= 0 && b.block == block ? b.place : c.place >= 0 && c.block == block ? c.place : -1
    return place >= 0 ? Int(place) * SlotBlock.size : nil
  }

  /// The slots of every cached block, `SlotBlock.size` per place.
  var storage: [SlotRegression] { slots }

  /// Replaces a series' cached blocks by `wanted` (up to three block
  /// numbers), each taken from `source` when it returns a start in
  /// `sourceSlots`, or else kept from the cache when cached, or else
  /// dropped. When the cache is full, a series it did not hold yet stays
  /// out (and reads its blocks from SQLite).
  mutating func replace(
    series number: SeriesNumber, with wanted: [Int32], from sourceSlots: [SlotRegression],
    source: (Int32) -> Int?, keepCached: Bool
  ) {
    if bySeries.count <= number.index {
      bySeries.append(
        contentsOf: repeatElement((Entry(), Entry(), Entry()), count: number.index + 1 - bySeries.count))
    }
    let old = bySeries[number.index]
    var oldEntries = [old.0, old.1, old.2].filter { $0.place >= 0 }
    var new: [Entry] = []
    for block in wanted {
      let reused = oldEntries.firstIndex { $0.block == block }
      if let from = source(block) {
        let place: Int32
        if let reused {
          place = oldEntries.remove(at: reused).place
        } else if let fresh = allocate() {
          place = fresh
        } else if let spare = oldEntries.popLast() {
          place = spare.place
        } else {
          continue
        }
        let start = Int(place) * SlotBlock.size
        for i in 0..<SlotBlock.size { slots[start + i] = sourceSlots[from + i] }
        new.append(Entry(block: block, place: place))
      } else if keepCached, let reused {
        new.append(oldEntries.remove(at: reused))
      }
    }
    free.append(contentsOf: oldEntries.map(\.place))
    while new.count < 3 { new.append(Entry()) }
    bySeries[number.index] = (new[0], new[1], new[2])
  }

  private mutating func allocate() -> Int32? {
    if let place = free.popLast() { return place }
    guard slots.count < capacity * SlotBlock.size else { return nil }
    // Doubling, but never past the capacity.
    if slots.count == slots.capacity {
      slots.reserveCapacity(min(max(2 * slots.count, 64 * SlotBlock.size), capacity * SlotBlock.size))
    }
    slots.append(contentsOf: repeatElement(SlotRegression(), count: SlotBlock.size))
    return Int32(slots.count / SlotBlock.size - 1)
  }

  /// Drops a series' cached blocks (its model was reset).
  mutating func forget(series number: SeriesNumber) {
    guard number.index < bySeries.count else { return }
    replace(series: number, with: [], from: [], source: { _ in nil }, keepCached: false)
  }
}
