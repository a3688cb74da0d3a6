import Foundation

/// Self-monitoring in node_exporter's textfile-collector format: a `NAME.prom`
/// file in a configured directory, replaced atomically (written under a
/// random `.outlierd-….tmp` name, which the collector ignores and nobody can
/// plant a symlink at in advance, then renamed), at most
/// every `interval` seconds and whenever `force` says so.
package struct TextfileMetrics {
  package struct Metric: Sendable {
    package var name: String
    package var help: String
    /// `counter` or `gauge`.
    package var type: String
    package var value: Double

    package static func counter(_ name: String, _ value: Int, _ help: String) -> Metric {
      Metric(name: name, help: help, type: "counter", value: Double(value))
    }

    package static func gauge(_ name: String, _ value: Double, _ help: String) -> Metric {
      Metric(name: name, help: help, type: "gauge", value: value)
    }
  }

  /// The directory; empty: no file is written.
  package let directory: String
  /// The file name without `.prom`.
  package let name: String
  package var interval: Double = 10

  /// Whether a directory is set: without one nothing is written.
  package var isEnabled: Bool { !directory.isEmpty }
  private var lastWrite = -Double.infinity

  package init(directory: String, name: String) {
    self.directory = directory
    self.name = name
  }

  /// The file's text.
  package static func render(_ metrics: [Metric]) -> String {
    metrics.map { metric in
      let value =
        metric.value == metric.value.rounded() && abs(metric.value) < 1e15
        ? String(Int64(metric.value)) : String(metric.value)
      return
        "# HELP \(metric.name) \(metric.help)\n# TYPE \(metric.name) \(metric.type)\n\(metric.name) \(value)\n"
    }.joined()
  }

  /// Writes the file when `interval` has passed since the last write, or
  /// when forced; returns a failure to log, or nil.
  package mutating func write(_ metrics: @autoclosure () -> [Metric], now: Double, force: Bool = false)
    -> String?
  {
    guard !directory.isEmpty, force || now - lastWrite >= interval else { return nil }
    lastWrite = now
    do {
      try FileSystem.writeAtomically(
        directory + "/" + name + ".prom", Array(Self.render(metrics()).utf8), mode: 0o644)
      return nil
    } catch {
      return "metrics: \(error)"
    }
  }
}
