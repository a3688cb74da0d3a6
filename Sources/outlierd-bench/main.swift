import Foundation
import OutlierdCore

// Micro-benchmark of the engine's hot path, `ScoringRules.judge` as the
// ingestor calls it: for each sample, find its slot, score it against the
// slot's line (and the series' calibration and cold-start state) and learn it. Run in release mode:
//   swift run -c release outlierd-bench
// Prints the median over repetitions of nanoseconds per sample.

@inline(never)
func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

func median(_ values: [Double]) -> Double {
  let sorted = values.sorted()
  return sorted[sorted.count / 2]
}

func measure(
  _ name: String, samples: Int, repetitions: Int = 9, setUp: () -> Void = {}, _ body: () -> Double
) {
  var perSample: [Double] = []
  var sink = 0.0
  for _ in 0..<repetitions {
    setUp()
    let clock = ContinuousClock()
    let start = clock.now
    sink += body()
    let elapsed = clock.now - start
    let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    perSample.append(ns / Double(samples))
  }
  blackHole(sink)
  let sorted = perSample.sorted()
  print(
    String(
      format: "%-44@ %8.2f ns/sample (min %.2f, max %.2f, %d runs of %d samples)", name as NSString,
      median(perSample), sorted.first!, sorted.last!, repetitions, samples))
}

let demo = DemoData(seriesCount: Int(CommandLine.arguments.dropFirst().first ?? "") ?? 100, weeks: 8)
let samples = demo.samples()
let rules = ScoringRules(threshold: 4, minimumSamples: 4, learning: .clip)
let shiftAfter = 6
let shiftConfirm = 10800.0
let utc = try SlotCalendar()
let berlin = try SlotCalendar(timeZone: "Europe/Berlin")
let slotsPerSeries = utc.slotCount
print(
  "engine micro-benchmark: \(demo.seriesCount) series × \(slotsPerSeries) slots, \(samples.count) samples")

// Precomputed slot indices: the regression update and score alone.
let slotIndex = samples.map { $0.series * slotsPerSeries + utc.slot(at: $0.time) }
// The slot array is allocated and zeroed outside the timed part.
nonisolated(unsafe) var slots: [SlotRegression] = []
nonisolated(unsafe) var tracks: [SeriesTrack] = []
let fresh = {
  slots = [SlotRegression](repeating: SlotRegression(), count: demo.seriesCount * slotsPerSeries)
  tracks = [SeriesTrack](repeating: SeriesTrack(), count: demo.seriesCount)
}
// Both arrays through buffers: a global's element reached inout from a
// closure pays a dynamic exclusivity check per access, which the
// ingestor's arrays (stored properties of its batch) do not.
measure("judge (slot index given)", samples: samples.count, setUp: fresh) {
  var alerts = 0.0
  tracks.withUnsafeMutableBufferPointer { tracks in
    slots.withUnsafeMutableBufferPointer { slots in
      for i in 0..<samples.count {
        let s = samples[i]
        let verdict = rules.judge(
          &slots[slotIndex[i]], x: s.time, y: s.value, pool: nil, track: &tracks[s.series],
          shiftAfter: shiftAfter, shiftConfirm: shiftConfirm)
        if verdict.isAlert { alerts += 1 }
      }
    }
  }
  return alerts
}

for (name, calendar) in [("UTC", utc), ("Europe/Berlin", berlin)] {
  measure("calendar + judge (\(name))", samples: samples.count, setUp: fresh) {
    var alerts = 0.0
    tracks.withUnsafeMutableBufferPointer { tracks in
      slots.withUnsafeMutableBufferPointer { slots in
        for s in samples {
          let slot = calendar.slot(at: s.time)
          let verdict = rules.judge(
            &slots[s.series * slotsPerSeries + slot], x: s.time, y: s.value, pool: nil,
            track: &tracks[s.series], shiftAfter: shiftAfter, shiftConfirm: shiftConfirm)
          if verdict.isAlert { alerts += 1 }
        }
      }
    }
    return alerts
  }
}

measure("p-value of a flagged sample (t=5, dof=6)", samples: 100_000) {
  var sum = 0.0
  for i in 0..<100_000 { sum += StudentT.twoSidedPValue(5 + Double(i & 7) * 1e-3, degreesOfFreedom: 6) }
  return sum
}

measure("calendar slot lookup alone (UTC)", samples: samples.count) {
  var sum = 0
  for s in samples { sum &+= utc.slot(at: s.time) }
  return Double(sum)
}
measure("calendar slot lookup alone (Europe/Berlin)", samples: samples.count) {
  var sum = 0
  for s in samples { sum &+= berlin.slot(at: s.time) }
  return Double(sum)
}
