import Foundation

/// One key of the configuration file: its table, its name, how its value
/// is read into `Settings` (with its type and range) and written back.
///
/// `Settings.keys` is the one list of keys: parsing, `rendered()` (what
/// `check-config` prints and reload compares), the "known keys" of an error,
/// and the test that keeps etc/outlierd.conf documenting every key all read
/// it. [[override]] tables are read apart (they repeat).
struct SettingKey {
  let table: String
  let name: String
  let read: (inout Settings, inout TableReader) throws(ConfigError) -> Void
  let render: (Settings) -> String

  static func quoted(_ s: String) -> String {
    "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }

  /// A key whose value is read by one of TableReader's typed readers into
  /// one field, and written back by `render`.
  private static func field<Value>(
    _ table: String, _ name: String, _ field: WritableKeyPath<Settings, Value>,
    read: @escaping (inout TableReader, String) throws(ConfigError) -> Value?,
    render: @escaping (Value) -> String
  ) -> SettingKey {
    SettingKey(
      table: table, name: name,
      read: { (settings, reader) throws(ConfigError) in
        if let value = try read(&reader, name) { settings[keyPath: field] = value }
      },
      render: { render($0[keyPath: field]) })
  }

  /// A quoted string; `nonEmpty` for paths.
  static func string(
    _ table: String, _ name: String, _ field: WritableKeyPath<Settings, String>, nonEmpty: Bool = false
  ) -> SettingKey {
    Self.field(
      table, name, field, read: { (r, n) throws(ConfigError) in try nonEmpty ? r.path(n) : r.string(n) },
      render: quoted)
  }

  static func integer(
    _ table: String, _ name: String, _ field: WritableKeyPath<Settings, Int>, in range: ClosedRange<Int>
  ) -> SettingKey {
    Self.field(
      table, name, field, read: { (r, n) throws(ConfigError) in try r.integer(n, in: range) },
      render: { String($0) })
  }

  static func float(
    _ table: String, _ name: String, _ field: WritableKeyPath<Settings, Double>, in range: ClosedRange<Double>
  ) -> SettingKey {
    Self.field(
      table, name, field, read: { (r, n) throws(ConfigError) in try r.float(n, in: range) },
      render: { String($0) })
  }

  static func boolean(_ table: String, _ name: String, _ field: WritableKeyPath<Settings, Bool>) -> SettingKey
  {
    Self.field(
      table, name, field, read: { (r, n) throws(ConfigError) in try r.boolean(n) }, render: { String($0) })
  }

  /// Seconds, written as a number or with a unit ("5m").
  static func duration(
    _ table: String, _ name: String, _ field: WritableKeyPath<Settings, Double>, in range: ClosedRange<Double>
  ) -> SettingKey {
    Self.field(
      table, name, field, read: { (r, n) throws(ConfigError) in try r.duration(n, in: range) },
      render: { $0.formatted(maxFractionDigits: 3) })
  }

  /// Whole seconds, written as a number or with a unit ("1w").
  static func wholeSeconds(
    _ table: String, _ name: String, _ field: WritableKeyPath<Settings, Int>, in range: ClosedRange<Int>
  ) -> SettingKey {
    Self.field(
      table, name, field, read: { (r, n) throws(ConfigError) in try r.durationSeconds(n, in: range) },
      render: { String($0) })
  }

  /// Bytes, written as a number or with a unit ("64MiB").
  static func size(
    _ table: String, _ name: String, _ field: WritableKeyPath<Settings, Int>, in range: ClosedRange<Int>
  ) -> SettingKey {
    Self.field(
      table, name, field, read: { (r, n) throws(ConfigError) in try r.size(n, in: range) },
      render: { String($0) })
  }

  /// One of an enumeration's raw values.
  static func choice<Choice: RawRepresentable & CaseIterable>(
    _ table: String, _ name: String, _ field: WritableKeyPath<Settings, Choice>
  ) -> SettingKey where Choice.RawValue == String {
    SettingKey(
      table: table, name: name,
      read: { (settings, reader) throws(ConfigError) in
        guard let text = try reader.string(name) else { return }
        guard let choice = Choice(rawValue: text) else {
          let allowed = Choice.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
          throw reader.error(name, "must be one of \(allowed), got \"\(text)\"")
        }
        settings[keyPath: field] = choice
      },
      render: { quoted($0[keyPath: field].rawValue) })
  }
}

extension Settings {
  /// The plain tables, in the order `rendered()` writes them.
  static let tables = ["storage", "spool", "input", "relay", "notify", "metrics", "calendar", "detection"]

