import Foundation

/// Synthetic metrics for demos, benchmarks and tests: a daily and weekly
/// pattern with a slow trend and noise, at a fixed step, with labelled
/// anomalies injected after a warm-up. Seeded, so reproducible.
package struct DemoData: Sendable {
  package struct Sample: Sendable, Hashable {
    package var series: Int
    package var time: Double
    package var value: Double
  }

  /// An injected anomaly: `series` is off its pattern in [start, end).
  package struct Anomaly: Sendable, Hashable {
    package var series: Int
    package var start: Double
    package var end: Double
    package var kind: String
  }

  package var seriesCount: Int
  package var weeks: Int
  package var step: Double
  package var start: Double
  package var anomaliesFromWeek: Int
  package var seed: UInt64

  /// The default start is Monday 2026-01-05 00:00 UTC.
  package init(
    seriesCount: Int = 5, weeks: Int = 8, step: Double = 300, start: Double = 1_767_571_200,
    anomaliesFromWeek: Int = 5, seed: UInt64 = 42
  ) {
    self.seriesCount = seriesCount
    self.weeks = weeks
    self.step = step
    self.start = start
    self.anomaliesFromWeek = anomaliesFromWeek
    self.seed = seed
  }

  package var samplesPerSeries: Int { Int(Double(weeks) * 604_800 / step) }

  /// Three anomalies a series, spread over the weeks after the warm-up.
  package var anomalies: [Anomaly] {
    var rng = SplitMix64(seed: seed ^ 0xA5A5)
    let first = start + Double(anomaliesFromWeek) * 604_800
    let span = start + Double(weeks) * 604_800 - first
    guard span > 0 else { return [] }
    let kinds = ["spike", "dip", "level shift"]
    return (0..<seriesCount).flatMap { series in
      kinds.enumerated().map { index, kind in
        let third = span / 3
        let begin = first + Double(index) * third + rng.nextUnit() * third * 0.8
        let start = (begin / step).rounded(.down) * step
        // A level shift lasts to the end of the data; spikes and dips 2 steps.
        let end = kind == "level shift" ? self.start + Double(weeks) * 604_800 : start + 2 * step
        return Anomaly(series: series, start: start, end: end, kind: kind)
      }
    }
  }

  /// The undisturbed pattern of a series at time t.
  package func pattern(series: Int, at t: Double) -> Double {
    let level = 100 * Double(series + 1)
    let day = (t - start).truncatingRemainder(dividingBy: 86_400) / 86_400
    let weekday = Int((t - start) / 86_400) % 7
    let daily = sin(2 * Double.pi * (day - 0.25)) * 0.4 + 0.6
    let weekend = weekday >= 5 ? 0.5 : 1.0
    let trend = 1 + 0.01 * (t - start) / 604_800
    return level * daily * weekend * trend
  }

  /// Every sample, in time order and then series order.
  package func samples() -> [Sample] {
    var rng = SplitMix64(seed: seed)
    let anomalies = self.anomalies
    var out: [Sample] = []
    out.reserveCapacity(samplesPerSeries * seriesCount)
    for i in 0..<samplesPerSeries {
      let t = start + Double(i) * step
      for series in 0..<seriesCount {
        let base = pattern(series: series, at: t)
        var value = base + rng.nextGaussian() * 0.03 * base + rng.nextGaussian()
        for a in anomalies where a.series == series && t >= a.start && t < a.end {
          switch a.kind {
          case "spike": value += 0.6 * base + 30
          case "dip": value -= 0.5 * base
          default: value += 0.4 * base
          }
        }
        out.append(Sample(series: series, time: t, value: (value * 1000).rounded() / 1000))
      }
    }
    return out
  }

  package func seriesName(_ series: Int) -> String { "demo.host\(series / 2 + 1).metric\(series % 2 + 1)" }
}
