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
}
