import ArgumentParser
import Foundation
import OutlierdCore

extension OutputTable.Format: ExpressibleByArgument {}

/// Options of the commands that read the database.
/// Where a reading command reads: the config (for the database path and
/// the thresholds) or a database named directly.
struct DatabaseOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "The configuration file (for the database path and the thresholds).", valueName: "path"))
  var config: String = Settings.defaultPath
  @Option(
    name: .customLong("database"),
    help: ArgumentHelp(
      "Read this database instead of the configured one. alerts, incidents, series and status take it again for each instance of a fleet ([name=]path): one table, with an instance column.",
      valueName: "path"))
  var databases: [String] = []

  /// The one database named, if any (`--database` given once).
  var database: String? { databases.first }

  /// The settings; without a config file, the defaults (when --database says where to read).
  func settings() throws -> Settings {
    if database != nil && !FileManager.default.fileExists(atPath: config) { return Settings() }
    return try loadSettings(path: config)
  }

  func reader() throws -> (StoreReader, Settings) {
    guard databases.count <= 1 else {
      throw badValue(
        "--database is given \(databases.count) times; this command reads one database (alerts, incidents, series and status read several)"
      )
    }
    let settings = try settings()
    return (try StoreReader(path: database ?? settings.database), settings)
  }

  /// One instance of a fleet: its name (nil when only one database is
  /// read: no instance column) and its reader.
  struct Instance {
    var name: String?
    var reader: StoreReader
  }

  /// Every database named by `--database` (`name=path`, or a path, which
  /// names itself), or the configured one.
  func instances() throws -> ([Instance], Settings) {
    let settings = try settings()
    guard databases.count > 1 else {
      return ([Instance(name: nil, reader: try StoreReader(path: database ?? settings.database))], settings)
    }
    var names: Set<String> = []
    let instances = try databases.map { argument in
      var name = argument, path = argument
      if let equals = argument.firstIndex(of: "="), !argument[..<equals].contains("/") {
        name = String(argument[..<equals])
        path = String(argument[argument.index(after: equals)...])
      }
      guard names.insert(name).inserted else {
        throw badValue(
          "--database \(argument): the instance name \(name) is given twice; name them (a=PATH b=PATH)")
      }
      return Instance(name: name, reader: try StoreReader(path: path))
    }
    return (instances, settings)
  }
}

/// A reading command that prints a table: where it reads, and the format.
struct ReadOptions: ParsableArguments {
  @OptionGroup var source: DatabaseOptions
  @Option(name: .long, help: "Output format: table, csv or json.")
  var format: OutputTable.Format = .table

  var database: String? { source.database }
  func settings() throws -> Settings { try source.settings() }
  func reader() throws -> (StoreReader, Settings) { try source.reader() }
  func instances() throws -> ([DatabaseOptions.Instance], Settings) { try source.instances() }
}

extension OutputTable {
  /// A table of several instances' rows: an `instance` column first when
  /// there are several, none for one (the output is unchanged).
  init(columns: [String], fleet instances: [DatabaseOptions.Instance]) {
    self.init(columns: (instances.count > 1 ? ["instance"] : []) + columns)
  }

  mutating func append(_ row: [Cell], of instance: DatabaseOptions.Instance) {
    rows.append((instance.name.map { [.text($0)] } ?? []) + row)
  }
}

/// One record: a field/value table for people, one row (or object) for machines.
func printRecord(_ fields: [(String, OutputTable.Cell)], format: OutputTable.Format) {
  let table =
    format == .table
    ? OutputTable(columns: ["field", "value"], rows: fields.map { [.text($0.0), $0.1] })
    : OutputTable(columns: fields.map(\.0), rows: [fields.map(\.1)])
  print(table.render(format), terminator: "")
}

struct TimeArgument: ExpressibleByArgument {
  var text: String
  init?(argument: String) { text = argument }

