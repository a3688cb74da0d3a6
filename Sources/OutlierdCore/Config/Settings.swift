import Foundation

/// Every setting of outlierd, with its default. etc/outlierd.conf documents
/// the same keys with the same defaults; a test keeps the two in step.
package struct Settings: Sendable, Equatable {
  package static let defaultPath = "/etc/outlierd/outlierd.conf"

  // [storage]
  package var database = "/var/lib/outlierd/outlierd.db"
  /// Days of raw samples kept per series for `outlierd plot`; 0 keeps none.
  package var historyDays = 14
  /// How long a write waits for a lock held by another connection.
  package var busyTimeout: Double = 5
  /// The database may not grow past this many bytes; 0: no limit but the disk.
  package var maxDatabaseSize = 0
  /// Alerts, closed incidents, events, rejected lines and file-ledger rows
  /// older than this are deleted (seconds); 0 keeps them.
  package var retention: Double = 0

  // [spool]
  package var spool = "/var/spool/outlierd"
  /// Empty: a file is deleted once committed. Otherwise it is moved here.
  package var processed = ""
  package var rejected = "/var/lib/outlierd/rejected"
  /// Seconds between full scans of the spool, a safety net under inotify.
  package var rescanInterval: Double = 30
  /// Files of a backlog applied in one transaction at most (1: each alone).
  package var batchFiles = 64

  // [input]
  package var maxFileSize = 64 << 20
  package var maxLineLength = 4096
  package var maxSeriesNameLength = 255
  /// Samples stamped further ahead of the clock are rejected: one future
  /// sample would make every later sample of its series look out of order.
  package var maxFuture: Double = 900
  /// New series beyond this count are rejected; 0 means no cap.
  package var maxSeries = 1_000_000

  // [relay]
  /// Where `outlierd relay` listens when systemd passes it no socket.
  package var relayListen = "127.0.0.1:2003"
  /// How often the relay writes what it received into a spool file.
  package var relayFlushInterval: Double = 5
  /// Connections the relay serves at once; more wait in the kernel's
  /// backlog, unaccepted.
  package var relayMaxConnections = 256
  /// Connections the relay serves at once from one address; more are
  /// reset before anything is read from them.
  package var relayMaxConnectionsPerPeer = 32
  /// A connection that sends nothing for this long is closed.
  package var relayIdleTimeout: Double = 600

  // [metrics]
  /// node_exporter's textfile-collector directory; empty: no metrics file.
  package var metricsDirectory = ""

  // [notify]
  /// Alertmanager's address for `outlierd notify`; empty: no delivery.
  package var notifyAlertmanager = ""
  /// PEM files for HTTPS: the CA that signed Alertmanager's certificate
  /// (empty: the system's trust store), a client certificate and its key.
  package var notifyCAFile = ""
  package var notifyCertificateFile = ""
  package var notifyKeyFile = ""
  /// Basic authentication: the user, and a file holding the password.
  package var notifyUsername = ""
  package var notifyPasswordFile = ""
  /// A file holding a bearer token (`Authorization: Bearer …`).
  package var notifyBearerTokenFile = ""
  /// How often an open incident's alert is sent again.
  package var notifyResendInterval: Double = 60
  /// The notifier's delivery ledger (its own database).
  package var notifyDatabase = "/var/lib/outlierd-notify/notify.db"
  /// A command (run by /bin/sh -c) that takes each alert as JSON on stdin;
  /// instead of Alertmanager.
  package var notifyExec = ""
  package var notifyExecTimeout: Double = 10
  /// Extra labels on every alert: "team=db,env=prod".
  package var notifyLabels = ""
  /// Each alert's generatorURL, `{series}` replaced by the series name;
  /// empty: none.
  package var notifyGeneratorURL = ""

  // [calendar]
  package var period = SlotCalendar.week
  package var slotWidth = 300
  package var timeZone = "UTC"

  // [detection]
  package var threshold: Double = 3.5
  package var thresholdScale = ThresholdScale.normal
  package var minSamples = 3
  /// Slots per block whose residual variance is pooled; 1: no pooling.
  package var poolSlots = 24
  package var leverage = true
  /// Calibrate each series' threshold to its own score tail (ScoreTail).
  package var calibrate = true
  /// Judge samples of warming slots by the series' recent level.
  package var coldStart = true
  /// Outliers in a row, same direction, after which a series is taken to
  /// have shifted level; 0: never.
  package var shiftAfter = 6
  /// Samples a slot needs before its line gets a slope; 0: from the start.
  package var trendAfter = 8
  /// Seconds a suspected shift's new level must hold, from the run's start,
  /// before the slots learn it; until then a return to the old level undoes
  /// it. 0: at once.
  package var shiftConfirm: Double = 86400
  /// Alerts of one series and direction at most this far apart form one incident.
  package var incidentGap: Double = 1800
  /// Chance critical incidents an operator accepts per series per day
  /// (`IncidentSeverity`): the rest are warnings. 0: none is critical.
  package var criticalRate = 0.001
  /// A series silent for longer raises a "stale" event; 0: never.
  package var staleAfter: Double = 0
  /// 0: never forget.
  package var memory: Double = 0
  package var learning = LearningPolicy.clip
  package var noiseFloorRelative = NoiseFloor.standard.relative
  package var noiseFloorAbsolute = NoiseFloor.standard.absolute

  /// [[override]] tables: per-series threshold and minimum samples.
  package var overrides: [Override] = []

  /// [[maintenance]] tables: weekly windows in which matching series are
  /// neither judged nor learned.
  package var maintenance: [MaintenanceWindow] = []

  package struct Override: Sendable, Equatable {
    package var series: String
    package var threshold: Double?
    package var minSamples: Int?
  }

  package init() {}

  package func calendar() throws -> SlotCalendar {
    try SlotCalendar(period: period, slotWidth: slotWidth, timeZone: timeZone)
  }

  /// The scoring rules for one series: the first override whose glob
  /// matches the name, on top of the [detection] defaults.
  package func rules(forSeries name: String) -> ScoringRules {
    var threshold = self.threshold
    var minSamples = self.minSamples
    if let match = overrides.first(where: { Glob.matches($0.series, name) }) {
      threshold = match.threshold ?? threshold
      minSamples = match.minSamples ?? minSamples
    }
    return ScoringRules(
      threshold: threshold, scale: thresholdScale, minimumSamples: minSamples,
      memory: memory > 0 ? memory : .infinity,
      learning: learning, noiseFloor: NoiseFloor(relative: noiseFloorRelative, absolute: noiseFloorAbsolute),
      leverage: leverage, calibrate: calibrate, coldStart: coldStart, trendAfter: Double(trendAfter))
  }

  /// The slots in which a series' samples are neither judged nor learned:
  /// those of the maintenance windows that match its name.
  package func pausedSlots(forSeries name: String) -> [Range<Int32>] {
    maintenance.filter { Glob.matches($0.series, name) }.flatMap {
      $0.slots(slotWidth: slotWidth, slotCount: slotWidthCount)
    }
  }
}

