import Foundation

/// Every setting of outlierd, with its default. etc/outlierd.conf documents
/// the same keys with the same defaults; a test keeps the two in step.
public struct Settings: Sendable, Equatable {
  public static let defaultPath = "/etc/outlierd/outlierd.conf"

  // [storage]
  public var database = "/var/lib/outlierd/outlierd.db"
  /// Days of raw samples kept per series for `outlierd plot`; 0 keeps none.
  public var historyDays = 14
  /// How long a write waits for a lock held by another connection.
  public var busyTimeout: Double = 5
  /// The database may not grow past this many bytes; 0: no limit but the disk.
  public var maxDatabaseSize = 0

  // [spool]
  public var spool = "/var/spool/outlierd"
  /// Empty: a file is deleted once committed. Otherwise it is moved here.
  public var processed = ""
  public var rejected = "/var/lib/outlierd/rejected"
  /// Seconds between full scans of the spool, a safety net under inotify.
  public var rescanInterval: Double = 30
  /// Files of a backlog applied in one transaction at most (1: each alone).
  public var batchFiles = 64

  // [input]
  public var maxFileSize = 64 << 20
  public var maxLineLength = 4096
  public var maxSeriesNameLength = 255
  /// Samples stamped further ahead of the clock are rejected: one future
  /// sample would make every later sample of its series look out of order.
  public var maxFuture: Double = 900
  /// New series beyond this count are rejected; 0 means no cap.
  public var maxSeries = 1_000_000

  // [relay]
  /// Where `outlierd relay` listens when systemd passes it no socket.
  public var relayListen = "127.0.0.1:2003"
  /// How often the relay writes what it received into a spool file.
  public var relayFlushInterval: Double = 5
  /// Connections the relay serves at once; more are refused.
  public var relayMaxConnections = 256

  // [calendar]
  public var period = SlotCalendar.week
  public var slotWidth = 300
  public var timeZone = "UTC"

  // [detection]
  public var threshold: Double = 3.5
  public var thresholdScale = ThresholdScale.normal
  public var minSamples = 3
  /// Slots per block whose residual variance is pooled; 1: no pooling.
  public var poolSlots = 24
  public var leverage = true
  /// Calibrate each series' threshold to its own score tail (ScoreTail).
  public var calibrate = true
  /// Judge samples of warming slots by the series' recent level.
  public var coldStart = true
  /// Outliers in a row, same direction, after which a series is taken to
  /// have shifted level; 0: never.
  public var shiftAfter = 6
  /// Alerts of one series and direction at most this far apart form one incident.
  public var incidentGap: Double = 1800
  /// A series silent for longer raises a "stale" event; 0: never.
  public var staleAfter: Double = 0
  /// 0: never forget.
  public var memory: Double = 0
  public var learning = LearningPolicy.clip
  public var noiseFloorRelative = NoiseFloor.standard.relative
  public var noiseFloorAbsolute = NoiseFloor.standard.absolute

  /// [[override]] tables: per-series threshold and minimum samples.
  public var overrides: [Override] = []

  public struct Override: Sendable, Equatable {
    public var series: String
    public var threshold: Double?
    public var minSamples: Int?
  }

  public init() {}

  public func calendar() throws -> SlotCalendar {
    try SlotCalendar(period: period, slotWidth: slotWidth, timeZone: timeZone)
  }

  /// The scoring rules for one series: the first override whose glob
  /// matches the name, on top of the [detection] defaults.
  public func rules(forSeries name: String) -> ScoringRules {
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
      leverage: leverage, calibrate: calibrate, coldStart: coldStart)
  }
}