  func resolve(_ zone: TimeZone, name: String) throws -> Double {
    guard let time = TimeExpression.parse(text, zone: zone) else {
      throw badValue(
        "\(name): cannot read \"\(text)\"; write e.g. 24h (ago), 7d, 2026-03-01, 2026-03-01T09:30, or Unix seconds (1970 to 9999)"
      )
    }
    return time
  }
}

/// The filters of the lists: series glob, time, count.
struct ListFilter: ParsableArguments {
  @Option(help: ArgumentHelp("Only series matching this shell glob.", valueName: "glob"))
  var series: String?
  @Option(
    help: ArgumentHelp("Only those at (or, for incidents, ending at) or after this time.", valueName: "time"))
  var since: TimeArgument?
  @Option(help: "At most this many.")
  var limit = 50
}

struct Alerts: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List recent alerts, newest first.",
    discussion: """
      Times are shown in the calendar's time zone. --since takes a duration ago (24h, 7d), \
      a date or date-time (2026-03-01, 2026-03-01T09:30, read in the calendar's zone unless \
      it has an offset) or Unix seconds.

      Examples:
        outlierd alerts --since 24h
        outlierd alerts --series 'db.*.latency' --limit 100 --format csv > latency-alerts.csv
      """)

  @OptionGroup var options: ReadOptions
  @OptionGroup var filter: ListFilter

  func run() throws {
    let (instances, _) = try options.instances()
    // Each instance's newest, then the newest of all: the same rows as the
    // instances' own lists, merged.
    let rows = try instances.flatMap { instance in
      let reader = instance.reader
      return try reader.alerts(
        seriesGlob: filter.series, since: try filter.since?.resolve(reader.zone, name: "--since"),
        limit: filter.limit
      ).map { (instance, $0) }
    }.sorted { ($0.1.time, $0.1.id) > ($1.1.time, $1.1.id) }.prefix(filter.limit)
    var table = OutputTable(
      columns: [
        "time", "series", "value", "expected", "lower", "upper", "score", "z", "p_value", "n", "slot",
        "incident_id",
        "ts", "alert_id",
      ], fleet: instances)
    for (instance, row) in rows {
      let reader = instance.reader
      table.append(
        [
          .text(TimeExpression.format(row.time, zone: reader.zone)), .text(row.series), .number(row.value),
          .number(row.expected), .number(row.lower), .number(row.upper), .number(row.score),
          row.z.map { .number($0) } ?? .null, .number(row.pValue),
          .number(row.samples), .text(reader.calendar.label(ofSlot: row.slot)),
          row.incident.map { .integer($0) } ?? .null, .exact(row.time), .integer(row.id),
        ], of: instance)
    }
    print(table.render(options.format), terminator: "")
  }
}

struct Incidents: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List incidents (runs of alerts of one series in one direction), newest first.",
    discussion: """
      Examples:
        outlierd incidents --open
        outlierd incidents --series 'db.*' --since 7d --format jsonl
      """)

  @OptionGroup var options: ReadOptions
  @Flag(help: "Only incidents still open.")
  var open = false
  @OptionGroup var filter: ListFilter

  func run() throws {
    let (instances, settings) = try options.instances()
    let rows = try instances.flatMap { instance in
      let reader = instance.reader
      return try reader.incidents(
        seriesGlob: filter.series, since: try filter.since?.resolve(reader.zone, name: "--since"),
        openOnly: open,
        limit: filter.limit
      ).map { (instance, $0) }
    }.sorted { ($0.1.start, $0.1.id) > ($1.1.start, $1.1.id) }.prefix(filter.limit)
    var table = OutputTable(
      columns: [
        "id", "series", "direction", "severity", "start", "end", "minutes", "peak_z", "alerts", "state",
        "start_ts", "end_ts", "kind", "delivery",
      ], fleet: instances)
    // What the notifier did with each, from its ledger when this user may
    // read it (root may; group outlierd may not): otherwise null. For one
    // instance only: the config names one notifier's ledger.
    let delivery =
      instances.count == 1
      ? DeliveryLedger.deliveryWords(path: settings.notifyDatabase, incidents: rows.map(\.1.id)) ?? [:] : [:]
    for (instance, row) in rows {
      let reader = instance.reader
      table.append(
        [
          .integer(row.id), .text(row.series), .text(row.direction > 0 ? "high" : "low"),
          .text(row.severity.rawValue), .text(TimeExpression.format(row.start, zone: reader.zone)),
          .text(TimeExpression.format(row.end, zone: reader.zone)),
          .number(((row.end - row.start) / 6).rounded() / 10),
          .number((row.peak * 100).rounded() / 100), .integer(Int64(row.alerts)),
          .text(row.closed ? "closed" : "open"),
          .exact(row.start), .exact(row.end), .text(row.kind.rawValue),
          delivery[row.id].map { .text($0) } ?? .null,
        ], of: instance)
    }
    print(table.render(options.format), terminator: "")
  }
}

