import Foundation
import Testing

@testable import OutlierdCore

/// The alert Alertmanager gets for an incident: its end, its labels and
/// its link back.
@Suite("Alertmanager alert")
struct PostableAlertTests {
  static let incident = IncidentRecord(
    id: 7, series: "web host;dc=eu/é", direction: 1, start: 1_767_643_200, end: 1_767_643_500, alerts: 2,
    closed: true, value: 900, expected: 100, lower: 90, upper: 110, z: 9, pValue: 1e-9, baseline: "recent",
    severity: .critical)

  @Test func aClosedIncidentEndsAtItsLastAlertAndAnOpenOneHasNoEnd() {
    let resolved = PostableAlert(Self.incident, resolved: true, now: 1_767_700_000, extraLabels: [:])
    #expect(resolved.startsAt == "2026-01-05T20:00:00Z" && resolved.endsAt == "2026-01-05T20:05:00Z")
    let firing = PostableAlert(Self.incident, resolved: false, now: 1_767_700_000, extraLabels: [:])
    #expect(firing.endsAt == nil)
  }

  @Test func aProducersLabelNeverOverridesOurs() {
    let alert = PostableAlert(
      Self.incident, resolved: false, now: 0,
      extraLabels: ["severity": "info", "alertname": "x", "team": "db"])
    #expect(alert.labels["severity"] == "critical" && alert.labels["alertname"] == "SeasonalOutlier")
    #expect(alert.labels["team"] == "db")
  }

  /// A series named with Graphite tags (`name;k=v`) carries them as
  /// labels; names Alertmanager would refuse or reserves are left out, and
  /// no tag overrides ours or the configured labels.
  @Test func graphiteTagsBecomeLabelsButNeverOverrideOursOrTheConfigured() {
    var incident = Self.incident
    incident.series =
      "http.requests;host=web1;dc=eu;severity=info;alertname=x;team=producer;__name__=y;9bad=1;bad-name=1;empty=;noequals"
    let alert = PostableAlert(incident, resolved: false, now: 0, extraLabels: ["team": "db"])
    #expect(
      alert.labels == [
        "alertname": "SeasonalOutlier", "series": incident.series, "direction": "high",
        "severity": "critical",
        "kind": "point", "team": "db", "host": "web1", "dc": "eu",
      ], "\(alert.labels)")
    #expect(PostableAlert.tags(of: "plain.name") == [:])
    #expect(PostableAlert.tags(of: "m;Host_2=a=b") == ["Host_2": "a=b"])
  }

  /// The series is percent-encoded byte by byte (UTF-8), as Python's
  /// `urllib.parse.quote(name, safe="")` does: an independent encoder.
  @Test func theLinkBackHoldsTheSeriesEncodedAsAQueryValue() throws {
    let alert = PostableAlert(
      Self.incident, resolved: false, now: 0, extraLabels: [:],
      generatorURL: "https://grafana.example/d/x?var-series={series}&from=now-2d")
    #expect(
      alert.generatorURL == "https://grafana.example/d/x?var-series=web%20host%3Bdc%3Deu%2F%C3%A9&from=now-2d"
    )
    let none = PostableAlert(Self.incident, resolved: false, now: 0, extraLabels: [:])
    let json = String(decoding: try JSONEncoder().encode(none), as: UTF8.self)
    #expect(none.generatorURL == nil && !json.contains("generatorURL"))
  }
}
