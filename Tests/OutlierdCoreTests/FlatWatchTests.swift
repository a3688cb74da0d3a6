import Foundation
import Testing

@testable import OutlierdCore

/// `variance` alerts: a series that stops varying (`FlatWatch`).
@Suite("Flat runs")
struct FlatWatchTests {
  /// A run of L equal samples has probability c^(L − 1), c the share of
  /// repeats with half a repeat added: its score is that probability's
  /// normal-equivalent, negative.
  @Test func aRunsScoreIsItsGeometricProbability() throws {
    var watch = FlatWatch()
    var random = SplitMix64(seed: 5)
    // 1,000 samples, 10 of them repeating the one before.
    var last = 0.0
    for k in 0..<1000 {
      let y = k % 100 == 50 ? last : 20 + random.nextGaussian()
      watch.learn(y)
      last = y
    }
    #expect(watch.repeats > 0 && watch.repeats < 0.02)
    // A new value, then the same twice more: runs of 2 and 3.
    watch.learn(7.25)
    let c = (watch.repeats * watch.samples + 0.5) / (watch.samples + 1)
    let two = try #require(watch.score(7.25, integerShare: 0))
    expectClose(two, -NormalDistribution.twoSidedQuantile(c), relative: 1e-12, "a run of 2")
    watch.learn(7.25)
    let c3 = (watch.repeats * watch.samples + 0.5) / (watch.samples + 1)
    let three = try #require(watch.score(7.25, integerShare: 0))
    expectClose(three, -NormalDistribution.twoSidedQuantile(c3 * c3), relative: 1e-12, "a run of 3")
    #expect(three < two)
    // A different value is no run; whole numbers are not watched.
    #expect(watch.score(7.5, integerShare: 0) == nil)
    #expect(watch.score(7.25, integerShare: 0.9) == nil)
  }

}
