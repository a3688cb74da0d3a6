import Foundation
import Testing

@testable import OutlierdCore

/// `outlierd incidents`, `series` and `alerts` as scripts read them, the real
/// binary; and every time they print is accepted back.
@Suite("Operator lists")
struct OperatorListTests {
  @Test func incidentsSeriesAndAlertsListWhatTheDatabaseHolds() throws {
    let h = try Harness()
    try h.drop("a.txt", AlertmanagerTests.samples("l.one", 0..<245, spikeAt: 240))
    try h.drop("b.txt", AlertmanagerTests.samples("l.two", 0..<288, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let spike = 1_767_571_200 + 240 * 300

    let open = try h.run(["incidents", "--open", "--format", "jsonl", "--config", h.config])
    let lines = open.output.split(separator: "\n")
    #expect(lines.count == 1, "\(open.output)")
    let incident = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
    #expect(incident?["series"] as? String == "l.one" && incident?["state"] as? String == "open", "\(lines)")
    #expect(incident?["start_ts"] as? Int == spike && incident?["direction"] as? String == "high")
    let all = try h.run(["incidents", "--format", "csv", "--config", h.config]).output
    #expect(
      all.split(separator: "\n").count == 3 && all.contains(",l.two,high,") && all.contains(",closed,"),
      "\(all)")

    let series = try h.run(["series", "l.*", "--format", "csv", "--config", h.config]).output.split(
      separator: "\n")
    #expect(
      series.first
        == "series,samples,slots_warm,slots_learning,newest_sample,state,open_incident,newest_ts,family")
    // One day: every slot has one sample, none is warm yet.
    #expect(series.dropFirst().first?.hasPrefix("l.one,245,0,245,") == true, "\(series)")
    #expect(
      series.dropFirst().first?.hasSuffix(",incident,1,\(1_767_571_200 + 244 * 300),additive") == true,
      "\(series)")
    #expect(series.dropFirst(2).first?.hasPrefix("l.two,288,0,288,") == true, "\(series)")

    let csv = try h.run(["alerts", "--format", "csv", "--config", h.config]).output.split(separator: "\n")
    #expect(
      csv.first == "time,series,value,expected,lower,upper,score,z,p_value,n,slot,incident_id,ts,alert_id")
    #expect(csv.dropFirst().allSatisfy { $0.contains(",\(spike),") } && csv.count == 3, "\(csv)")
  }

  @Test func statusCountsOpenIncidentsRejectedLinesAndStaleSeries() throws {
    let h = try Harness(detection: "threshold = 4.0\nmin_samples = 4\nstale_after = \"1d\"")
    try h.drop("a.txt", AlertmanagerTests.samples("s.one", 0..<245, spikeAt: 240) + "bad line\nalso bad\n")
    try h.drop("b.txt", AlertmanagerTests.samples("s.two", 0..<10, spikeAt: -1))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let status = try h.run(["status", "--format", "jsonl", "--config", h.config]).output
    let fields = try JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any]
    // The samples are from January: by the clock both series are stale.
    #expect(fields?["open_incidents"] as? Int == 1, "\(status)")
    #expect(
      fields?["rejected_lines_last_day"] as? Int == 2 && fields?["stale_series"] as? Int == 2, "\(status)")
  }

  /// What the lists print as a time, --since reads back to the second.
  @Test func printedTimesAreAcceptedBack() throws {
    let h = try Harness()
    try h.writeConfig(detection: "threshold = 4.0\nmin_samples = 4", timeZone: "Europe/Berlin")
    try h.drop("a.txt", AlertmanagerTests.samples("t.one", 0..<245, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let json = try h.run(["alerts", "--format", "jsonl", "--config", h.config]).output
    let alert =
      try JSONSerialization.jsonObject(with: Data(json.split(separator: "\n")[0].utf8)) as? [String: Any]
    let printed = try #require(alert?["time"] as? String)
    #expect(printed == "2026-01-05 21:00:00 +01:00", "\(printed)")
    for since in [printed, "2026-01-05 21:00:00 +01:00", String(alert?["ts"] as? Int ?? 0)] {
      let back = try h.run(["alerts", "--since", since, "--format", "csv", "--config", h.config])
      #expect(
        back.status == 0 && back.output.split(separator: "\n").count == 2,
        "\(since): \(back.output)\(back.errors)")
    }
    let later = try h.run([
      "alerts", "--since", "2026-01-05 21:00:01 +01:00", "--format", "csv", "--config", h.config,
    ])
    #expect(later.output.split(separator: "\n").count == 1, "\(later.output)")
    let incidents = try h.run(["incidents", "--format", "jsonl", "--config", h.config]).output
    let row =
      try JSONSerialization.jsonObject(with: Data(incidents.split(separator: "\n")[0].utf8)) as? [String: Any]
    let end = try #require(row?["end"] as? String)
    #expect(
      TimeExpression.parse(end, zone: TimeZone(identifier: "Europe/Berlin")!)
        == Double(row?["end_ts"] as? Int ?? 0))
  }
}