struct SeriesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "series",
    abstract: "List series; reset one's model; move series between instances (export, import, drop).",
    subcommands: [SeriesList.self, SeriesReset.self, SeriesExport.self, SeriesImport.self, SeriesDrop.self],
    defaultSubcommand: SeriesList.self)
}

struct SeriesReset: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reset",
    abstract: "Drop a series' model, for a re-provisioned host: it learns anew.",
    discussion: """
      Its slots, calibration, recent level and level shift start over, an open incident is \
      closed, and a "reset" event is recorded; its history (for plots) stays. With the daemon \
      running, the request goes to it (the database's one writer) and is applied between \
      batches; otherwise it is applied here. Needs write access to the database directory \
      (root, or a member of group outlierd for the request).

      A shell glob resets every matching series (all of a re-provisioned host's); when it \
      matches more than one, the list is printed and --yes must confirm it.

      Example:
        sudo outlierd series reset web.host7.requests
        sudo outlierd series reset 'web.host7.*' --yes
      """)

  @OptionGroup var options: ConfigOption
  @Argument(help: "The series name, or a shell glob of names.")
  var name: String
  @Flag(help: "Reset every series the glob matches, when it matches more than one.")
  var yes = false

  func run() throws {
    guard name.contains(where: { "*?[".contains($0) }) else {
      try ask(.reset(series: name), options: options, success: "reset ")
      return
    }
    let settings = try options.load()
    let names = try StoreReader(path: settings.database).seriesList(glob: name, settings: settings).map(
      \.name)
    guard !names.isEmpty else { throw badValue("no series matches \(ShellWord.quoted(name))") }
    try confirmSeveral(names, matching: ShellWord.quoted(name), verb: "reset", yes: yes)
    var failed = false
    for series in names {
      do {
        try ask(.reset(series: series), options: options, success: "reset ")
      } catch {
        failed = true
      }
    }
    if failed { throw ExitCode.failure }
  }
}

struct Feedback: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Tell outlierd that an alert was normal: its slot re-learns the sample as it was.",
    discussion: """
      A flagged sample is learned clipped to ±2 standard errors (learning = "clip"); feedback \
      "normal" replaces that by the value itself, marks the alert (alerts.feedback) and records \
      a "feedback" event. Exact with the default infinite memory. With the daemon running it \
      applies the request between batches.

      Example:
        outlierd alerts --series 'db.*' --format csv    # the id is the alert_id column
        sudo outlierd feedback 1234 normal
      """)

  enum Verdict: String, ExpressibleByArgument, CaseIterable { case normal }

  @OptionGroup var options: ConfigOption
  @Argument(help: "The alert's id (alerts.id), or with --incident the incident's.")
  var alert: Int64
  @Argument(help: "What it was: normal.")
  var verdict: Verdict
  @Flag(help: "The id is an incident's (incidents.id): every alert of it that has no feedback yet.")
  var incident = false

  func run() throws {
    guard incident else {
      try ask(.normal(alert: alert), options: options, success: "alert #")
      return
    }
    let settings = try options.load()
    guard let alerts = try StoreReader(path: settings.database).alertsAwaitingFeedback(incident: alert) else {
      throw badValue("no incident #\(alert)")
    }
    guard !alerts.isEmpty else { throw badValue("incident #\(alert) has no alert left without feedback") }
    var failed = false
    for id in alerts {
      do {
        try ask(.normal(alert: id), options: options, success: "alert #")
      } catch {
        failed = true
      }
    }
    if failed { throw ExitCode.failure }
  }
}

