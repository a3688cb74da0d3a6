import Foundation
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// `outlierd notify`: delivers the daemon's incidents to Alertmanager, or
/// to a command (the exec hook).
///
/// Contract:
/// - It reads the daemon's database read-only and writes only its own
///   ledger (`DeliveryLedger`), so it can never block ingest; the daemon
///   keeps `PrivateNetwork=yes`.
/// - An open incident is sent as firing when first seen (to Alertmanager,
///   re-sent every `notify.resend_interval`); a closed one is sent once
///   more with its end (`endsAt`), then left alone. Incidents already closed when the
///   notifier first runs are not sent (no flood from history).
/// - Delivery is at least once: the ledger records a send only after
///   Alertmanager accepted it. A failed send is retried with backoff (5 s,
///   doubling, at most 5 min).
package final class Notifier {
  /// Where incidents go: Alertmanager, or a command.
  package enum Target: CustomStringConvertible, Sendable {
    case alertmanager(HTTPEndpoint)
    case exec(ExecHook)

    package var description: String {
      switch self {
      case .alertmanager(let endpoint): return "\(endpoint)"
      case .exec(let hook): return "the exec hook `\(hook.command)`"
      }
    }
  }

  package private(set) var settings: Settings
  package private(set) var target: Target
  /// The file `settings` came from: SIGHUP reads it again (`reload`).
  package var configPath: String?
  package let ledger: DeliveryLedger
  package var logger: Logger
  private var extraLabels: [String: String]
  /// Since start, for the metrics file.
  private var sent = 0
  private var failedPasses = 0
  private var lastSuccess: Double?
  /// Seconds between passes.
  static let pollInterval = 2.0

  package struct ConfigurationProblem: Error, CustomStringConvertible {
    package var description: String
  }

  /// Where `settings` say to deliver; the one check of the [notify]
  /// section, which `check-config` runs too.
  package static func target(for settings: Settings) throws(ConfigurationProblem) -> Target {
    switch (settings.notifyAlertmanager.isEmpty, settings.notifyExec.isEmpty) {
    case (false, true):
      return .alertmanager(try endpoint(for: settings))
    case (true, false):
      return .exec(ExecHook(command: settings.notifyExec, timeout: settings.notifyExecTimeout))
    case (true, true):
      throw ConfigurationProblem(
        description:
          "nowhere to deliver: set notify.alertmanager_url (e.g. \"http://127.0.0.1:9093\") or notify.exec (a command that reads the alert as JSON on stdin)"
      )
    case (false, false):
      throw ConfigurationProblem(
        description:
          "notify.alertmanager_url and notify.exec are both set; set one (run a second notifier with its own config and notify.database for both)"
      )
    }
  }

  /// Alertmanager's address with its TLS files and credentials, read and
  /// checked now: a file that is missing or unreadable, or a setting that
  /// needs another, is named here rather than at the first delivery.
  static func endpoint(for settings: Settings) throws(ConfigurationProblem) -> HTTPEndpoint {
    guard var endpoint = HTTPEndpoint(url: settings.notifyAlertmanager) else {
      throw ConfigurationProblem(
        description:
          "notify.alertmanager_url \"\(settings.notifyAlertmanager)\" is not an http:// or https://host:port URL without credentials; set it to Alertmanager's address, e.g. \"http://127.0.0.1:9093\" (a user and password go in notify.username and notify.password_file)"
      )
    }
    let tlsFiles = [
      ("ca_file", settings.notifyCAFile), ("cert_file", settings.notifyCertificateFile),
      ("key_file", settings.notifyKeyFile),
    ]
    for (key, path) in tlsFiles where !path.isEmpty {
      guard endpoint.isHTTPS else {
        throw ConfigurationProblem(
          description:
            "notify.\(key) is set but notify.alertmanager_url \"\(endpoint)\" is not https://; use https:// or remove notify.\(key)"
        )
      }
      _ = try secret(key, path, what: "a PEM file")
    }
    guard settings.notifyCertificateFile.isEmpty == settings.notifyKeyFile.isEmpty else {
      throw ConfigurationProblem(
        description:
          "notify.cert_file and notify.key_file go together (a client certificate and its key); set both or neither"
      )
    }
    endpoint.caFile = settings.notifyCAFile
    endpoint.certificateFile = settings.notifyCertificateFile
    endpoint.keyFile = settings.notifyKeyFile
    switch (
      settings.notifyUsername.isEmpty, settings.notifyPasswordFile.isEmpty,
      settings.notifyBearerTokenFile.isEmpty
    ) {
    case (true, true, true):
      break
    case (false, false, true):
      endpoint.authorization = .basic(
        username: settings.notifyUsername,
        password: try secret("password_file", settings.notifyPasswordFile, what: "the password"))
    case (true, true, false):
      endpoint.authorization = .bearer(
        token: try secret("bearer_token_file", settings.notifyBearerTokenFile, what: "the token"))
    case (_, _, false):
      throw ConfigurationProblem(
        description:
          "notify.bearer_token_file and basic authentication (notify.username, notify.password_file) are both set; keep one"
      )
    case (false, true, true):
      throw ConfigurationProblem(
        description:
          "notify.username is set without notify.password_file (a file that holds the password); set it"
      )
    case (true, false, true):
      throw ConfigurationProblem(
        description: "notify.password_file is set without notify.username; set the user it is the password of"
      )
    }
    return endpoint
  }

  /// The content of a file the [notify] section names, without its final
  /// line break; an unreadable or (for secrets) empty file is an error that
  /// names the key and the file.
  static func secret(_ key: String, _ path: String, what: String) throws(ConfigurationProblem) -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
      let reason =
        FileManager.default.fileExists(atPath: path) ? "cannot be read by this user" : "does not exist"
      throw ConfigurationProblem(
        description:
          "notify.\(key) \"\(path)\" \(reason); it should hold \(what), readable by the notifier's user")
    }
    var text = String(decoding: data, as: UTF8.self)
    while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
    guard !text.isEmpty else {
      throw ConfigurationProblem(description: "notify.\(key) \"\(path)\" is empty; it should hold \(what)")
    }
    return text
  }

  package init(settings: Settings, logger: Logger) throws {
    target = try Self.target(for: settings)
    if case .alertmanager = target { try HTTPEndpoint.loadLibrary() }
    self.settings = settings
    self.logger = logger
    ledger = try DeliveryLedger(path: settings.notifyDatabase)
    extraLabels = Self.labels(settings)
  }

  /// `notify.labels` ("k=v,k=v") as a dictionary.
  static func labels(_ settings: Settings) -> [String: String] {
    var labels: [String: String] = [:]
    for pair in settings.notifyLabels.split(separator: ",") {
      let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      if parts.count == 2 && !parts[0].isEmpty { labels[parts[0]] = parts[1] }
    }
    return labels
  }

  /// Reads the config file again (SIGHUP, `systemctl reload
  /// outlierd-notify`): the target, labels, intervals and the daemon's
  /// database take effect from the next pass. A config the notifier would
  /// refuse, or one that moves its ledger (`notify.database`: a restart
  /// does that), is refused and the running one stays.
  package func reload() {
    guard let configPath else { return }
    do {
      let new = try Settings.load(path: configPath)
      let newTarget = try Self.target(for: new)
      guard new.notifyDatabase == settings.notifyDatabase else {
        throw ConfigurationProblem(
          description:
            "notify.database changed from \(settings.notifyDatabase) to \(new.notifyDatabase); restart the notifier to use another ledger"
        )
      }
      settings = new
      target = newTarget
      extraLabels = Self.labels(new)
      logger.notice("notify: configuration reloaded from \(configPath): delivering to \(target)")
    } catch {
      logger.error("notify: reload refused, the running configuration stays in force: \(error)")
    }
  }

  /// Alerts per POST to Alertmanager, and so per commit of the ledger.
  static let alertsPerRequest = 64

  /// One pass: reads the incidents, delivers what is due, and records each
  /// outcome as it happens: the ledger is committed after every request to
  /// Alertmanager (up to `alertsPerRequest` alerts) and every round of exec
  /// hooks, so a kill loses at most the deliveries in flight, and
  /// `heartbeat` (the watchdog) is called between them. When `cancel` (a
  /// signalfd) becomes readable, the delivery in flight is abandoned and the
  /// pass ends. Returns the alerts delivered and whether any failed.
  @discardableResult
  package func pass(
    now: Double = Date().timeIntervalSince1970, cancel: Int32 = -1, heartbeat: () -> Void = {}
  ) throws -> (sent: Int, failed: Bool) {
    guard FileManager.default.fileExists(atPath: settings.database) else { return (0, false) }
    let db = try SQLiteDatabase(path: settings.database, readOnly: true)
    try followIdentity(of: db)
    let lastSeen = try ledger.lastSeen()
    let records = try IncidentRecord.read(db, after: lastSeen ?? 0, orIn: try ledger.followed())
    var due: [(IncidentRecord, DeliveryLedger.State)] = []
    var skipped: [Int64] = []
    var silenced: [(Int64, Int64)] = []
    var silencedThrough: [Int64] = []
    // The daemon's database holds the silences every notifier honours; this
    // ledger, those added before they moved there.
    let silences = (try Store.silences(db, endingAfter: now) + ledger.silences(endingAfter: now))
      .filter { $0.starts <= now }
    for record in records {
      let delivery = try ledger.delivery(record.id)
      if lastSeen == nil && record.closed && delivery == nil {
        skipped.append(record.id)
        continue
      }
      // Not delivered yet and silenced: recorded, not sent while a silence
      // covers it (as Alertmanager's silences mute while they are active).
      // Once none does, an incident still open is delivered; one that
      // closed under its silences never is.
      let silence = silences.first(where: { Glob.matches($0.pattern, record.series) })
      if delivery?.state == .silenced {
        if silence != nil { continue }
        if record.closed {
          silencedThrough.append(record.id)
          continue
        }
      } else if let delivery, delivery.state != .firing || now < delivery.nextAttempt {
        continue
      }
      if delivery?.lastSent == nil, let silence {
        silenced.append((record.id, silence.id))
        continue
      }
      if record.closed {
        due.append((record, .resolved))
      } else if let lastSent = delivery?.lastSent {
        // Alertmanager expects a firing alert again and again; a command,
        // once, and once more when the incident turns critical.
        // (A delivery recorded before severity was a warning.)
        if (delivery?.severity ?? IncidentSeverity.warning.rawValue) != record.severity.rawValue {
          due.append((record, .firing))
        } else if case .alertmanager = target, now - lastSent >= settings.notifyResendInterval {
          due.append((record, .firing))
        }
      } else {
        due.append((record, .firing))
      }
    }
    // Every incident up to `through` is in the ledger or not due; the last
    // seen id may move there, so that nothing not yet delivered is passed.
    let newest = records.map(\.id).max() ?? 0
    func settled(through index: Int) -> Int64 {
      index < due.count ? due[index].0.id - 1 : max(newest, lastSeen ?? 0)
    }
    try ledger.transaction {
      for id in skipped { try ledger.markSkipped(id) }
      for (id, silence) in silenced { try ledger.markSilenced(id, by: silence) }
      for id in silencedThrough { try ledger.markSilencedThrough(id) }
      try ledger.setLastSeen(max(lastSeen ?? 0, min(settled(through: 0), newest)))
    }
    for (id, silence) in silenced {
      logger.notice("notify: incident #\(id) opened under silence #\(silence): recorded, not delivered")
    }
    let step: Int
    if case .exec(let hook) = target { step = hook.concurrency } else { step = Self.alertsPerRequest }
    var delivered = 0
    var resolved = 0
    var firstFailure: String?
    var start = 0
    while start < due.count {
      let end = min(start + step, due.count)
      let batch = due[start..<end]
      var failures = deliver(
        batch.map { record, state in
          PostableAlert(
            record, resolved: state == .resolved, now: now, extraLabels: extraLabels,
            generatorURL: settings.notifyGeneratorURL)
        }, cancel: cancel)
      let stopping = Self.isReadable(cancel)
      // Alertmanager that failed once will fail the rest of the pass too:
      // they are recorded as failed with the same reason, not tried.
      var through = end
      if case .alertmanager = target, let failure = failures.compactMap({ $0 }).first, !stopping {
        through = due.count
        failures += Array(repeating: failure, count: due.count - end)
      }
      try ledger.transaction {
        for ((record, state), failure) in zip(due[start..<through], failures) {
          if let failure {
            let count = (try ledger.delivery(record.id)?.failures ?? 0) + 1
            try ledger.markFailed(
              record.id, error: failure, retryAt: now + min(5 * pow(2, Double(count - 1)), 300))
          } else {
            try ledger.markSent(record.id, state: state, at: now, severity: record.severity.rawValue)
          }
        }
        try ledger.setLastSeen(max(lastSeen ?? 0, settled(through: through)))
      }
      for ((_, state), failure) in zip(due[start..<through], failures) {
        if let failure {
          firstFailure = firstFailure ?? failure
        } else {
          delivered += 1
          if state == .resolved { resolved += 1 }
        }
      }
      heartbeat()
      start = through
      if stopping { break }
    }
    let attempted = start
    if let seen = try ledger.lastSeen() {
      try ledger.recordLastSeenFingerprint(try Self.fingerprint(of: seen, in: db))
    }
    sent += delivered
    if delivered > 0 { lastSuccess = now }
    if delivered < attempted {
      failedPasses += 1
      logger.error(
        "notify: \(attempted - delivered) alert(s) not delivered: \(firstFailure ?? ""); retried with backoff"
      )
    }
    if delivered > 0 {
      logger.info(
        "notify: delivered \(delivered - resolved) firing and \(resolved) resolved alert(s) to \(target)")
    }
    return (delivered, delivered < attempted)
  }

  /// The ledger follows one database: when `notify.database`'s ledger was
  /// kept for another (the daemon's database moved aside and started anew,
  /// as its "damaged" message advises, or replaced by another file), or for
  /// a later state of this one (restored from an older backup: incident
  /// ids it has seen are missing or name other incidents), its incident ids
  /// mean other incidents.
  /// It is started fresh, with a warning, so the open incidents are
  /// delivered instead of being taken for ones already sent.
  func followIdentity(of db: SQLiteDatabase) throws {
    let identity = try? db.scalarText("SELECT value FROM meta WHERE key = 'database_id'")
    let recorded = try ledger.databaseIdentity()
    if let identity, let recorded, identity != recorded {
      logger.warning(
        "notify: \(settings.database) is another database than the ledger followed (id \(identity), was \(recorded)): moved aside or replaced. The ledger starts fresh: open incidents are delivered, closed ones are not"
      )
      try ledger.startFresh(for: identity)
      return
    }
    let newest = try db.scalarText("SELECT max(id) FROM incidents").flatMap { Int64($0) } ?? 0
    if let lastSeen = try ledger.lastSeen(), lastSeen > 0 {
      let seen = try Self.fingerprint(of: lastSeen, in: db)
      let recordedSeen = try ledger.lastSeenFingerprint()
      // The incident last seen is gone (and no later one exists: retention
      // removes old closed incidents, not the newest) or is another one.
      if (seen == nil && newest < lastSeen) || (seen != nil && recordedSeen != nil && seen != recordedSeen) {
        logger.warning(
          "notify: incident #\(lastSeen) of \(settings.database) is not the one the ledger saw: the database was restored from an older copy. The ledger starts fresh: open incidents are delivered, closed ones are not"
        )
        try ledger.startFresh(for: identity)
        return
      }
    }
    if recorded == nil { try ledger.recordIdentity(identity) }
  }

  /// What tells one incident from another that got the same id in another
  /// database: its series and start.
  static func fingerprint(of incident: Int64, in db: SQLiteDatabase) throws -> String? {
    let statement = try db.prepare("SELECT series, start_ts FROM incidents WHERE id = ?").bind(
      .integer(incident))
    guard try statement.step() else { return nil }
    return "\(statement.text(0) ?? "") \(statement.double(1))"
  }

  /// Whether a descriptor (the signalfd) has something to read, without
  /// reading it.
  static func isReadable(_ fd: Int32) -> Bool {
    guard fd >= 0 else { return false }
    var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
    return poll(&fds, 1, 0) > 0
  }

  /// Sends the alerts; nil (delivered) or why not, one per alert.
  func deliver(_ alerts: [PostableAlert], cancel: Int32 = -1) -> [String?] {
    guard !alerts.isEmpty else { return [] }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    switch target {
    case .alertmanager(let endpoint):
      // One POST for all: it is taken or not as a whole.
      var failure: String?
      do {
        let response = try endpoint.request(
          method: "POST", path: "/api/v2/alerts", body: Array(try encoder.encode(alerts)), cancel: cancel)
        if response.status != 200 {
          failure =
            "\(endpoint) answered \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))"
        }
      } catch {
        failure = "\(error)"
      }
      return Array(repeating: failure, count: alerts.count)
    case .exec(let hook):
      return hook.run(alerts.map { Array((try? encoder.encode($0)) ?? Data()) + [0x0A] }, cancel: cancel)
    }
  }

  /// Passes every two seconds until SIGTERM or SIGINT, which is honoured
  /// within a delivery too. When a pass fails (its own ledger cannot be
  /// written, the daemon's database cannot be read), the next waits 2 s,
  /// doubling up to 5 min: a failing ledger must not turn into a flood of
  /// re-deliveries.
  package func run(clock: any ServiceClock = SystemClock()) {
    let loop = ServiceLoop(
      metrics: TextfileMetrics(directory: settings.metricsDirectory, name: "outlierd_notify"), clock: clock)
    logger.info(
      "outlierd notify started (version \(OutlierdVersion.description)): incidents of \(settings.database) to \(target), ledger \(settings.notifyDatabase)"
    )
    loop.systemd.ready(status: "delivering to \(target)")
    var failedInARow = 0
    while true {
      let received = loop.received()
      if received.contains(.terminate) { break }
      if received.contains(.reload) {
        loop.systemd.reloading()
        reload()
        loop.systemd.ready(status: "delivering to \(target)")
      }
      do {
        try pass(now: loop.clock.now, cancel: loop.signals.descriptor) { loop.heartbeat() }
        failedInARow = 0
      } catch {
        failedInARow += 1
        logger.error(
          "notify: \(error); next pass in \(Self.retryDelay(afterFailures: failedInARow).formatted(maxFractionDigits: 0)) s"
        )
      }
      if let problem = loop.keepUp(metrics: metrics(up: true)) { logger.error("notify: \(problem)") }
      let pause = failedInARow == 0 ? Self.pollInterval : Self.retryDelay(afterFailures: failedInARow)
      let until = loop.clock.monotonic + pause
      while loop.clock.monotonic < until {
        if loop.wait(for: [], timeout: until - loop.clock.monotonic)[0].revents != 0 { break }
        loop.keepUp(metrics: metrics(up: true))
      }
    }
    loop.stop(metrics: metrics(up: false))
    logger.info("outlierd notify stopped")
  }

  /// The pause after `failures` failed passes in a row: 2 s, doubling, at
  /// most 5 min.
  static func retryDelay(afterFailures failures: Int) -> Double {
    min(pollInterval * pow(2, Double(max(failures - 1, 0))), 300)
  }

  func metrics(up: Bool) -> [TextfileMetrics.Metric] {
    let ledger = DeliveryLedger.summary(path: settings.notifyDatabase)
    return [
      .gauge("outlierd_notify_up", up ? 1 : 0, "1 while the notifier runs."),
      .counter("outlierd_notify_alerts_sent_total", sent, "Alerts delivered since start."),
      .counter("outlierd_notify_failures_total", failedPasses, "Delivery passes that failed since start."),
      .gauge(
        "outlierd_notify_incidents_firing", Double(ledger?.firing ?? 0),
        "Incidents delivered as firing and not yet resolved."),
      .gauge(
        "outlierd_notify_last_success_timestamp_seconds", lastSuccess ?? 0, "When alerts were last delivered."
      ),
    ]
  }

}
