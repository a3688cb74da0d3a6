import Foundation

/// One alert as Alertmanager's API v2 takes it (`POST /api/v2/alerts`).
struct PostableAlert: Encodable, Sendable {
  var labels: [String: String]
  var annotations: [String: String]
  var startsAt: String
  /// Set when the incident closed: the time of its last alert (when the
  /// anomaly was last seen; at least a second after its start, and not
  /// after the clock), so Alertmanager resolves the alert at once. While
  /// it is open it is omitted and the alert re-sent, as Alertmanager
  /// expects of a client.
  var endsAt: String?
  /// A link back to where the series can be seen (`notify.generator_url`,
  /// with `{series}` replaced); omitted when none is configured.
  var generatorURL: String?

  static func time(_ seconds: Double) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: Date(timeIntervalSince1970: seconds.rounded(.down)))
  }

  /// The alert of an incident: labels `alertname`, `series`, `direction`,
  /// `severity` (`warning` or `critical`: route pages on it), `kind`
  /// (`point` or `variance`), the configured extra labels and the series'
  /// Graphite tags (`tags(of:)`); the numbers behind it as annotations.
  init(
    _ incident: IncidentRecord, resolved: Bool, now: Double, extraLabels: [String: String],
    generatorURL template: String = ""
  ) {
    let direction = incident.direction > 0 ? "high" : "low"
    // The series' own tags, then the configured labels, then ours: a
    // producer can never set alertname or severity, nor override what the
    // operator configured.
    labels = Self.tags(of: incident.series).merging(extraLabels) { _, configured in configured }.merging(
      [
        "alertname": "SeasonalOutlier", "series": incident.series, "direction": direction,
        "severity": incident.severity.rawValue, "kind": incident.kind.rawValue,
      ]
    ) { _, ours in ours }
    func g(_ value: Double?) -> String { value.map { String(format: "%.6g", $0) } ?? "" }
    var notes: [String: String] = [
      "incident": String(incident.id), "alerts": String(incident.alerts),
      "plot":
        "outlierd plot \(ShellWord.quoted(incident.series)) --from \(Int(incident.start - 86_400)) --to \(Int(incident.end + 86_400)) -o \(ShellWord.quoted(ShellWord.fileName(incident.series) + ".svg"))",
    ]
    if incident.kind == .variance {
      notes["summary"] =
        "\(incident.series) has stopped varying: the same value, sample after sample, for longer than it ever does"
      if let value = incident.value { notes["value"] = g(value) }
    } else if let value = incident.value {
      notes["summary"] =
        "\(incident.series) is \(direction == "high" ? "above" : "below") its band: value \(g(value)), expected \(g(incident.expected)), band [\(g(incident.lower)), \(g(incident.upper))], z \(incident.z.map { String(format: "%+.2f", $0) } ?? "")"
      notes["value"] = g(value)
      notes["expected"] = g(incident.expected)
      notes["band"] = "[\(g(incident.lower)), \(g(incident.upper))]"
      notes["z"] = incident.z.map { String(format: "%+.2f", $0) } ?? ""
      notes["p"] = incident.pValue.map { String(format: "%.3g", $0) } ?? ""
      notes["baseline"] = incident.baseline ?? ""
    } else {
      notes["summary"] = "\(incident.series) is \(direction == "high" ? "above" : "below") its band"
    }
    annotations = notes
    startsAt = Self.time(incident.start)
    endsAt = resolved ? Self.time(max(min(incident.end, now), incident.start + 1)) : nil
    generatorURL = template.isEmpty ? nil : Self.link(template, series: incident.series)
  }

  /// The labels of a series named in Graphite's tag syntax
  /// (`name;tag=value;tag=value`): each tag whose name is a valid
  /// Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`, not `__`-prefixed,
  /// which Alertmanager reserves) and whose value is not empty. Others are
  /// left out (the whole name stays in the `series` label).
  static func tags(of series: String) -> [String: String] {
    var tags: [String: String] = [:]
    for part in series.split(separator: ";").dropFirst() {
      guard let equals = part.firstIndex(of: "=") else { continue }
      let name = part[..<equals], value = part[part.index(after: equals)...]
      guard let first = name.utf8.first, !value.isEmpty, !name.hasPrefix("__"),
        first == 0x5F || (0x41...0x5A).contains(first) || (0x61...0x7A).contains(first),
        name.utf8.allSatisfy({
          $0 == 0x5F || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0)
        })
      else { continue }
      tags[String(name)] = String(value)
    }
    return tags
  }

  /// `template` with `{series}` replaced by the series name, percent-encoded
  /// as a URL query value (every byte outside RFC 3986's unreserved set).
  static func link(_ template: String, series: String) -> String {
    let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
    let encoded = series.utf8.map {
      unreserved.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0)
    }
    .joined()
    return template.replacingOccurrences(of: "{series}", with: encoded)
  }
}