/// A command that changes every series a glob (or list) names asks for
/// `--yes` when that is more than one: the error lists them (20 at most).
func confirmSeveral(_ names: [String], matching asked: String, verb: String, yes: Bool) throws {
  guard names.count > 1 && !yes else { return }
  let shown = names.prefix(20).joined(separator: "\n  ")
  throw badValue(
    "\(names.count) series match \(asked):\n  \(shown)\(names.count > 20 ? "\n  …" : "")\nadd --yes to \(verb) them all"
  )
}

/// Applies a request here when this user may write the database and no
/// daemon holds it; else sends it to the daemon (`ControlRequests`), which
/// members of `outlierd-admins` may do without writing the database;
/// prints the answer, and fails unless it starts with `success`.
func ask(_ request: ControlRequests.Request, options: ConfigOption, success: String) throws {
  let settings = try options.load()
  guard FileManager.default.fileExists(atPath: settings.database) else {
    throw badValue("no database at \(settings.database)")
  }
  let control = ControlRequests(database: settings.database)
  let answer: String
  do {
    let file = try DatabaseFile(path: settings.database)
    let store = try Store(path: settings.database, calendar: try settings.calendar(), file: file)
    answer = try Daemon.apply(request, to: try Ingestor(settings: settings, store: store))
  } catch DatabaseFile.Problem.held {
    // The daemon writes the database: it applies the request.
    answer = try send(request, to: control)
  } catch DatabaseFile.Problem.notWritable(let path, let reason) {
    // An administrator who may not write the database may still ask the
    // daemon; anybody else is told who may.
    guard access(control.directory, W_OK | X_OK) == 0 else {
      throw badValue(
        "\(path): \(reason), and \(control.directory): \(String(cString: strerror(errno))): changing a model needs root, or membership of the groups outlierd and outlierd-admins"
      )
    }
    answer = try send(request, to: control)
  }
  print(answer)
  if !answer.hasPrefix(success) { throw ExitCode.failure }
}

/// The daemon's answer, or a note that the request waits for it.
private func send(_ request: ControlRequests.Request, to control: ControlRequests) throws -> String {
  guard let reply = try control.ask(request, timeout: 10) else {
    print("the request is queued; outlierd applies it between batches (or when it starts)")
    throw ExitCode.success
  }
  return reply
}

struct SeriesList: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list",
    abstract: "List series: samples, warm and learning slots, newest sample, state.",
    discussion: """
      A slot is warm once it has the samples its series needs to judge (min_samples); until \
      then the series' recent level judges its samples (baseline "recent" in alerts).

      Example:
        outlierd series 'db.*'
      """)

  @OptionGroup var options: ReadOptions
  @Argument(help: ArgumentHelp("Only series matching this shell glob.", valueName: "glob"))
  var glob: String?

  func run() throws {
    let (instances, settings) = try options.instances()
    var table = OutputTable(
      columns: [
        "series", "samples", "slots_warm", "slots_learning", "newest_sample", "state", "open_incident",
        "newest_ts", "family",
      ], fleet: instances)
    let rows = try instances.flatMap { instance in
      try instance.reader.seriesList(glob: glob, settings: settings).map { (instance, $0) }
    }.sorted {
      // By name in bytes, as each database orders them (SQLite's BINARY).
      $0.1.name == $1.1.name
        ? ($0.0.name ?? "") < ($1.0.name ?? "") : $0.1.name.utf8.lexicographicallyPrecedes($1.1.name.utf8)
    }
    for (instance, row) in rows {
      let reader = instance.reader
      table.append(
        [
          .text(row.name), .integer(row.samples), .integer(Int64(row.slotsWarm)),
          .integer(Int64(row.slotsLearning)),
          row.newest.isFinite ? .text(TimeExpression.format(row.newest, zone: reader.zone)) : .null,
          .text(row.stale ? "stale" : row.openIncident != nil ? "incident" : "ok"),
          row.openIncident.map { .integer($0) } ?? .null, row.newest.isFinite ? .exact(row.newest) : .null,
          .text(row.family.rawValue),
        ], of: instance)
    }
    print(table.render(options.format), terminator: "")
  }
}

