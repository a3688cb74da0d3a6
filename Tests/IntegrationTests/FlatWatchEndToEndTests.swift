import Foundation
import Testing

@testable import OutlierdCore

@Suite("Flat watch end to end")
struct FlatWatchEndToEndTests {
  /// A temperature sensor that freezes for an hour on day 3: a `variance`
  /// incident, critical, and nothing of the kind before it; a count that
  /// often repeats gets none. The real binary, default detection.
  @Test func aFrozenSensorOpensAVarianceIncident() throws {
    let h = try Harness(detection: "")
    let t0 = 1_767_571_200
    var random = SplitMix64(seed: 8)
    let frozen = t0 + 2 * 86_400 + 10 * 3600
    var lines = ""
    var last = 0.0
    for step in 0..<(4 * 288) {
      let t = t0 + step * 300
      var value = 21 + 3 * sin(Double(step) * 2 * .pi / 288) + 0.2 * random.nextGaussian()
      if t >= frozen && t < frozen + 3600 { value = last } else { last = value }
      lines += "f.temp \(value) \(t)\n"
      lines += "f.count \(Int(random.nextUnit() * 4)) \(t)\n"
    }
    try h.drop("a.txt", lines)
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let incidents = try h.query(
      "SELECT series, kind, severity, start_ts FROM incidents WHERE kind = 'variance' ORDER BY start_ts")
    #expect(incidents.count == 1, "\(incidents)")
    #expect(incidents.first?[0] == "f.temp" && incidents.first?[2] == "critical", "\(incidents)")
    let start = Int(Double(incidents.first?[3] ?? "0") ?? 0)
    #expect(start > frozen && start <= frozen + 600, "opened at \(start), frozen from \(frozen)")
    let kinds = try h.query("SELECT DISTINCT kind FROM alerts WHERE series = 'f.count'")
    #expect(!kinds.contains(["variance"]))
  }
}
