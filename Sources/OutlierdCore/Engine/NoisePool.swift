/// The residual variance of a block of neighbouring slots of one series:
/// the sums of their RSS and of their degrees of freedom. Each slot keeps
/// its own line; its noise level is estimated from the whole block.
public struct NoisePool: Sendable, Hashable {
  public var rss: Double
  public var degreesOfFreedom: Double

  public init(rss: Double = 0, degreesOfFreedom: Double = 0) {
    self.rss = rss
    self.degreesOfFreedom = degreesOfFreedom
  }

  /// What one slot adds to its block: its RSS and n − 2, once n > 2.
  @inline(__always)
  public static func contribution(of slot: SlotRegression) -> NoisePool {
    guard slot.weight > 2, slot.cxx > 0 else { return NoisePool() }
    return NoisePool(rss: max(slot.residualSumOfSquares, 0), degreesOfFreedom: slot.weight - 2)
  }

  /// The slots pool `number` covers: `poolSlots` neighbours, the last pool
  /// cut at the period's end.
  public static func slots(ofPool number: Int, poolSlots: Int, slotCount: Int) -> Range<Int> {
    min(number * poolSlots, slotCount)..<min((number + 1) * poolSlots, slotCount)
  }

  @inline(__always)
  static func + (a: NoisePool, b: NoisePool) -> NoisePool {
    NoisePool(rss: a.rss + b.rss, degreesOfFreedom: a.degreesOfFreedom + b.degreesOfFreedom)
  }
}

/// A noise pool kept as a fixed tree of pairwise sums over its members'
/// contributions. Changing one member updates log₂ n sums, and the total is
/// a function of the members alone: the same slots give the same bits
/// whether the pool was built from the store or updated sample by sample,
/// in one file or over many, after a crash or not. (A running sum updated
/// by subtracting a member's old contribution and adding its new one
/// depends on the order of the updates in its last bits, and drifts.)
public struct PoolSums: Sendable {
  /// Heap layout: the root at 1, member i at `width + i`.
  private var nodes: [NoisePool]
  private let width: Int

  public init(members: [NoisePool]) {
    var width = 1
    while width < members.count { width *= 2 }
    self.width = width
    nodes = Array(repeating: NoisePool(), count: 2 * width)
    for (i, member) in members.enumerated() { nodes[width + i] = member }
    for node in stride(from: width - 1, through: 1, by: -1) {
      nodes[node] = nodes[2 * node] + nodes[2 * node + 1]
    }
  }

  /// The pool: the sum of every member.
  public var total: NoisePool { nodes[1] }

  public mutating func set(_ member: Int, to contribution: NoisePool) {
    var node = width + member
    nodes[node] = contribution
    while node > 1 {
      node /= 2
      nodes[node] = nodes[2 * node] + nodes[2 * node + 1]
    }
  }
}