struct Model: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show a slot's line: samples, slope, R², residual standard error and the band at a time.",
    discussion: """
      Without --slot or --at: the slot of the current time. With --slot N: the line evaluated \
      where that slot next occurs after the series' newest sample. With --at TIME: the slot of \
      that time, evaluated at it.

      Examples:
        outlierd model db.primary.latency_ms
        outlierd model db.primary.latency_ms --at '2026-03-02T09:00'
      """)

  @OptionGroup var options: ReadOptions
  @Argument(help: "The series name.")
  var series: String
  @Option(help: "A slot index (0 is the start of the period).")
  var slot: Int?
  @Option(help: ArgumentHelp("A time whose slot to show.", valueName: "time"))
  var at: TimeArgument?

  func run() throws {
    let (reader, settings) = try options.reader()
    guard let state = try reader.series(named: series) else {
      throw badValue("no series named \"\(series)\" in \(reader.path)")
    }
    let calendar = reader.calendar
    let time: Double
    let index: Int
    if let slot {
      guard (0..<calendar.slotCount).contains(slot) else {
        throw badValue("--slot must be between 0 and \(calendar.slotCount - 1)")
      }
      index = slot
      // The next time this slot occurs after the newest sample.
      var t =
        (state.newest / Double(calendar.slotWidth)).rounded(.down) * Double(calendar.slotWidth)
        + Double(calendar.slotWidth)
      let limit = t + Double(calendar.period) + 7200
      while calendar.slot(at: t) != slot && t < limit { t += Double(calendar.slotWidth) }
      time = t
    } else {
      time = try at?.resolve(reader.zone, name: "--at") ?? Date().timeIntervalSince1970
      index = calendar.slot(at: time)
    }
    let rules = settings.rules(forSeries: series)
    let regression = try reader.slot(series: state.id, slot: index) ?? SlotRegression()
    var fields: [(String, OutputTable.Cell)] = [
      ("series", .text(series)), ("slot", .integer(Int64(index))),
      ("slot_start", .text(calendar.label(ofSlot: index))),
      ("at", .text(TimeExpression.format(time, zone: reader.zone))), ("samples", .number(regression.weight)),
      ("mean", regression.weight > 0 ? .number(regression.meanY) : .null),
      ("slope_per_week", regression.slope.map { .number($0 * 604_800) } ?? .null),
      ("r_squared", regression.rSquared.map { .number($0) } ?? .null),
      ("threshold", .number(rules.threshold)),
    ]
    // The series' calibration, as the daemon applies it now: a factor for
    // each side of the expected value.
    let above = rules.calibrate ? state.track.tail.factor(above: true) : 1
    let below = rules.calibrate ? state.track.tail.factor(above: false) : 1
    fields.append(("tail_factor_above", .number(above)))
    fields.append(("tail_factor_below", .number(below)))
    // The noise family that judges its alerts, and what chose it.
    let noise = state.track.noise
    fields += [
      ("family", .text(noise.family(everNegative: state.track.everNegative).rawValue)),
      ("family_zero_share", .number(noise.zeroShare)), ("family_integer_share", .number(noise.integerShare)),
      ("family_dispersion", .number(noise.dispersion)),
      ("family_log_sd", .number(noise.logSecond.squareRoot())),
      ("family_burst_log_mean", .number(noise.burstLogMean)),
      ("family_burst_continued", .number(noise.continued)),
    ]
    let pool = try reader.noisePool(
      series: state.id, slot: index, poolSlots: settings.poolSlots, trendAfter: settings.trendAfter)
    if let pool { fields.append(("pooled_dof", .number(pool.degreesOfFreedom))) }
    switch rules.assess(
      regression, x: time, y: regression.weight > 0 ? regression.predict(at: time) : 0, pool: pool,
      tailFactor: above, tailFactorBelow: below, nonNegative: !state.track.everNegative)
    {
    case .scored(let score):
      let band = score.band
      fields += [
        ("expected", .number(score.expected)), ("residual_se", .number(score.residualStandardError)),
        ("prediction_se", .number(score.standardError)), ("lower", .number(band.lowerBound)),
        ("upper", .number(band.upperBound)), ("critical_t_above", .number(score.criticalAbove)),
        ("critical_t_below", .number(score.criticalBelow)),
        ("judges", .text("yes")),
      ]
    case .cannotJudge(let reason):
      fields += [
        ("expected", regression.weight > 0 ? .number(regression.predict(at: time)) : .null),
        ("judges", .text("no: \(reason)")),
      ]
    }
    printRecord(fields, format: options.format)
  }
}

