import ArgumentParser
import Foundation
import OutlierdCore

struct Demo: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Set up a local demo: a config, a spool of generated metrics, and run the daemon over it.",
    discussion: """
      Writes DIR/outlierd.conf (every path inside DIR, no root needed), fills DIR/spool with \
      several weeks of weekly-pattern metrics with injected anomalies, one file per six hours, \
      then runs the daemon until the spool is empty and prints the alerts.
      """)

  @Option(help: "Where to put the demo's config, spool and database.")
  var directory = "demo"
  @Option(help: "Weeks of generated data.")
  var weeks = 8
  @Option(help: "Number of series.")
  var series = 5

  func run() throws {
    let root = URL(fileURLWithPath: directory).standardizedFileURL.path
    let spool = root + "/spool"
    try FileSystem.makeDirectory(spool)
    let configPath = root + "/outlierd.conf"
    let config = """
      # outlierd demo configuration, written by `outlierd demo`.
      [storage]
      database = "\(root)/outlierd.db"

      [spool]
      directory = "\(spool)"
      rejected = "\(root)/rejected"
      rescan_interval = "5s"

      # [detection] keeps its defaults; see etc/outlierd.conf.

      """
    try FileSystem.writeAtomically(configPath, Array(config.utf8))

    let data = DemoData(seriesCount: series, weeks: weeks, anomaliesFromWeek: max(weeks - 3, 1))
    var lines: [String] = []
    var fileStart = data.start
    var written = 0
    func flush() throws {
      guard !lines.isEmpty else { return }
      // The producer's idiom: write under a dot name, then rename into place.
      let name = "metrics-\(Int(fileStart)).txt"
      try FileSystem.writeAtomically(spool + "/." + name, Array((lines.joined(separator: "\n") + "\n").utf8))
      rename(spool + "/." + name, spool + "/" + name)
      lines.removeAll(keepingCapacity: true)
      written += 1
    }
    for sample in data.samples() {
      if sample.time >= fileStart + 6 * 3600 {
        try flush()
        fileStart = sample.time
      }
      lines.append("\(data.seriesName(sample.series)) \(sample.value) \(Int(sample.time))")
    }
    try flush()
    print(
      "demo: wrote \(configPath) and \(written) files (\(data.samplesPerSeries * series) samples) to \(spool)"
    )
    print("demo: injected \(data.anomalies.count) anomalies; running the daemon until the spool is empty…")

    let settings = try Settings.load(path: configPath)
    let logger = bootstrapLogging()
    let daemon = Daemon(configPath: configPath, settings: settings, logger: logger)
    try daemon.run(exitWhenIdle: true)
    let stats = daemon.statistics
    print(
      "demo: \(stats.files) files, \(stats.samples) samples, \(stats.alerts) alerts. Database: \(root)/outlierd.db"
    )
    print(
      "demo: incidents: sqlite3 \(ShellWord.quoted(root + "/outlierd.db")) 'SELECT * FROM incidents_readable'"
    )
    // Which incident is which: each injected anomaly with the incidents
    // that overlap it (from half an hour before to half an hour after),
    // then the others, which the generated data's noise and the model's
    // first weeks made.
    let incidents = try StoreReader(path: root + "/outlierd.db").incidents(
      seriesGlob: nil, since: nil, openOnly: false, limit: 100_000)
    var explained = Set<Int64>()
    let zone = TimeZone(identifier: settings.timeZone) ?? .gmt
    print("demo: injected anomalies (series, start, kind) and the incidents that found them:")
    for anomaly in data.anomalies {
      let name = data.seriesName(anomaly.series)
      let found = incidents.filter {
        $0.series == name && $0.start < anomaly.end + 1800 && $0.end >= anomaly.start - 1800
      }
      explained.formUnion(found.map(\.id))
      let verdict =
        found.isEmpty
        ? "missed"
        : found.map { "incident #\($0.id) (\($0.severity.rawValue))" }.joined(separator: ", ")
      print(
        "  \(name)  \(TimeExpression.format(anomaly.start, zone: zone))  \(anomaly.kind): \(verdict)"
      )
    }
    let others = incidents.filter { !explained.contains($0.id) }
    let critical = others.filter { $0.severity == .critical }.count
    print(
      "demo: \(others.count) other incidents (\(critical) critical) are the generated noise's, outside every injected anomaly; `outlierd incidents --config \(ShellWord.quoted(configPath))` lists them all"
    )
  }
}