extension Settings {
  /// Reads and validates a configuration file.
  package static func load(path: String) throws(ConfigError) -> Settings {
    let text: String
    do {
      let data = try Data(contentsOf: URL(fileURLWithPath: path))
      guard let decoded = String(data: data, encoding: .utf8) else {
        throw ConfigError(file: path, line: nil, key: nil, message: "the file is not UTF-8 text")
      }
      text = decoded
    } catch let error as ConfigError {
      throw error
    } catch {
      // What went wrong, asked of the system itself, and what to do.
      var info = stat()
      let reason: String
      if stat(path, &info) != 0 && errno == ENOENT {
        reason =
          "no such file; pass --config PATH, or start from the example config (etc/outlierd.conf in the source, /etc/outlierd/outlierd.conf from the package)"
      } else if info.st_mode & S_IFMT == S_IFDIR {
        reason = "it is a directory; pass the config file's path"
      } else if access(path, R_OK) != 0 {
        reason = "permission denied; the installed config is readable by root and the outlierd group"
      } else {
        reason = "cannot read the file (\(error.localizedDescription))"
      }
      throw ConfigError(file: path, line: nil, key: nil, message: reason)
    }
    return try Settings(parsing: text, file: path)
  }

  package init(parsing text: String, file: String) throws(ConfigError) {
    self.init()
    let document = try ConfigDocument(parsing: text, file: file)
    for table in document.tables {
      var reader = TableReader(table: table, file: file)
      switch (table.name, table.isArrayElement) {
      case ("", false):
        break
      case (let name, false) where Self.tables.contains(name):
        for key in Self.keys where key.table == name { try key.read(&self, &reader) }
      case ("maintenance", true):
        let series = try reader.string("series") ?? "*"
        guard let text = try reader.string("weekly") else {
          throw ConfigError(
            file: file, line: table.line, key: "weekly",
            message: "every [[maintenance]] needs weekly = \"Sun 02:00-04:00\"")
        }
        guard let window = MaintenanceWindow(series: series, weekly: text) else {
          throw reader.error(
            "weekly",
            "cannot read \"\(text)\"; write a day (Mon … Sun) and a time range, e.g. \"Sun 02:00-04:00\"")
        }
        maintenance.append(window)
      case ("override", true):
        guard let series = try reader.string("series"), !series.isEmpty else {
          throw ConfigError(
            file: file, line: table.line, key: "series",
            message: "every [[override]] needs a series = \"glob\"")
        }
        let override = Override(
          series: series, threshold: try reader.float("threshold", in: 0.1...1000),
          minSamples: try reader.integer("min_samples", in: 2...1_000_000))
        overrides.append(override)
      default:
        let header = table.isArrayElement ? "[[\(table.name)]]" : "[\(table.name)]"
        throw ConfigError(
          file: file, line: table.line, key: nil,
          message:
            "unknown table \(header); known: \(Self.tables.map { "[\($0)]" }.joined(separator: ", ")), [[maintenance]], [[override]]"
        )
      }
      try reader.rejectUnusedKeys()
    }
    try validate(file: file)
  }