struct Status: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Summarize the database: series, warm and cold slots, files, lag, alerts, size.",
    discussion: """
      A slot is warm once it has the samples its series needs to judge (min_samples), cold \
      before. Lag is the time since the last file was committed, and since the newest sample.
      """)

  @OptionGroup var options: ReadOptions
  @Flag(
    help: ArgumentHelp(
      "Check health for monitoring: one line per finding; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
      discussion:
        "CRITICAL: no outlierd holds the database (not running), or a spool file waits longer than --max-lag. WARNING: more than --max-backlog files wait, or some are unreadable to outlierd."
    ))
  var check = false
  @Option(help: ArgumentHelp("With --check: waiting spool files past which it warns.", valueName: "files"))
  var maxBacklog = 1000
  @Option(
    help: ArgumentHelp(
      "With --check: how long a spool file may wait (\"10m\", seconds).", valueName: "duration"))
  var maxLag = "10m"

  func run() throws {
    if check { try runCheck() }
    let (instances, settings) = try options.instances()
    let now = Date().timeIntervalSince1970
    // A fleet: one row per instance, its database's figures (the spool
    // and the notifier are the config's, one instance's).
    if instances.count > 1 {
      var table = OutputTable(columns: [])
      for instance in instances {
        let fields = try Self.databaseFields(instance.reader, settings: settings, now: now)
        if table.columns.isEmpty { table = OutputTable(columns: fields.map(\.0), fleet: instances) }
        table.append(fields.map(\.1), of: instance)
      }
      print(table.render(options.format), terminator: "")
      return
    }
    let reader = instances[0].reader
    var fields = try Self.databaseFields(reader, settings: settings, now: now)
    // The spool, as far as this user may see it.
    let census = SpoolCensus.take(directory: settings.spool)
    fields += [
      ("spool_waiting", census.map { .integer(Int64($0.waiting)) } ?? .null),
      ("spool_unreadable", census.map { .integer(Int64($0.unreadable.count)) } ?? .null),
      (
        "spool_unreadable_files",
        census.flatMap { $0.unreadable.isEmpty ? nil : .text($0.unreadable.prefix(5).joined(separator: " ")) }
          ?? .null
      ),
    ]
    // The notifier's deliveries, when it has a ledger this user may read.
    if let ledger = DeliveryLedger.summary(path: settings.notifyDatabase) {
      fields.append(("notify_firing", .integer(Int64(ledger.firing))))
      fields.append(("notify_resolved", .integer(Int64(ledger.resolved))))
      fields.append(("notify_sends", .integer(Int64(ledger.sends))))
      fields.append(("notify_failures", .integer(Int64(ledger.failures))))
      fields.append(("notify_last_error", ledger.lastError.map { .text($0) } ?? .null))
    }
    printRecord(fields, format: options.format)
  }
}

