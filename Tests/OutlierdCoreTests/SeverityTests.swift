import Foundation
import Testing

@testable import OutlierdCore

/// Incident severity (`IncidentSeverity`): the math against mpmath at 50
/// digits (Fixtures/severity.py, a different method: the regularized upper
/// incomplete gamma), and the pipeline's bookkeeping against the alerts it
/// stored, through the real binary.
@Suite("Incident severity")
struct SeverityTests {
  struct Fixture: Decodable {
    struct Evidence: Decodable {
      var z: Double
      var evidence: Double
    }
    struct Combined: Decodable {
      var alerts: Int
      var evidence: Double
      var logP: Double
    }
    var evidence: [Evidence]
    var combined: [Combined]
  }

  @Test func eachAlertsEvidenceAndTheCombinedPMatchMpmath() throws {
    let fixture = try loadFixture("severity.json", as: Fixture.self)
    for row in fixture.evidence {
      expectClose(
        IncidentSeverity.evidence(ofCalibratedZ: row.z), row.evidence, relative: 1e-12, absolute: 1e-12,
        "evidence of z \(row.z)")
      expectClose(
        IncidentSeverity.evidence(ofCalibratedZ: -row.z), row.evidence, relative: 1e-12, absolute: 1e-12,
        "evidence of z −\(row.z)")
    }
    for row in fixture.combined {
      expectClose(
        IncidentSeverity.logCombinedP(evidence: row.evidence, alerts: row.alerts), row.logP, relative: 1e-11,
        absolute: 1e-11, "ln P(χ²(\(2 * row.alerts)) ≥ \(row.evidence))")
    }
    // Past the cap, no overflow and no NaN.
    #expect(IncidentSeverity.evidence(ofCalibratedZ: 1e300).isFinite)
    #expect(IncidentSeverity.logCombinedP(evidence: 1e300, alerts: 3).isFinite)
  }

  /// At the default rate a lone alert pages from the z whose two-sided
  /// tail is 0.001 / 288, and two alerts at the threshold together do.
  @Test func theDefaultRateMakesALoneAlertCriticalFrom4Point64() {
    let p = Settings().criticalP
    expectClose(p, 0.001 / 288, relative: 1e-15, "criticalP")
    let z = NormalDistribution.twoSidedQuantile(p)
    // mpmath: findroot(erfc(z / √2) − 0.001 / 288) = 4.640705176926854
    expectClose(z, 4.640705176926854, relative: 1e-12, "the lone alert's z")
    func severity(_ zs: [Double]) -> IncidentSeverity {
      IncidentSeverity.of(
        evidence: zs.reduce(0) { $0 + IncidentSeverity.evidence(ofCalibratedZ: $1) }, alerts: zs.count,
        criticalP: p)
    }
    #expect(severity([z + 0.001]) == .critical)
    #expect(severity([z - 0.001]) == .warning)
    #expect(severity([3.6, 3.6]) == .critical)
    #expect(severity([3.51]) == .warning)
    #expect(IncidentSeverity.of(evidence: 1e6, alerts: 1, criticalP: 0) == .warning)
  }

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
      expectClose(Double(row[2])!, sum, relative: 1e-12, "incident #\(row[0])'s evidence")
      #expect(row[1] == (becameCritical > 0 ? "critical" : "warning"), "incident #\(row[0])")
      #expect(Double(row[3])! == becameCritical, "incident #\(row[0])'s critical_at")
      if becameCritical > 0 { critical += 1 }
    }
    #expect(critical > 0 && critical < incidents.count, "\(critical) of \(incidents.count) critical")
    let listed = try h.run(["incidents", "--format", "csv", "--config", h.config])
    #expect(listed.output.hasPrefix("id,series,direction,severity,"), "\(listed.output)")
  }
}
