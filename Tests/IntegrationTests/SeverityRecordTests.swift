import Foundation
import Testing

@testable import OutlierdCore

/// Incident severity as the daemon records it, against a sum recomputed
/// from the alert rows.
@Suite("Severity records")
struct SeverityRecordTests {
  /// Every incident's evidence is the sum over its alerts, its severity
  /// what that sum says, and `critical_at` the alert at which the running
  /// sum first said so, across files and batches (scripts/crash-test
  /// checks the same tables after kills).
  @Test func incidentsRecordTheEvidenceOfTheirAlerts() throws {
    let h = try Harness()
    var files: [String] = []
    var rng = SplitMix64(seed: 11)
    for series in 0..<6 {
      var lines = ""
      for s in 0..<600 {
        // Bursts of one to three samples of growing size, on noise.
        let burst = s >= 300 && s % 60 < 1 + series % 3 ? 6.0 + Double(s / 60) : 0
        lines +=
          "sev.s\(series) \(100 + Double(rng.next() % 1000) / 100 + burst) \(1_767_571_200 + s * 300)\n"
      }
      files.append(lines)
    }
    for (k, text) in files.enumerated() { try h.drop("a\(k).txt", text) }
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let incidents = try h.query(
      "SELECT id, severity, evidence, coalesce(critical_at, 0), alerts FROM incidents ORDER BY id")
    #expect(incidents.count >= 3)
    var critical = 0
    for row in incidents {
      let alerts = try h.query(
        "SELECT calibrated_z, ts FROM alerts WHERE incident_id = \(row[0]) ORDER BY ts")
      #expect(alerts.count == Int(row[4]))
      var sum = 0.0
      var becameCritical = 0.0
      for (k, alert) in alerts.enumerated() {
        sum += IncidentSeverity.evidence(ofCalibratedZ: Double(alert[0])!)
        if becameCritical == 0,
          IncidentSeverity.of(evidence: sum, alerts: k + 1, criticalP: Settings().criticalP) == .critical
        {
          becameCritical = Double(alert[1])!
        }
      }
      #expect(
        abs(Double(row[2])! - sum) <= 1e-12 * sum, "incident #\(row[0])'s evidence: \(row[2]) vs \(sum)")
      #expect(row[1] == (becameCritical > 0 ? "critical" : "warning"), "incident #\(row[0])")
      #expect(Double(row[3])! == becameCritical, "incident #\(row[0])'s critical_at")
      if becameCritical > 0 { critical += 1 }
    }
    #expect(critical > 0 && critical < incidents.count, "\(critical) of \(incidents.count) critical")
    let listed = try h.run(["incidents", "--format", "csv", "--config", h.config])
    #expect(listed.output.hasPrefix("id,series,direction,severity,"), "\(listed.output)")
  }
}
