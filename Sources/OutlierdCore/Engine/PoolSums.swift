/// Noise pools kept as fixed trees of pairwise sums over their members'
/// contributions, all pools of one size end to end in one array. Changing
/// one member updates log₂ n sums, and a pool's total is a function of its
/// members alone: the same slots give the same bits whether the pool was
/// built from the store or updated sample by sample, in one file or over
/// many, after a crash or not. (A running sum updated by subtracting a
/// member's old contribution and adding its new one depends on the order of
/// the updates in its last bits, and drifts.)
package struct PoolSums: Sendable {
  /// Members per pool, rounded up to a power of two (missing members are
  /// zero, which adds nothing: a shorter pool has the same bits as alone).
  package let width: Int
  /// Pool p's tree at `p * 2 * width`: its root at +1, member i at +width+i.
  private var nodes: [NoisePool] = []

  package init(poolSlots: Int) {
    var width = 1
    while width < poolSlots { width *= 2 }
    self.width = width
  }

  /// The total of one pool of these members, as trees for `poolSlots` sum it.
  package static func total(of members: some Collection<NoisePool>, poolSlots: Int) -> NoisePool {
    var pools = PoolSums(poolSlots: poolSlots)
    let pool = pools.append(members: members)
    return pools.total(pool)
  }

  /// Adds a pool of these members; returns its number.
  package mutating func append(members: some Collection<NoisePool>) -> Int {
    precondition(members.count <= width, "a pool of \(members.count) members in trees of \(width)")
    let base = nodes.count
    nodes.append(contentsOf: repeatElement(NoisePool(), count: 2 * width))
    var leaf = base + width
    for member in members {
      nodes[leaf] = member
      leaf += 1
    }
    for node in stride(from: width - 1, through: 1, by: -1) {
      nodes[base + node] = nodes[base + 2 * node] + nodes[base + 2 * node + 1]
    }
    return base / (2 * width)
  }

  /// Pool p's total: the sum of its members.
  @inline(__always)
  package func total(_ pool: Int) -> NoisePool { nodes[pool * 2 * width + 1] }

  @inline(__always)
  package mutating func set(_ pool: Int, member: Int, to contribution: NoisePool) {
    let base = pool * 2 * width
    var node = width + member
    nodes.withUnsafeMutableBufferPointer { tree in
      let tree = UnsafeMutableBufferPointer(rebasing: tree[base..<base + 2 * width])
      // The new sums are carried up in a register and only the siblings are
      // read: reading back a node just stored stalls on each level. The
      // bits are those of left + right, as floating-point addition commutes.
      var sum = contribution
      tree[node] = sum
      while node > 1 {
        sum = sum + tree[node ^ 1]
        node /= 2
        tree[node] = sum
      }
    }
  }

  package mutating func removeAll() { nodes.removeAll(keepingCapacity: true) }

  package mutating func reserveCapacity(pools: Int) { nodes.reserveCapacity(pools * 2 * width) }
}