  /// Every key of the plain tables, in the order `rendered()` writes them.
  static var keys: [SettingKey] {
    [
      .string("storage", "database", \.database, nonEmpty: true),
      SettingKey(
        table: "storage", name: "history",
        read: { (settings, reader) throws(ConfigError) in
          guard let seconds = try reader.duration("history", in: 0...(3650 * 86_400)) else { return }
          guard seconds.truncatingRemainder(dividingBy: 86_400) == 0 else {
            throw reader.error("history", "must be a whole number of days, e.g. \"14d\"")
          }
          settings.historyDays = Int(seconds / 86_400)
        },
        render: { "\"\($0.historyDays)d\"" }),
      .duration("storage", "busy_timeout", \.busyTimeout, in: 0...3600),
      .size("storage", "max_size", \.maxDatabaseSize, in: 0...(1 << 50)),
      .duration("storage", "retention", \.retention, in: 0...(3650 * 86_400)),

      .string("spool", "directory", \.spool, nonEmpty: true),
      .string("spool", "processed", \.processed),
      .string("spool", "rejected", \.rejected, nonEmpty: true),
      .duration("spool", "rescan_interval", \.rescanInterval, in: 0.1...86_400),
      .integer("spool", "batch_files", \.batchFiles, in: 1...10_000),

      .size("input", "max_file_size", \.maxFileSize, in: 1...(1 << 40)),
      .integer("input", "max_line_length", \.maxLineLength, in: 16...(1 << 24)),
      .integer("input", "max_series_name", \.maxSeriesNameLength, in: 1...4096),
      .duration("input", "max_future", \.maxFuture, in: 0...(366 * 86_400)),
      .integer("input", "max_series", \.maxSeries, in: 0...1_000_000_000),

      .string("relay", "listen", \.relayListen, nonEmpty: true),
      .duration("relay", "flush_interval", \.relayFlushInterval, in: 0.05...3600),
      .integer("relay", "max_connections", \.relayMaxConnections, in: 1...100_000),
      .integer("relay", "max_connections_per_peer", \.relayMaxConnectionsPerPeer, in: 1...100_000),
      .duration("relay", "idle_timeout", \.relayIdleTimeout, in: 1...(7 * 86_400)),

      .string("notify", "alertmanager_url", \.notifyAlertmanager),
      .string("notify", "ca_file", \.notifyCAFile),
      .string("notify", "cert_file", \.notifyCertificateFile),
      .string("notify", "key_file", \.notifyKeyFile),
      .string("notify", "username", \.notifyUsername),
      .string("notify", "password_file", \.notifyPasswordFile),
      .string("notify", "bearer_token_file", \.notifyBearerTokenFile),
      .duration("notify", "resend_interval", \.notifyResendInterval, in: 1...86_400),
      .string("notify", "database", \.notifyDatabase, nonEmpty: true),
      .string("notify", "exec", \.notifyExec),
      .duration("notify", "exec_timeout", \.notifyExecTimeout, in: 0.1...3600),
      .string("notify", "labels", \.notifyLabels),
      .string("notify", "generator_url", \.notifyGeneratorURL),

      .string("metrics", "textfile_directory", \.metricsDirectory),

      .wholeSeconds("calendar", "period", \.period, in: 1...(366 * 86_400)),
      .wholeSeconds("calendar", "slot_width", \.slotWidth, in: 1...(366 * 86_400)),
      .string("calendar", "time_zone", \.timeZone),

      .float("detection", "threshold", \.threshold, in: 0.1...1000),
      .choice("detection", "threshold_scale", \.thresholdScale),
      .integer("detection", "min_samples", \.minSamples, in: 2...1_000_000),
      .integer("detection", "pool_slots", \.poolSlots, in: 1...100_000),
      .boolean("detection", "leverage", \.leverage),
      .boolean("detection", "calibrate", \.calibrate),
      .boolean("detection", "cold_start", \.coldStart),
      .integer("detection", "trend_after", \.trendAfter, in: 0...1_000_000),
      .integer("detection", "shift_after", \.shiftAfter, in: 0...1_000_000),
      .duration("detection", "shift_confirm", \.shiftConfirm, in: 0...(366 * 86_400)),
      .duration("detection", "incident_gap", \.incidentGap, in: 0...(366 * 86_400)),
      .float("detection", "critical_rate", \.criticalRate, in: 0...1000),
      .duration("detection", "stale_after", \.staleAfter, in: 0...(366 * 86_400)),
      .float("detection", "memory", \.memory, in: 0...1e12),
      .choice("detection", "learning", \.learning),
      .float("detection", "noise_floor_relative", \.noiseFloorRelative, in: 0...1),
      .float(
        "detection", "noise_floor_absolute", \.noiseFloorAbsolute, in: 0...Double.greatestFiniteMagnitude),
    ]
  }
}