  /// Checks that need more than one key.
  func validate(file: String) throws(ConfigError) {
    do { _ = try calendar() } catch {
      throw ConfigError(file: file, line: nil, key: "calendar", message: String(describing: error))
    }
    for (minimum, key) in [(minSamples, "detection.min_samples")]
      + overrides.compactMap({ o in o.minSamples.map { ($0, "override \(o.series)") } })
    where poolSlots <= 1 && minimum < 3 {
      throw ConfigError(
        file: file, line: nil, key: key,
        message:
          "min_samples \(minimum) needs pooled noise (pool_slots > 1): a slot alone needs 3 samples to estimate its noise"
      )
    }
    if !maintenance.isEmpty && period != SlotCalendar.week {
      throw ConfigError(
        file: file, line: nil, key: "maintenance",
        message: "[[maintenance]] windows are weekly; they need calendar.period = \"1w\"")
    }
    if poolSlots > slotWidthCount {
      throw ConfigError(
        file: file, line: nil, key: "detection.pool_slots",
        message: "pool_slots \(poolSlots) is more than the \(slotWidthCount) slots of the period")
    }
    if memory > 0 && memory < Double(minSamples) {
      throw ConfigError(
        file: file, line: nil, key: "detection.memory",
        message:
          "memory \(memory) is below min_samples \(minSamples), so no slot could ever judge; use 0 (never forget) or at least \(minSamples)"
      )
    }
    for override in overrides where override.minSamples.map({ memory > 0 && Double($0) > memory }) ?? false {
      throw ConfigError(
        file: file, line: nil, key: "override \(override.series)",
        message:
          "min_samples \(override.minSamples!) is above memory \(memory), so matching slots could never judge"
      )
    }
  }

  var slotWidthCount: Int { slotWidth > 0 ? period / slotWidth : 0 }

  /// The combined p at or below which an incident is critical: the
  /// critical rate over a day of samples, one a slot.
  package var criticalP: Double {
    IncidentSeverity.criticalP(rate: criticalRate, samplesPerDay: 86_400 / Double(max(slotWidth, 1)))
  }

  /// The effective settings as a configuration file, for check-config.
  /// What differs from `old`, key by key as `section.key (old → new)`, in
  /// the order of `rendered()`; an [[override]] that changed is named by
  /// its series glob.
  package func changes(from old: Settings) -> [String] {
    func values(_ settings: Settings) -> [(key: String, value: String)] {
      var section = ""
      var overrides = 0
      var result: [(String, String)] = []
      for line in settings.rendered().split(separator: "\n") {
        if line.hasPrefix("[[override]]") {
          overrides += 1
          section = "override[\(overrides)]"
        } else if line.hasPrefix("[") {
          section = String(line.dropFirst().dropLast())
        } else if let equals = line.range(of: " = ") {
          result.append(("\(section).\(line[..<equals.lowerBound])", String(line[equals.upperBound...])))
        }
      }
      return result
    }
    let before = Dictionary(values(old), uniquingKeysWith: { a, _ in a })
    var changes: [String] = []
    var seen: Set<String> = []
    for (key, value) in values(self) {
      seen.insert(key)
      if let was = before[key] {
        if was != value { changes.append("\(key) (\(was) → \(value))") }
      } else {
        changes.append("\(key) (→ \(value))")
      }
    }
    for (key, value) in values(old) where !seen.contains(key) { changes.append("\(key) (\(value) →)") }
    return changes
  }

  package func rendered() -> String {
    func q(_ s: String) -> String { SettingKey.quoted(s) }
    var lines: [String] = []
    for table in Self.tables {
      lines += (lines.isEmpty ? [] : [""]) + ["[\(table)]"]
      lines += Self.keys.filter { $0.table == table }.map { "\($0.name) = \($0.render(self))" }
    }
    for window in maintenance {
      lines += ["", "[[maintenance]]", "series = \(q(window.series))", "weekly = \(q(window.weekly))"]
    }
    for override in overrides {
      lines += ["", "[[override]]", "series = \(q(override.series))"]
      if let t = override.threshold { lines.append("threshold = \(t)") }
      if let m = override.minSamples { lines.append("min_samples = \(m)") }
    }
    return lines.joined(separator: "\n") + "\n"
  }
}

extension Settings {
  /// Seconds from a number or a string with a unit ("90s", "5m", "2h",
  /// "1d", "1w"), as durations are written in the config; nil otherwise.
  package static func seconds(_ text: String) -> Double? { TableReader.parseDuration(text) }
}
