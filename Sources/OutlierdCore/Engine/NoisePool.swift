/// The residual variance of a block of neighbouring slots of one series:
/// the sums of their RSS and of their degrees of freedom. Each slot keeps
/// its own line; its noise level is estimated from the whole block.
package struct NoisePool: Sendable, Hashable {
  package var rss: Double
  package var degreesOfFreedom: Double

  package init(rss: Double = 0, degreesOfFreedom: Double = 0) {
    self.rss = rss
    self.degreesOfFreedom = degreesOfFreedom
  }

  /// What one slot adds to its block: its RSS around its line and n − 2,
  /// once n > 2; while its line is flat (n < `trendAfter`,
  /// ScoringRules.trendAfter), its sum of squares around its mean and
  /// n − 1, once n > 1.
  @inline(__always)
  package static func contribution(of slot: SlotRegression, trendAfter: Double = 0) -> NoisePool {
    if slot.weight < trendAfter {
      guard slot.weight > 1 else { return NoisePool() }
      return NoisePool(rss: max(slot.cyy, 0), degreesOfFreedom: slot.weight - 1)
    }
    guard slot.weight > 2, slot.cxx > 0 else { return NoisePool() }
    return NoisePool(rss: max(slot.residualSumOfSquares, 0), degreesOfFreedom: slot.weight - 2)
  }

  /// The slots pool `number` covers: `poolSlots` neighbours, the last pool
  /// cut at the period's end.
  package static func slots(ofPool number: Int, poolSlots: Int, slotCount: Int) -> Range<Int> {
    min(number * poolSlots, slotCount)..<min((number + 1) * poolSlots, slotCount)
  }

  @inline(__always)
  static func + (a: NoisePool, b: NoisePool) -> NoisePool {
    NoisePool(rss: a.rss + b.rss, degreesOfFreedom: a.degreesOfFreedom + b.degreesOfFreedom)
  }
}
