import Testing

@testable import OutlierdCore

@Suite("Block cache")
struct BlockCacheTests {
  /// Flat slots of `count` blocks whose slot i has learned the value `tag + i`.
  func blocks(_ count: Int, tag: Double) -> [SlotRegression] {
    (0..<count * SlotBlock.size).map { i in
      var slot = SlotRegression()
      slot.add(x: 1_767_571_200, y: tag + Double(i))
      return slot
    }
  }

  func cached(_ cache: BlockCache, series: SeriesNumber, block: Int32) -> [SlotRegression]? {
    cache.start(series: series, block: block).map { Array(cache.storage[$0..<$0 + SlotBlock.size]) }
  }

  @Test func keepsCopiesOfTheWantedBlocksAndDropsTheRest() {
    var cache = BlockCache(capacity: 8)
    var source = blocks(3, tag: 0)
    cache.replace(
      series: 2, with: [5, 4, 6], from: source, source: { Int($0 - 4) * SlotBlock.size }, keepCached: true)
    #expect(cache.count == 3)
    #expect(cached(cache, series: 2, block: 4) == Array(source[0..<12]))
    #expect(cached(cache, series: 2, block: 6) == Array(source[24..<36]))
    #expect(cached(cache, series: 1, block: 4) == nil)
    // The copies do not follow the source.
    source = blocks(3, tag: 100)
    #expect(cached(cache, series: 2, block: 5) == Array(blocks(3, tag: 0)[12..<24]))

    // Block 6 comes anew, 5 is kept as cached, 4 is no longer wanted.
    cache.replace(
      series: 2, with: [6, 5], from: source, source: { $0 == 6 ? 2 * SlotBlock.size : nil }, keepCached: true)
    #expect(cache.count == 2)
    #expect(cached(cache, series: 2, block: 4) == nil)
    #expect(cached(cache, series: 2, block: 5) == Array(blocks(3, tag: 0)[12..<24]))
    #expect(cached(cache, series: 2, block: 6) == Array(source[24..<36]))

    // After a spill the cached copy may be stale: not kept.
    cache.replace(series: 2, with: [6, 5], from: source, source: { _ in nil }, keepCached: false)
    #expect(cache.count == 0)
    #expect(cached(cache, series: 2, block: 5) == nil)
  }

  @Test func aFullCacheLeavesNewSeriesOutAndFreesWhatIsDropped() {
    var cache = BlockCache(capacity: 4)
    let source = blocks(3, tag: 0)
    let all: (Int32) -> Int? = { Int($0) * SlotBlock.size }
    cache.replace(series: 0, with: [0, 1, 2], from: source, source: all, keepCached: true)
    cache.replace(series: 1, with: [0, 1, 2], from: source, source: all, keepCached: true)
    #expect(cache.count == 4)
    #expect(cached(cache, series: 1, block: 0) == Array(source[0..<12]))
    #expect(cached(cache, series: 1, block: 1) == nil)
    cache.replace(series: 2, with: [2], from: source, source: all, keepCached: true)
    #expect(cached(cache, series: 2, block: 2) == nil)
    // Series 0 drops two blocks: series 2 now fits.
    cache.replace(series: 0, with: [0], from: source, source: { _ in nil }, keepCached: true)
    cache.replace(series: 2, with: [2], from: source, source: all, keepCached: true)
    #expect(cached(cache, series: 2, block: 2) == Array(source[24..<36]))
    #expect(cached(cache, series: 0, block: 0) == Array(source[0..<12]))
    #expect(cache.count == 3)
  }
}

/// Series numbers written as literals in tests.
extension SeriesNumber: ExpressibleByIntegerLiteral {
  public init(integerLiteral value: Int32) { self.init(value) }
}
