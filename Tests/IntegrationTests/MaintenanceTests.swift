import Foundation
import Testing

@testable import OutlierdCore

/// `[[maintenance]]` windows, the real binary: matching series are neither
/// judged nor learned while one lasts; others are.
@Suite("Maintenance windows")
struct MaintenanceTests {
  @Test func aWindowStopsJudgingAndLearningForMatchingSeriesOnly() throws {
    let h = try Harness(
      detection:
        "threshold = 4.0\nmin_samples = 4\n[[maintenance]]\nseries = \"m.*\"\nweekly = \"Mon 20:00-21:00\"")
    let check = try h.run(["check-config", "--config", h.config])
    #expect(
      check.status == 0
        && check.output.contains("[[maintenance]]\nseries = \"m.*\"\nweekly = \"Mon 20:00-21:00\""))
    // Monday 2026-01-05; a spike at 20:30 (step 246) in both series, once
    // the recent level judges (cold start).
    try h.drop("a.txt", AlertmanagerTests.samples("m.deploy", 0..<288, spikeAt: 246))
    try h.drop("b.txt", AlertmanagerTests.samples("o.other", 0..<288, spikeAt: 246))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let spike = 1_767_571_200 + 246 * 300
    #expect(try h.query("SELECT series FROM alerts WHERE ts = \(spike)") == [["o.other"]])
    #expect(try h.query("SELECT samples FROM series ORDER BY name") == [["288"], ["288"]])
    let reader = try StoreReader(path: h.database)
    let paused = try #require(try reader.series(named: "m.deploy"))
    let other = try #require(try reader.series(named: "o.other"))
    // The window's 12 slots learned nothing; the slot after it did.
    for slot in 240..<252 {
      #expect(try reader.slot(series: paused.id, slot: slot)?.weight ?? 0 == 0, "slot \(slot)")
    }
    #expect(try reader.slot(series: paused.id, slot: 252)?.weight == 1)
    #expect(try reader.slot(series: other.id, slot: 246)?.weight == 1)
  }

  @Test func aWindowThatCannotBeReadIsAnErrorWithItsLine() throws {
    let h = try Harness(detection: "threshold = 4.0\n[[maintenance]]\nweekly = \"Sunday 2-4\"")
    let check = try h.run(["check-config", "--config", h.config])
    #expect(
      check.status == 78 && check.errors.contains("maintenance.weekly: cannot read \"Sunday 2-4\""),
      "\(check.errors)")
  }
}
