import Foundation

/// Self-monitoring in node_exporter's textfile-collector format: a `NAME.prom`
/// file in a configured directory, replaced atomically (written under a
/// random `.outlierd-….tmp` name, which the collector ignores and nobody can
/// plant a symlink at in advance, then renamed), at most
/// every `interval` seconds and whenever `force` says so.
public struct TextfileMetrics {
  public struct Metric: Sendable {
    public var name: String
    public var help: String
    /// `counter` or `gauge`.
    public var type: String
    public var value: Double

    public static func counter(_ name: String, _ value: Int, _ help: String) -> Metric {
      Metric(name: name, help: help, type: "counter", value: Double(value))
    }

    public static func gauge(_ name: String, _ value: Double, _ help: String) -> Metric {
      Metric(name: name, help: help, type: "gauge", value: value)
    }
  }

  /// The directory; empty: no file is written.
  public let directory: String
  /// The file name without `.prom`.
  public let name: String
  public var interval: Double = 10
  private var lastWrite = -Double.infinity

  public init(directory: String, name: String) {
    self.directory = directory
    self.name = name
  }

  /// The file's text.
  public static func render(_ metrics: [Metric]) -> String {
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
  public mutating func write(_ metrics: @autoclosure () -> [Metric], now: Double, force: Bool = false)
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