extension Settings {
  /// Reads and validates a configuration file.
  public static func load(path: String) throws(ConfigError) -> Settings {
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
      throw ConfigError(
        file: path, line: nil, key: nil, message: "cannot read the file: \(error.localizedDescription)")
    }
    return try Settings(parsing: text, file: path)
  }

  public init(parsing text: String, file: String) throws(ConfigError) {
    self.init()
    let document = try ConfigDocument(parsing: text, file: file)
    for table in document.tables {
      var reader = TableReader(table: table, file: file)
      switch (table.name, table.isArrayElement) {
      case ("", false):
        break
      case ("storage", false):
        database = try reader.path("database") ?? database
        busyTimeout = try reader.duration("busy_timeout", in: 0...3600) ?? busyTimeout
        maxDatabaseSize = try reader.size("max_size", in: 0...(1 << 50)) ?? maxDatabaseSize
        if let seconds = try reader.duration("history", in: 0...(3650 * 86_400)) {
          guard seconds.truncatingRemainder(dividingBy: 86_400) == 0 else {
            throw reader.error("history", "must be a whole number of days, e.g. \"14d\"")
          }
          historyDays = Int(seconds / 86_400)
        }
      case ("spool", false):
        spool = try reader.path("directory") ?? spool
        processed = try reader.string("processed") ?? processed
        rejected = try reader.path("rejected") ?? rejected
        rescanInterval = try reader.duration("rescan_interval", in: 0.1...86_400) ?? rescanInterval
        batchFiles = try reader.integer("batch_files", in: 1...10_000) ?? batchFiles
      case ("input", false):
        maxFileSize = try reader.size("max_file_size", in: 1...(1 << 40)) ?? maxFileSize
        maxLineLength = try reader.integer("max_line_length", in: 16...(1 << 24)) ?? maxLineLength
        maxSeriesNameLength = try reader.integer("max_series_name", in: 1...4096) ?? maxSeriesNameLength
        maxFuture = try reader.duration("max_future", in: 0...(366 * 86_400)) ?? maxFuture
        maxSeries = try reader.integer("max_series", in: 0...1_000_000_000) ?? maxSeries
      case ("relay", false):
        relayListen = try reader.string("listen") ?? relayListen
        relayFlushInterval = try reader.duration("flush_interval", in: 0.05...3600) ?? relayFlushInterval
        relayMaxConnections = try reader.integer("max_connections", in: 1...100_000) ?? relayMaxConnections
      case ("calendar", false):
        period = try reader.durationSeconds("period", in: 1...(366 * 86_400)) ?? period
        slotWidth = try reader.durationSeconds("slot_width", in: 1...(366 * 86_400)) ?? slotWidth
        timeZone = try reader.string("time_zone") ?? timeZone
      case ("detection", false):
        threshold = try reader.float("threshold", in: 0.1...1000) ?? threshold
        if let scale = try reader.string("threshold_scale") {
          guard let parsed = ThresholdScale(rawValue: scale) else {
            throw reader.error("threshold_scale", "must be \"normal\" or \"t\", got \"\(scale)\"")
          }
          thresholdScale = parsed
        }
        minSamples = try reader.integer("min_samples", in: 2...1_000_000) ?? minSamples
        poolSlots = try reader.integer("pool_slots", in: 1...100_000) ?? poolSlots
        leverage = try reader.boolean("leverage") ?? leverage
        calibrate = try reader.boolean("calibrate") ?? calibrate
        coldStart = try reader.boolean("cold_start") ?? coldStart
        shiftAfter = try reader.integer("shift_after", in: 0...1_000_000) ?? shiftAfter
        incidentGap = try reader.duration("incident_gap", in: 0...(366 * 86_400)) ?? incidentGap
        staleAfter = try reader.duration("stale_after", in: 0...(366 * 86_400)) ?? staleAfter
        memory = try reader.float("memory", in: 0...1e12) ?? memory
        if let policy = try reader.string("learning") {
          guard let parsed = LearningPolicy(rawValue: policy) else {
            throw reader.error(
              "learning",
              "must be one of \(LearningPolicy.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(policy)\""
            )
          }
          learning = parsed
        }
        noiseFloorRelative = try reader.float("noise_floor_relative", in: 0...1) ?? noiseFloorRelative
        noiseFloorAbsolute =
          try reader.float("noise_floor_absolute", in: 0...Double.greatestFiniteMagnitude)
          ?? noiseFloorAbsolute
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
            "unknown table \(header); known: [storage], [spool], [input], [relay], [calendar], [detection], [[override]]"
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

  /// The effective settings as a configuration file, for check-config.
  /// What differs from `old`, key by key as `section.key (old → new)`, in
  /// the order of `rendered()`; an [[override]] that changed is named by
  /// its series glob.
  public func changes(from old: Settings) -> [String] {
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

  public func rendered() -> String {
    func q(_ s: String) -> String {
      "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        + "\""
    }
    var lines = [
      "[storage]", "database = \(q(database))", "history = \"\(historyDays)d\"",
      "busy_timeout = \(busyTimeout.formatted(maxFractionDigits: 3))", "max_size = \(maxDatabaseSize)", "",
      "[spool]", "directory = \(q(spool))", "processed = \(q(processed))", "rejected = \(q(rejected))",
      "rescan_interval = \(rescanInterval.formatted(maxFractionDigits: 3))", "batch_files = \(batchFiles)",
      "",
      "[input]", "max_file_size = \(maxFileSize)", "max_line_length = \(maxLineLength)",
      "max_series_name = \(maxSeriesNameLength)", "max_future = \(maxFuture.formatted(maxFractionDigits: 3))",
      "max_series = \(maxSeries)", "",
      "[relay]", "listen = \(q(relayListen))",
      "flush_interval = \(relayFlushInterval.formatted(maxFractionDigits: 3))",
      "max_connections = \(relayMaxConnections)", "",
      "[calendar]", "period = \(period)", "slot_width = \(slotWidth)", "time_zone = \(q(timeZone))", "",
      "[detection]", "threshold = \(threshold)", "threshold_scale = \(q(thresholdScale.rawValue))",
      "min_samples = \(minSamples)", "pool_slots = \(poolSlots)", "leverage = \(leverage)",
      "calibrate = \(calibrate)", "cold_start = \(coldStart)",
      "shift_after = \(shiftAfter)",
      "incident_gap = \(incidentGap.formatted(maxFractionDigits: 3))",
      "stale_after = \(staleAfter.formatted(maxFractionDigits: 3))",
      "memory = \(memory)",
      "learning = \(q(learning.rawValue))", "noise_floor_relative = \(noiseFloorRelative)",
      "noise_floor_absolute = \(noiseFloorAbsolute)",
    ]
    for override in overrides {
      lines += ["", "[[override]]", "series = \(q(override.series))"]
      if let t = override.threshold { lines.append("threshold = \(t)") }
      if let m = override.minSamples { lines.append("min_samples = \(m)") }
    }
    return lines.joined(separator: "\n") + "\n"
  }
}

/// Typed access to one table's keys; remembers which were read so unknown
/// keys can be reported.
private struct TableReader {
  let table: ConfigDocument.Table
  let file: String
  var used: Set<String> = []

  init(table: ConfigDocument.Table, file: String) {
    self.table = table
    self.file = file
  }

  private var qualifiedPrefix: String { table.name.isEmpty ? "" : table.name + "." }

  func error(_ key: String, _ message: String) -> ConfigError {
    let line = table.entries.first { $0.key == key }?.line ?? table.line
    return ConfigError(file: file, line: line, key: qualifiedPrefix + key, message: message)
  }

  private mutating func value(_ key: String) -> ConfigDocument.Value? {
    used.insert(key)
    return table.entries.first { $0.key == key }?.value
  }

  mutating func string(_ key: String) throws(ConfigError) -> String? {
    switch value(key) {
    case nil: return nil
    case .string(let s): return s
    case let other?: throw error(key, "expected a quoted string, got \(other)")
    }
  }

  mutating func boolean(_ key: String) throws(ConfigError) -> Bool? {
    switch value(key) {
    case nil: return nil
    case .boolean(let b): return b
    case let other?: throw error(key, "expected true or false, got \(other)")
    }
  }

  mutating func path(_ key: String) throws(ConfigError) -> String? {
    guard let s = try string(key) else { return nil }
    guard !s.isEmpty else { throw error(key, "must not be empty") }
    return s
  }

  mutating func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
    switch value(key) {
    case nil: return nil
    case .integer(let i):
      guard let v = Int(exactly: i), range.contains(v) else {
        throw error(key, "must be between \(range.lowerBound) and \(range.upperBound), got \(i)")
      }
      return v
    case let other?: throw error(key, "expected a whole number, got \(other)")
    }
  }

  mutating func float(_ key: String, in range: ClosedRange<Double>) throws(ConfigError) -> Double? {
    let v: Double
    switch value(key) {
    case nil: return nil
    case .integer(let i): v = Double(i)
    case .float(let d): v = d
    case let other?: throw error(key, "expected a number, got \(other)")
    }
    guard range.contains(v) else {
      throw error(
        key,
        "must be between \(range.lowerBound.formatted(maxFractionDigits: 6)) and \(range.upperBound.formatted(maxFractionDigits: 6)), got \(v.formatted(maxFractionDigits: 6))"
      )
    }
    return v
  }

  /// Seconds, as a number or a string with a unit: "90s", "5m", "2h", "1d", "1w".
  mutating func duration(_ key: String, in range: ClosedRange<Double>) throws(ConfigError) -> Double? {
    let seconds: Double
    switch value(key) {
    case nil: return nil
    case .integer(let i): seconds = Double(i)
    case .float(let d): seconds = d
    case .string(let s):
      guard let parsed = Self.parseDuration(s) else {
        throw error(
          key, "cannot read \"\(s)\" as a duration; write e.g. 300, \"90s\", \"5m\", \"2h\", \"1d\" or \"1w\""
        )
      }
      seconds = parsed
    case let other?: throw error(key, "expected a duration, got \(other)")
    }
    guard range.contains(seconds) else {
      throw error(
        key,
        "must be between \(range.lowerBound.formatted(maxFractionDigits: 3)) s and \(range.upperBound.formatted(maxFractionDigits: 3)) s, got \(seconds.formatted(maxFractionDigits: 3)) s"
      )
    }
    return seconds
  }

  mutating func durationSeconds(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
    guard let seconds = try duration(key, in: Double(range.lowerBound)...Double(range.upperBound)) else {
      return nil
    }
    guard seconds == seconds.rounded() else { throw error(key, "must be a whole number of seconds") }
    return Int(seconds)
  }

  /// Bytes, as a number or a string with a unit: "512KiB", "64MiB", "1GiB".
  mutating func size(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
    let bytes: Int
    switch value(key) {
    case nil: return nil
    case .integer(let i): bytes = Int(i)
    case .string(let s):
      let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("B", 1)]
      guard let (unit, factor) = units.first(where: { s.hasSuffix($0.0) }),
        let number = Int(s.dropLast(unit.count).trimmingCharacters(in: .whitespaces))
      else {
        throw error(
          key, "cannot read \"\(s)\" as a size; write e.g. 1048576, \"512KiB\", \"64MiB\" or \"1GiB\"")
      }
      // "9000000000GiB" is more bytes than an Int holds: an error, not a trap.
      let (product, overflow) = number.multipliedReportingOverflow(by: factor)
      guard !overflow else {
        throw error(
          key, "\"\(s)\" is too large; must be between \(range.lowerBound) and \(range.upperBound) bytes")
      }
      bytes = product
    case let other?: throw error(key, "expected a size, got \(other)")
    }
    guard range.contains(bytes) else {
      throw error(key, "must be between \(range.lowerBound) and \(range.upperBound) bytes, got \(bytes)")
    }
    return bytes
  }

  static func parseDuration(_ text: String) -> Double? {
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard let last = trimmed.last else { return nil }
    if let factor = units[last], let number = Double(trimmed.dropLast()), number.isFinite {
      return number * factor
    }
    return Double(trimmed).flatMap { $0.isFinite ? $0 : nil }
  }

  func rejectUnusedKeys() throws(ConfigError) {
    for entry in table.entries where !used.contains(entry.key) {
      let header =
        table.name.isEmpty ? "the top level" : table.isArrayElement ? "[[\(table.name)]]" : "[\(table.name)]"
      let known = used.sorted().joined(separator: ", ")
      throw ConfigError(
        file: file, line: entry.line, key: qualifiedPrefix + entry.key,
        message: "unknown key in \(header)" + (known.isEmpty ? "" : "; known keys: \(known)"))
    }
  }
}
