import ArgumentParser
import Foundation
import Logging
import OutlierdCore

@main
struct Outlierd: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "outlierd",
    abstract: "Seasonal outlier detection for metric samples dropped into a spool directory.",
    discussion: """
      outlierd learns, for every series and every slot of a week (or another period), a line \
      through that slot's past values, and flags a sample whose studentized residual is above \
      the threshold. Alerts go to the log and to the SQLite database.
      """,
    version: "outlierd \(OutlierdVersion.description)",
    subcommands: [
      Run.self, Relay.self, Notify.self, Silence.self, Feedback.self, Ingest.self, CheckConfig.self,
      Alerts.self,
      Incidents.self, SeriesCommand.self, Model.self,
      Status.self,
      Plot.self,
      Demo.self,
    ])
}

struct ConfigOption: ParsableArguments {
  @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "path"))
  var config: String = Settings.defaultPath

  /// Loads the settings; a ConfigError is printed as "Error: file:line:
  /// key: message" and exits with EX_CONFIG (78), which the unit's
  /// RestartPreventExitStatus keeps systemd from restarting forever.
  func load() throws -> Settings {
    try loadSettings(path: config)
  }
}

/// sysexits.h's EX_CONFIG: the configuration is wrong, and running again
/// without changing it cannot help.
let configurationErrorStatus: Int32 = 78

func loadSettings(path: String) throws -> Settings {
  do {
    return try Settings.load(path: path)
  } catch {
    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
    throw ExitCode(configurationErrorStatus)
  }
}

/// Files outlierd creates (database, lock, rejected files) are readable by
/// its group at most, never by everyone: alerts and series names are data.
func restrictFileModes() { umask(0o027) }

/// Under systemd, events go to the journal with their metadata as fields
/// (`JournalLogHandler`); elsewhere, lines to stderr.
func bootstrapLogging() -> Logger {
  let journal = JournalLogHandler.stderrIsJournal
  LoggingSystem.bootstrap { label in
    journal ? JournalLogHandler(label: label) as LogHandler : StderrLogHandler(label: label)
  }
  return Logger(label: "outlierd")
}

struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Watch the spool directory and apply each file as it arrives (the service).",
    discussion: """
      Stops on SIGTERM or SIGINT (a file being applied is rolled back and stays in the spool). \
      SIGHUP re-reads the configuration; a changed calendar is refused.
      """)

  @OptionGroup var options: ConfigOption
  @Flag(help: "Exit once the spool is empty instead of waiting for more files.")
  var exitWhenIdle = false

  func run() throws {
    let settings = try options.load()
    let logger = bootstrapLogging()
    do {
      try Daemon(configPath: options.config, settings: settings, logger: logger).run(
        exitWhenIdle: exitWhenIdle)
    } catch {
      logger.critical("\(error)")
      throw ExitCode(isConfigurationError(error) ? configurationErrorStatus : EXIT_FAILURE)
    }
  }
}

struct Relay: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Take Graphite plaintext over TCP and write it into the spool (the relay service).",
    discussion: """
      For producers that send instead of dropping files, such as collectd's write_graphite: \
      lines are copied into a spool file every relay.flush_interval, for the daemon to apply. \
      Socket-activated by systemd (outlierd-relay.socket), it takes the sockets systemd \
      passes; otherwise it listens on --listen, or relay.listen of the config. Run it as a \
      member of the spool's group (outlierd-producers). Stops on SIGTERM or SIGINT after \
      writing what it received.

      Example:
        outlierd relay --config demo/outlierd.conf --listen 127.0.0.1:2003
      """)

  @OptionGroup var options: ConfigOption
  @Option(
    help: ArgumentHelp("Where to listen (host:port), when systemd passes no socket.", valueName: "address"))
  var listen: String?

  func run() throws {
    let settings = try options.load()
    let logger = bootstrapLogging()
    var info = stat()
    guard stat(settings.spool, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
      logger.critical(
        "\(options.config): spool.directory \(settings.spool) is not a directory; create it, or fix the path")
      throw ExitCode(configurationErrorStatus)
    }
    let listeners: [Int32]
    if let passed = ListeningSockets.fromSystemd() {
      listeners = passed
    } else {
      do {
        listeners = [try ListeningSockets.bind(listen ?? settings.relayListen)]
      } catch {
        logger.critical("\(error)")
        throw ExitCode(EXIT_FAILURE)
      }
    }
    GraphiteRelay(settings: settings, listeners: listeners, logger: logger).run()
  }
}

struct Notify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Deliver incidents to Alertmanager (the notify service).",
    discussion: """
      Reads the daemon's database (read-only) every two seconds and posts each open incident \
      to notify.alertmanager_url as an alert (labels alertname="SeasonalOutlier", series, \
      direction), again every notify.resend_interval, and once more with its end when it \
      closes. Its own ledger (notify.database) makes delivery at least once across restarts. \
      Run it as a member of group outlierd (to read the database).

      Example:
        outlierd notify --config /etc/outlierd/outlierd.conf --once
      """)

  @OptionGroup var options: ConfigOption
  @Flag(help: "One delivery pass, then exit (status 1 when Alertmanager did not take it).")
  var once = false

  func run() throws {
    let settings = try options.load()
    let logger = bootstrapLogging()
    let notifier: Notifier
    do {
      notifier = try Notifier(settings: settings, logger: logger)
      notifier.configPath = options.config
    } catch let problem as Notifier.ConfigurationProblem {
      logger.critical("\(options.config): \(problem)")
      throw ExitCode(configurationErrorStatus)
    } catch {
      logger.critical("\(error)")
      throw ExitCode(EXIT_FAILURE)
    }
    if once {
      if try notifier.pass().failed { throw ExitCode(EXIT_FAILURE) }
      return
    }
    notifier.run()
  }
}

