import Foundation
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// `outlierd run`: watches the spool and applies each file as it arrives,
/// until SIGTERM or SIGINT. SIGHUP re-reads the configuration.
package final class Daemon {
  package let configPath: String
  private(set) var settings: Settings
  /// The settings the daemon started with: restart-only keys (the database
  /// and the spool) stay as they were then, whatever reloads say.
  private let startedWith: Settings
  private var logger: Logger
  /// Counters for status lines.
  package private(set) var statistics = Statistics()

  package struct Statistics: Sendable {
    package var files = 0
    package var samples = 0
    package var alerts = 0
    package var rejectedLines = 0
    package var refusedFiles = 0
    package var incidentsOpened = 0
    /// Seconds between the newest sample of the last file and its commit.
    package var lag: Double?
    /// When the last file was committed (Unix seconds).
    package var lastSuccess: Double?
    /// Files of the last scan not applied yet.
    package var backlog = 0
  }

  /// The statistics as metrics for the textfile collector.
  func metrics(up: Bool) -> [TextfileMetrics.Metric] {
    [
      .gauge("outlierd_up", up ? 1 : 0, "1 while the daemon runs, 0 once it stopped."),
      .counter("outlierd_files_applied_total", statistics.files, "Spool files applied since start."),
      .counter(
        "outlierd_files_refused_total", statistics.refusedFiles, "Spool files refused whole since start."),
      .counter("outlierd_samples_total", statistics.samples, "Samples applied since start."),
      .counter("outlierd_rejected_lines_total", statistics.rejectedLines, "Lines rejected since start."),
      .counter("outlierd_alerts_total", statistics.alerts, "Alerts raised since start."),
      .counter(
        "outlierd_incidents_opened_total", statistics.incidentsOpened, "Incidents opened since start."),
      .gauge(
        "outlierd_lag_seconds", statistics.lag ?? 0, "From the newest sample of the last file to its commit."),
      .gauge(
        "outlierd_spool_backlog_files", Double(statistics.backlog),
        "Files of the last spool scan not applied yet."),
      .gauge(
        "outlierd_last_success_timestamp_seconds", statistics.lastSuccess ?? 0,
        "When the last file was committed."),
    ]
  }

  package init(configPath: String, settings: Settings, logger: Logger) {
    self.configPath = configPath
    self.settings = settings
    self.startedWith = settings
    self.logger = logger
  }

  /// Runs until told to stop. With `exitWhenIdle` it returns once the
  /// spool is empty instead (for the demo and for scripts).
  package func run(exitWhenIdle: Bool = false, clock: any ServiceClock = SystemClock()) throws {
    let loop = ServiceLoop(
      metrics: TextfileMetrics(directory: settings.metricsDirectory, name: "outlierd"), clock: clock)
    // A mistyped path is refused, not created: files dropped where the
    // producers write would never be seen.
    if let missing = Self.missingDirectories(settings, config: configPath).first { throw missing }
    let file = try DatabaseFile(path: settings.database)
    let store = try Store(path: settings.database, calendar: try settings.calendar(), file: file)
    let ingestor = try Ingestor(settings: settings, store: store)
    let processor = FileProcessor(ingestor: ingestor, disposal: .removeFromSpool, logger: logger)
    let watcher = try SpoolWatcher(directory: settings.spool)
    let notifier = loop.systemd
    logger.info(
      "outlierd started (version \(OutlierdVersion.description)): spool \(settings.spool), database \(settings.database), \(ingestor.seriesCount) series, calendar \(ingestor.calendar)"
    )
    // The database is open and the first scan (the backlog) starts now.
    notifier.ready(status: "started; scanning the spool")

    var stopping = false
    var backoff = 0.0
    var lastError = ""
    var nextScan = 0.0

    let control = ControlRequests(database: settings.database)
    control.prepare()
    func handleControlRequests() {
      _ = control.drainEvents()
      for name in control.pending() {
        control.handle(name) { request in
          let answer = try Self.apply(request, to: ingestor)
          logger.notice("\(answer)")
          return answer
        }
      }
    }
    var reloadRequested = false
    // Called between lines too (to stop within a second); a reload waits
    // for the batch being applied to end, which must use one set of settings.
    func handleSignals() {
      for signal in loop.received() {
        switch signal {
        case .terminate:
          if !stopping {
            logger.info("stopping: signal received")
            notifier.stopping()
          }
          stopping = true
        case .reload:
          reloadRequested = true
        }
      }
    }
    func reloadIfRequested() {
      guard reloadRequested else { return }
      reloadRequested = false
      notifier.reloading()
      reload(ingestor)
      notifier.send("READY=1")
      notifier.status(self.statusLine(), force: true)
    }

    while !stopping {
      handleSignals()
      reloadIfRequested()
      if stopping { break }
      handleControlRequests()
      watcher.drainEvents()
      let now = loop.clock.now
      var candidates: [SpoolWatcher.Candidate] = []
      var settling = false
      var spoolMissing = false
      do {
        (candidates, settling) = try watcher.scan(now: now)
      } catch {
        report("\(error)", &lastError)
        spoolMissing = true
      }
      if watcher.takeRewatched() {
        logger.notice("\(settings.spool) was created again; watching the new directory")
      }
      for (name, result) in watcher.takeRenamed() {
        switch result {
        case .success(let newName):
          logger.warning("\(settings.spool)/\(name): the name is not UTF-8; renamed to \(newName)")
        case .failure(let failure):
          report("the name \(name) is not UTF-8 and could not be renamed: \(failure)", &lastError)
        }
      }
      nextScan = now + settings.rescanInterval
      statistics.backlog = candidates.count
      var failed = false
      // In batches: a backlog commits once per batch, not once per file.
      var pending = candidates[...]
      while let first = pending.first {
        handleSignals()
        reloadIfRequested()
        if stopping { break }
        do {
          let outcomes = try processor.process(
            paths: pending.map(\.path),
            shouldCancel: {
              handleSignals()
              loop.heartbeat()
              return stopping
            })
          for (candidate, outcome) in zip(pending, outcomes) {
            watcher.forget(candidate.name)
            count(outcome)
            if case .deferred(let reason) = outcome { report(reason, &lastError) }
          }
          pending = pending.dropFirst(outcomes.count)
          notifier.status(self.statusLine())
          loop.heartbeat()
          backoff = 0
          if !lastError.isEmpty
            && !outcomes.contains(where: { if case .deferred = $0 { true } else { false } })
          {
            logger.notice("recovered: files are being applied again")
            lastError = ""
          }
        } catch let problem as DatabaseFile.Problem {
          // The database was deleted or replaced: stop, with the files kept.
          throw problem
        } catch is Ingestor.Cancelled {
          logger.info(
            "\(first.path) and the rest of its batch: rolled back, they stay in the spool for the next start")
          break
        } catch {
          handleSignals()
          if stopping {
            logger.info(
              "\(first.path) and the rest of its batch: rolled back, they stay in the spool for the next start"
            )
            break
          }
          // The store could not take the batch (locked, disk full,
          // read-only, …): its files stay in the spool and are retried
          // after a pause.
          // The failing statement varies as the batch grows; the error is one.
          let sqlite = (error as? SQLiteError) ?? (error as? StoreError)?.sqliteError
          report(
            "\(first.path) and the rest of its batch: not applied, will retry: \(error)",
            kind: sqlite.map { "SQLite error \($0.code): \($0.message)" }, &lastError)
          failed = true
          break
        }
      }
      // What the batches left: files that failed or were not reached.
      statistics.backlog = pending.count
      if stopping { break }
      do {
        for event in try ingestor.markStaleSeries(now: loop.clock.now) {
          logger.warning(
            "STALE \(event.series): \(event.detail)", metadata: FileProcessor.metadata(series: event.series))
        }
      } catch {
        report("marking stale series: \(error)", &lastError)
      }
      if exitWhenIdle && candidates.isEmpty && !settling && !failed { break }
      var timeout = max(0, nextScan - loop.clock.now)
      // Once the files found are applied, look again at once: more may have
      // come, and with --exit-when-idle an empty spool ends the run now,
      // not a rescan interval later.
      if exitWhenIdle && !candidates.isEmpty && !failed { timeout = 0 }
      if settling { timeout = min(timeout, watcher.settleTime) }
      // A spool directory that is gone is looked for every second, so that
      // files dropped into its successor wait no longer than that.
      if spoolMissing { timeout = min(timeout, 1) }
      if failed {
        backoff = min(max(backoff * 2, 0.5), 60)
        timeout = backoff
        notifier.status("waiting \(Int(backoff.rounded(.up))) s to retry: \(lastError)", force: true)
      } else {
        notifier.status(self.statusLine(), force: true)
      }
      if let problem = loop.keepUp(metrics: self.metrics(up: true)) {
        report(problem, &lastError)
      }
      // Never longer than the watchdog's or the metrics' interval (10 s, also
      // while the spool is quiet and the rescan interval is longer).
      loop.wait(for: [watcher.inotifyDescriptor, control.descriptor], timeout: timeout)
    }
    if let problem = loop.keepUp(metrics: self.metrics(up: false), force: true) {
      logger.error("\(problem)")
    }
    logger.info(
      "outlierd stopped: \(statistics.files) files, \(statistics.samples) samples, \(statistics.alerts) alerts this run"
    )
  }

  /// Applies an operator's request (`outlierd series reset`, `outlierd
  /// feedback`) between batches; returns the answer.
  package static func apply(_ request: ControlRequests.Request, to ingestor: Ingestor) throws -> String {
    switch request {
    case .reset(let series):
      guard try ingestor.resetSeries(named: series) else { return "no series named \(series)" }
      return "reset \(series): model dropped; it learns anew"
    case .normal(let alert):
      return try ingestor.relearnAsNormal(alert: alert)
    case .silence(let pattern, let seconds, let comment, let by):
      let now = Date().timeIntervalSince1970
      let id = try ingestor.store.transaction {
        try ingestor.store.addSilence(
          pattern: pattern, starts: now, ends: now + seconds, comment: comment, createdBy: by)
      }
      let zone = TimeZone(identifier: ingestor.calendar.timeZoneIdentifier) ?? .gmt
      return "silence #\(id): \(pattern) until \(TimeExpression.format(now + seconds, zone: zone))"
    case .expireSilence(let id):
      let now = Date().timeIntervalSince1970
      guard try ingestor.store.transaction({ try ingestor.store.expireSilence(id, at: now) }) else {
        return "no silence #\(id) that has not ended; see `outlierd silence list`"
      }
      return "silence #\(id) ended"
    }
  }

  /// The directories `run` needs and refuses to create (a mistyped path
  /// would be created where no producer writes): the spool, and the
  /// database's directory. `check-config` reports the same.
  package static func missingDirectories(_ settings: Settings, config: String) -> [MissingDirectory] {
    [("spool.directory", settings.spool), ("storage.database", FileSystem.directoryName(settings.database))]
      .compactMap { key, path in
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
          return MissingDirectory(key: key, path: path, config: config)
        }
        return nil
      }
  }

  /// A configured directory that does not exist: a configuration error.
  package struct MissingDirectory: Error, CustomStringConvertible {
    package var key: String
    package var path: String
    package var config: String
    package var description: String {
      "\(key): the directory \(path) does not exist (or is not a directory); create it (for the service, systemd-tmpfiles --create does) or correct \(key) in \(config)"
    }
  }

  /// The one-line summary `systemctl status` shows.
  func statusLine() -> String {
    var line = "\(statistics.files) files, \(statistics.samples) samples, \(statistics.alerts) alerts"
    if statistics.rejectedLines > 0 { line += ", \(statistics.rejectedLines) lines rejected" }
    if statistics.refusedFiles > 0 { line += ", \(statistics.refusedFiles) files refused" }
    if let lag = statistics.lag { line += String(format: ", lag %.1f s", lag) }
    return line
  }

  /// Logs an error once, not once per retry: `kind` (the message by
  /// default) says which errors are the same.
  private func report(_ message: String, kind: String? = nil, _ lastError: inout String) {
    let kind = kind ?? message
    if kind != lastError { logger.error("\(message)") }
    lastError = kind
  }

  private func count(_ outcome: FileProcessor.Outcome) {
    switch outcome {
    case .applied(let report):
      if let newest = report.newestSample { statistics.lag = Date().timeIntervalSince1970 - newest }
      statistics.files += 1
      statistics.samples += report.accepted
      statistics.alerts += report.alerts.count
      statistics.rejectedLines += report.rejectedLines
      statistics.incidentsOpened += report.incidentsOpened.count
      statistics.lastSuccess = Date().timeIntervalSince1970
    case .refused: statistics.refusedFiles += 1
    case .alreadyApplied, .deferred, .vanished: break
    }
  }

  private func reload(_ ingestor: Ingestor) {
    do {
      let newSettings = try Settings.load(path: configPath)
      try ingestor.reload(newSettings)
      let changed = newSettings.changes(from: settings)
      // Against the running daemon's, not the last file's: changing the
      // spool and changing it back needs no restart.
      let ignored = newSettings.differencesNeedingRestart(from: startedWith)
      settings = newSettings
      var note = changed.isEmpty ? ": nothing changed" : ": \(changed.joined(separator: ", "))"
      if !ignored.isEmpty { note += "; \(ignored.joined(separator: ", ")) take effect after a restart" }
      logger.notice("configuration reloaded from \(configPath)\(note)")
    } catch {
      logger.error("reload refused, the running configuration stays in force: \(error)")
    }
  }

}

extension Settings {
  /// Keys read once at start; a reload cannot change them.
  func differencesNeedingRestart(from old: Settings) -> [String] {
    var keys: [String] = []
    if database != old.database { keys.append("storage.database") }
    if spool != old.spool { keys.append("spool.directory") }
    return keys
  }
}
