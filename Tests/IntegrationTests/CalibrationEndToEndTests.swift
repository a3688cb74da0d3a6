import Foundation
import Testing

@testable import OutlierdCore

@Suite("Calibration end to end")
struct CalibrationEndToEndTests {
  /// The daemon stores κ and z / κ beside the parametric figures.
  @Test func alertsStoreTheTailFactorBesideTheParametricScore() throws {
    let h = try Harness()
    let t0 = 1_767_571_200
    var lines: [String] = []
    for week in 0..<6 {
      for slot in 0..<12 {
        let t = t0 + week * 604_800 + slot * 300
        let value = week == 5 && slot == 6 ? 10_000 : 100 + Double((week * 13 + slot * 7) % 5 - 2)
        lines.append("c.x \(value) \(t)")
      }
    }
    let path = h.root + "/c.txt"
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    #expect(try h.run(["ingest", "--config", h.config, path]).status == 0)
    let rows = try h.query("SELECT z, tail_factor, calibrated_z, critical FROM alerts")
    #expect(!rows.isEmpty)
    for row in rows {
      let (z, factor, calibrated) = (Double(row[0])!, Double(row[1])!, Double(row[2])!)
      #expect(factor >= 1 && abs(calibrated * factor - z) <= 1e-9 * abs(z), "\(row)")
    }
  }
}