struct Ingest: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Apply the given files once, then exit (backfill, scripts).",
    discussion: """
      The files are applied in the order given, up to `spool.batch_files` (64) per transaction, \
      exactly as the daemon would, but are left in place. A file already in the ledger is skipped. Exit status: \
      0 when every file was applied or already applied, 2 when some were refused, 1 on errors.
      """)

  @OptionGroup var options: ConfigOption
  @Argument(help: ArgumentHelp("Files in Graphite plaintext format.", valueName: "file"))
  var files: [String]
  @Flag(help: "Log each alert and incident, as the daemon does, instead of counting them in the summary.")
  var verbose = false

  func run() throws {
    let settings = try options.load()
    let logger = bootstrapLogging()
    var refused = 0
    restrictFileModes()
    do {
      try FileSystem.makeDirectory(FileSystem.directoryName(settings.database))
      let file = try DatabaseFile(path: settings.database)
      let store = try Store(path: settings.database, calendar: try settings.calendar(), file: file)
      let processor = FileProcessor(
        ingestor: try Ingestor(settings: settings, store: store), disposal: .keep, logger: logger)
      processor.logsEachAlert = verbose
      var progress = IngestProgress(total: files.count)
      // A terminal shows the bar; per-file info lines would tear it.
      if progress.interactive { processor.logger.logLevel = .error }
      var pending = files[...]
      while !pending.isEmpty {
        let outcomes = try processor.process(paths: Array(pending))
        for (path, outcome) in zip(pending, outcomes) {
          progress.record(outcome)
          switch outcome {
          case .vanished:
            logger.error("\(path): no such file")
            refused += 1
          case .deferred(let reason):
            logger.error("\(path): not applied: \(reason)")
            refused += 1
          case .refused: refused += 1
          case .applied, .alreadyApplied: break
          }
        }
        pending = pending.dropFirst(outcomes.count)
      }
      if !progress.interactive { logger.info("\(progress.summary())") }
      if !verbose && processor.incidentsOpened + processor.incidentsCritical > 0 {
        logger.notice(
          "ingest: \(processor.incidentsOpened) incidents opened, \(processor.incidentsCritical) turned critical; list them with `outlierd incidents --config \(ShellWord.quoted(options.config)) --since …`, each alert with `outlierd alerts` (or ingest with --verbose)"
        )
      }
    } catch {
      logger.critical("\(error)")
      throw ExitCode(isConfigurationError(error) ? configurationErrorStatus : EXIT_FAILURE)
    }
    if refused > 0 { throw ExitCode(2) }
  }
}

struct CheckConfig: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check-config",
    abstract: "Validate the configuration file and print the effective settings.")

  @OptionGroup var options: ConfigOption
  @Flag(help: "Print nothing when the configuration is valid (for ExecReload).")
  var quiet = false

  func run() throws {
    let settings = try options.load()
    // The calendar must be the one the existing database was made with,
    // or `run` would refuse to start.
    if FileManager.default.fileExists(atPath: settings.database),
      let stored = try? Store.storedCalendar(path: settings.database)
    {
      let calendar = try settings.calendar()
      var differences: [String] = []
      if stored.period != calendar.period { differences.append("period is \(stored.period) in the database") }
      if stored.slotWidth != calendar.slotWidth {
        differences.append("slot_width is \(stored.slotWidth) in the database")
      }
      if stored.timeZone != calendar.timeZoneIdentifier {
        differences.append("time_zone is \(stored.timeZone) in the database")
      }
      if !differences.isEmpty {
        FileHandle.standardError.write(
          Data(
            "Error: \(options.config): [calendar] differs from \(settings.database): \(differences.joined(separator: "; ")); outlierd would refuse to start. Restore the [calendar] settings or point [storage] database at a new file.\n"
              .utf8))
        throw ExitCode(configurationErrorStatus)
      }
    }
    // The [notify] section, checked as `notify` checks it, when it is used.
    if !settings.notifyAlertmanager.isEmpty || !settings.notifyExec.isEmpty {
      do {
        _ = try Notifier.target(for: settings)
      } catch {
        FileHandle.standardError.write(Data("Error: \(options.config): \(error)\n".utf8))
        throw ExitCode(configurationErrorStatus)
      }
    }
    // The directories `run` would refuse to start without.
    let missing = Daemon.missingDirectories(settings, config: options.config)
    if !missing.isEmpty {
      for problem in missing { FileHandle.standardError.write(Data("Error: \(problem)\n".utf8)) }
      throw ExitCode(configurationErrorStatus)
    }
    if quiet { return }
    // What this user may do there; the service's user is what counts.
    for (key, path, mode) in [
      ("spool.directory", settings.spool, R_OK | W_OK | X_OK),
      ("storage.database", FileSystem.directoryName(settings.database), W_OK | X_OK),
    ] where access(path, mode) != 0 {
      print(
        "# note: \(key) \(path): \(String(cString: strerror(errno))) for this user (uid \(getuid())); the service's user needs it"
      )
    }
    print("# \(options.config): OK")
    print(settings.rendered(), terminator: "")
  }
}

/// Errors that a restart cannot fix: the configuration or a database
/// made with another calendar.
func isConfigurationError(_ error: any Error) -> Bool {
  if error is ConfigError { return true }
  if case .calendarMismatch? = error as? StoreError { return true }
  if error is Daemon.MissingDirectory { return true }
  return false
}

/// A value a command found wrong once its arguments parsed (a time, a
/// series, a duration): the message alone and EX_USAGE (64). Thrown as
/// ArgumentParser's ValidationError from `run`, it was followed by the
/// top-level usage, which says nothing about the value.
func badValue(_ message: String) -> ExitCode {
  FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
  return ExitCode(64)
}