extension Status {
  /// What `status` says of one database.
  static func databaseFields(_ reader: StoreReader, settings: Settings, now: Double) throws -> [(
    String, OutputTable.Cell
  )] {
    let s = try reader.status(settings: settings, now: now)
    return [
      ("version", .text(OutlierdVersion.description)),
      ("database", .text(reader.path)), ("calendar", .text(reader.calendar.description)),
      ("series", .integer(Int64(s.series))), ("samples", .integer(s.samples)),
      ("slots_warm", .integer(Int64(s.slotsWarm))), ("slots_cold", .integer(Int64(s.slotsCold))),
      ("files_ingested", .integer(Int64(s.files))), ("last_file", s.lastFile.map { .text($0) } ?? .null),
      ("last_file_at", s.lastFileAt.map { .text(TimeExpression.format($0, zone: reader.zone)) } ?? .null),
      ("seconds_since_last_file", s.lastFileAt.map { .number((now - $0).rounded()) } ?? .null),
      ("newest_sample", s.newestSample.map { .text(TimeExpression.format($0, zone: reader.zone)) } ?? .null),
      ("seconds_since_newest_sample", s.newestSample.map { .number((now - $0).rounded()) } ?? .null),
      ("alerts_last_day", .integer(Int64(s.alertsLastDay))),
      ("open_incidents", .integer(Int64(s.openIncidents))),
      ("rejected_lines_last_day", .integer(Int64(s.rejectedLinesLastDay))),
      ("stale_series", .integer(Int64(s.staleSeries))), ("database_bytes", .integer(s.databaseBytes)),
    ]
  }

  /// `--check`: prints the findings and exits with the worst level.
  func runCheck() throws -> Never {
    guard options.source.databases.count <= 1 else {
      throw badValue("--check judges one instance; run it once per instance")
    }
    guard let lag = Settings.seconds(maxLag) else {
      throw badValue("--max-lag \"\(maxLag)\" is not a duration; write e.g. 600 or \"10m\"")
    }
    let settings: Settings
    do {
      settings = try options.settings()
    } catch {
      print("UNKNOWN: \(error)")
      throw ExitCode(HealthCheck.Level.unknown.rawValue)
    }
    let findings = HealthCheck(maxBacklog: maxBacklog, maxLag: lag).findings(
      database: options.database ?? settings.database, spool: SpoolCensus.take(directory: settings.spool),
      now: Date().timeIntervalSince1970)
    for finding in findings { print("\(finding.level.word): \(finding.text)") }
    throw ExitCode(findings.map(\.level).max()?.rawValue ?? 0)
  }
}

