import Foundation
import Testing

@testable import OutlierdCore

/// Incident severity as the daemon records it, against a sum recomputed
/// from the alert rows.
@Suite("Severity records")
struct SeverityRecordTests {
  /// The score an alert row's severity counts, recomputed from its
  /// columns: the least extreme of the calibrated score, the family's and
  /// the day's; the family's alone for an intermittent series.
  static func severityScore(calibrated: Double, family: String, familyZ: Double?, dailyZ: Double?) -> Double {
    if family == "intermittent", let familyZ { return familyZ }
    return ([calibrated] + [familyZ, dailyZ].compactMap { $0 }).min { abs($0) < abs($1) }!
  }

  /// Checks every incident of the database against its alert rows: its
  /// evidence is the sum over them, its severity what that sum says, and
  /// `critical_at` the alert at which the running sum first said so.
  /// Returns the incidents' (id, series, start, severity).
  static func checkIncidents(_ h: Harness) throws -> [(
    id: String, series: String, start: Double, severity: String
  )] {
    let incidents = try h.query(
      "SELECT id, severity, evidence, coalesce(critical_at, 0), alerts, series, start_ts FROM incidents WHERE kind = 'point' ORDER BY id"
    )
    for row in incidents {
      let alerts = try h.query(
        "SELECT calibrated_z, family, family_z, daily_z, ts FROM alerts WHERE incident_id = \(row[0]) ORDER BY ts"
      )
      #expect(alerts.count == Int(row[4]))
      var sum = 0.0
      var becameCritical = 0.0
      for (k, alert) in alerts.enumerated() {
        let z = severityScore(
          calibrated: Double(alert[0])!, family: alert[1], familyZ: Double(alert[2]), dailyZ: Double(alert[3])
        )
        sum += IncidentSeverity.evidence(ofCalibratedZ: z)
        if becameCritical == 0,
          IncidentSeverity.of(evidence: sum, alerts: k + 1, criticalP: Settings().criticalP) == .critical
        {
          becameCritical = Double(alert[4])!
        }
      }
      #expect(
        abs(Double(row[2])! - sum) <= 1e-12 * sum, "incident #\(row[0])'s evidence: \(row[2]) vs \(sum)")
      #expect(row[1] == (becameCritical > 0 ? "critical" : "warning"), "incident #\(row[0])")
      #expect(Double(row[3])! == becameCritical, "incident #\(row[0])'s critical_at")
    }
    return incidents.map { ($0[0], $0[5], Double($0[6])!, $0[1]) }
  }

  /// Every incident's evidence is the sum over its alerts, across files
  /// and batches (scripts/crash-test checks the same tables after kills).
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
    let incidents = try Self.checkIncidents(h)
    #expect(incidents.count >= 3)
    let critical = incidents.filter { $0.severity == "critical" }.count
    #expect(critical > 0 && critical < incidents.count, "\(critical) of \(incidents.count) critical")
    let listed = try h.run(["incidents", "--format", "csv", "--config", h.config])
    #expect(listed.output.hasPrefix("id,series,direction,severity,"), "\(listed.output)")
  }

  /// A disk that fills through the day and is cleaned up at 02:00, each
  /// day from its own level: in the weekly slots' first weeks a day lower
  /// or higher than the last few is an alert of its young slots (whose
  /// pooled spread, from neighbours that all move with the day, is
  /// overconfident), but ordinary for its hour on the previous days, so it
  /// does not page; a sample far off both is critical. (Before the day's
  /// score, such days paged: this test fails on the build before it.)
  @Test func aDayUnlikeTheLastButOrdinaryForItsHourDoesNotPage() throws {
    let h = try Harness(detection: "")
    var rng = SplitMix64(seed: 3)
    let t0 = 1_767_571_200  // Monday
    let spike = t0 + 24 * 86_400 + 15 * 3600
    var lines = ""
    var dayLevel = 40.0
    for s in 0..<(28 * 288) {
      let t = t0 + s * 300
      let hoursSinceCleanup = Double((t / 300 + 288 - 24) % 288) / 12
      if (t / 300) % 288 == 24 { dayLevel = 40 + rng.nextGaussian() * 1.5 }
      var value = dayLevel + hoursSinceCleanup + rng.nextGaussian() * 0.05
      if t == spike { value += 30 }
      lines += "disk.sda \(value) \(t)\n"
    }
    try h.drop("disk.txt", lines)
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let incidents = try Self.checkIncidents(h)
    let daily = try h.query("SELECT daily_z, n, baseline FROM alerts WHERE daily_z IS NOT NULL")
    #expect(!daily.isEmpty, "no young weekly alert got the day's score")
    // Only for a young weekly slot (n < 2 × min_samples = 6), and only when
    // ordinary for its hour: within the critical value of the day's spread
    // (at least 24 residuals: at most Student's 0.99977 quantile of 22 dof).
    for row in daily {
      #expect(abs(Double(row[0])!) <= 4.4 && Double(row[1])! < 6 && row[2] == "weekly", "\(row)")
    }
    let atSpike = incidents.filter { $0.start == Double(spike) }
    #expect(atSpike.count == 1 && atSpike.first?.severity == "critical", "\(atSpike)")
    let others = incidents.filter { $0.start >= Double(t0 + 14 * 86_400) && $0.start != Double(spike) }
    #expect(
      !others.contains { $0.severity == "critical" },
      "\(others.filter { $0.severity == "critical" }.count) of \(others.count) other incidents critical")
  }
}