struct Plot: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Draw a series as SVG: observed values, the expected line and band, and alerts.",
    discussion: """
      The observed values come from the sample history ([storage] history); the expected \
      line and the band are today's model of each slot, evaluated at each sample's time, in \
      the units the sample was judged in (a level shift confirmed since rescaled the slots: \
      the band of the samples before it is drawn at the old level); alerts are drawn where \
      they were raised. Without --from/--to: the 7 days up to the series' newest sample. \
      --csv also writes the numbers behind the picture.

      Example:
        outlierd plot db.primary.latency_ms --from 2026-03-01 --to 2026-03-08 -o latency.svg
      """)

  @OptionGroup var options: DatabaseOptions
  @Argument(help: "The series name.")
  var series: String
  @Option(help: ArgumentHelp("Start of the plot.", valueName: "time"))
  var from: TimeArgument?
  @Option(help: ArgumentHelp("End of the plot.", valueName: "time"))
  var to: TimeArgument?
  @Option(name: [.customShort("o"), .long], help: ArgumentHelp("The SVG file to write.", valueName: "file"))
  var output: String
  @Option(
    help: ArgumentHelp(
      "Also write the numbers drawn: time, value, expected, lower, upper (CSV).", valueName: "file"))
  var csv: String?

  func run() throws {
    let (reader, settings) = try options.reader()
    guard let state = try reader.series(named: series) else {
      throw badValue("no series named \"\(series)\" in \(reader.path)")
    }
    let end = try to?.resolve(reader.zone, name: "--to") ?? state.newest
    let start = try from?.resolve(reader.zone, name: "--from") ?? end - 7 * 86_400
    guard start < end else { throw badValue("--from must be before --to") }
    let observed = try reader.history(series: state.id, from: start, to: end)
    guard !observed.isEmpty else {
      // Say why, rather than draw an empty picture.
      let kept = try reader.history(series: state.id, from: 0, to: .infinity)
      let zone = reader.zone
      let range =
        kept.isEmpty
        ? "no sample of it is kept"
        : "its samples are kept from \(TimeExpression.format(kept[0].time, zone: zone)) to \(TimeExpression.format(kept[kept.count - 1].time, zone: zone))"
      FileHandle.standardError.write(
        Data(
          "Error: no samples of \(series) from \(TimeExpression.format(start, zone: zone)) to \(TimeExpression.format(end, zone: zone)): \(range) (storage.history_days keeps \(settings.historyDays) days); nothing written\n"
            .utf8))
      throw ExitCode.failure
    }
    let rules = settings.rules(forSeries: series)
    let slots = try reader.slots(series: state.id)
    // Shifts confirmed after a sample rescaled its slot since: undone, so
    // that its band is the one of its own time.
    let shifts = try reader.confirmedShifts(series: series)
    func scale(at time: Double) -> Double {
      shifts.reduce(1) { $1.time > time ? $0 * $1.ratio : $0 }
    }
    var pools: [Int: NoisePool?] = [:]
    let model: [PlotData.ModelPoint] = try observed.compactMap { sample in
      let index = reader.calendar.slot(at: sample.time)
      let block = index / max(settings.poolSlots, 1)
      if pools[block] == nil {
        pools[block] = try reader.noisePool(
          series: state.id, slot: index, poolSlots: settings.poolSlots, trendAfter: settings.trendAfter)
      }
      guard let slot = slots[index],
        let score = rules.assess(
          slot, x: sample.time, y: sample.value, pool: pools[block] ?? nil,
          tailFactor: rules.calibrate ? state.track.tail.factor(above: true) : 1,
          tailFactorBelow: rules.calibrate ? state.track.tail.factor(above: false) : 1,
          nonNegative: !state.track.everNegative
        ).score
      else { return nil }
      let band = score.band
      let r = scale(at: sample.time)
      return .init(
        time: sample.time, expected: score.expected / r, lower: band.lowerBound / r,
        upper: band.upperBound / r)
    }
    let alerts = try reader.alerts(
      seriesGlob: series.replacingOccurrences(of: "[", with: "[[]"), since: start, limit: 100_000
    )
    .filter { $0.time <= end && $0.series == series }
    .map { PlotData.AlertPoint(time: $0.time, value: $0.value, score: $0.score) }
    let data = PlotData(
      title:
        "\(series) — \(TimeExpression.format(start, zone: reader.zone)) to \(TimeExpression.format(end, zone: reader.zone))",
      zone: reader.zone, observed: observed, model: model, alerts: alerts)
    try PlotRenderer.svg(data).write(toFile: output, atomically: true, encoding: .utf8)
    if let csv {
      var bands: [Double: PlotData.ModelPoint] = [:]
      for point in model { bands[point.time] = point }
      var text = "time,value,expected,lower,upper\n"
      for sample in observed {
        let band = bands[sample.time]
        let numbers: [Double?] = [band?.expected, band?.lower, band?.upper]
        let columns: [String] = numbers.map { $0.map { String($0) } ?? "" }
        let time = sample.time == sample.time.rounded() ? String(Int64(sample.time)) : String(sample.time)
        text += time + "," + String(sample.value) + "," + columns.joined(separator: ",") + "\n"
      }
      try text.write(toFile: csv, atomically: true, encoding: .utf8)
    }
    print("\(output): \(observed.count) samples, \(model.count) with a band, \(alerts.count) alerts")
  }
}
