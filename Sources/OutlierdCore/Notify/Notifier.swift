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
public final class Notifier {
  /// Where incidents go: Alertmanager, or a command.
  public enum Target: CustomStringConvertible, Sendable {
    case alertmanager(HTTPEndpoint)
    case exec(ExecHook)

    public var description: String {
      switch self {
      case .alertmanager(let endpoint): return "\(endpoint)"
      case .exec(let hook): return "the exec hook `\(hook.command)`"
      }
    }
  }

  public let settings: Settings
  public let target: Target
  public let ledger: DeliveryLedger
  public var logger: Logger
  private let extraLabels: [String: String]
  /// Since start, for the metrics file.
  private var sent = 0
  private var failedPasses = 0
  private var lastSuccess: Double?
  /// Seconds between passes.
  static let pollInterval = 2.0

  public struct ConfigurationProblem: Error, CustomStringConvertible {
    public var description: String
  }

  public init(settings: Settings, logger: Logger) throws {
    switch (settings.notifyAlertmanager.isEmpty, settings.notifyExec.isEmpty) {
    case (false, true):
      guard let endpoint = HTTPEndpoint(url: settings.notifyAlertmanager) else {
        throw ConfigurationProblem(
          description:
            "notify.alertmanager_url \"\(settings.notifyAlertmanager)\" is not an http://host:port URL; set it to Alertmanager's address, e.g. \"http://127.0.0.1:9093\""
        )
      }
      target = .alertmanager(endpoint)
    case (true, false):
      target = .exec(ExecHook(command: settings.notifyExec, timeout: settings.notifyExecTimeout))
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
    self.settings = settings
    self.logger = logger
    ledger = try DeliveryLedger(path: settings.notifyDatabase)
    var labels: [String: String] = [:]
    for pair in settings.notifyLabels.split(separator: ",") {
      let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      if parts.count == 2 && !parts[0].isEmpty { labels[parts[0]] = parts[1] }
    }
    extraLabels = labels
  }

  /// One pass: reads the incidents, delivers what is due, and records each
  /// outcome. Returns the alerts delivered and whether any failed.
  @discardableResult
  public func pass(now: Double = Date().timeIntervalSince1970) throws -> (sent: Int, failed: Bool) {
    guard FileManager.default.fileExists(atPath: settings.database) else { return (0, false) }
    let db = try SQLiteDatabase(path: settings.database, readOnly: true)
    let lastSeen = try ledger.lastSeen()
    let records = try IncidentRecord.read(db, after: lastSeen ?? 0, orIn: try ledger.firing())
    var due: [(IncidentRecord, DeliveryLedger.State)] = []
    var skipped: [Int64] = []
    var silenced: [(Int64, Int64)] = []
    let silences = try ledger.silences(endingAfter: now).filter { $0.starts <= now }
    for record in records {
      let delivery = try ledger.delivery(record.id)
      if lastSeen == nil && record.closed && delivery == nil {
        skipped.append(record.id)
        continue
      }
      if let delivery, delivery.state != .firing || now < delivery.nextAttempt { continue }
      if delivery?.lastSent == nil,
        let silence = silences.first(where: { Glob.matches($0.pattern, record.series) })
      {
        // Not delivered yet, and silenced now: recorded, never sent.
        silenced.append((record.id, silence.id))
        continue
      }
      if record.closed {
        due.append((record, .resolved))
      } else if let lastSent = delivery?.lastSent {
        // Alertmanager expects a firing alert again and again; a command, once.
        if case .alertmanager = target, now - lastSent >= settings.notifyResendInterval {
          due.append((record, .firing))
        }
      } else {
        due.append((record, .firing))
      }
    }
    let failures = deliver(
      due.map { record, state in
        PostableAlert(
          record, resolvedAfter: state == .resolved ? settings.incidentGap : nil, extraLabels: extraLabels)
      })
    try ledger.transaction {
      for id in skipped { try ledger.markSkipped(id) }
      for (id, silence) in silenced { try ledger.markSilenced(id, by: silence) }
      for ((record, state), failure) in zip(due, failures) {
        if let failure {
          let failures = (try ledger.delivery(record.id)?.failures ?? 0) + 1
          try ledger.markFailed(
            record.id, error: failure, retryAt: now + min(5 * pow(2, Double(failures - 1)), 300))
        } else {
          try ledger.markSent(record.id, state: state, at: now)
        }
      }
      if let newest = records.map(\.id).max(), newest > (lastSeen ?? 0) || lastSeen == nil {
        try ledger.setLastSeen(max(newest, lastSeen ?? 0))
      } else if lastSeen == nil {
        try ledger.setLastSeen(0)
      }
    }
    let delivered = failures.filter { $0 == nil }.count
    sent += delivered
    if delivered > 0 { lastSuccess = now }
    if delivered < due.count {
      failedPasses += 1
      logger.error(
        "notify: \(due.count - delivered) alert(s) not delivered: \(failures.compactMap { $0 }.first ?? ""); retried with backoff"
      )
    }
    for (id, silence) in silenced {
      logger.notice("notify: incident #\(id) opened under silence #\(silence): recorded, not delivered")
    }
    if delivered > 0 {
      let resolved = zip(due, failures).filter { $0.0.1 == .resolved && $0.1 == nil }.count
      logger.info(
        "notify: delivered \(delivered - resolved) firing and \(resolved) resolved alert(s) to \(target)")
    }
    return (delivered, delivered < due.count)
  }

  /// Sends the alerts; nil (delivered) or why not, one per alert.
  func deliver(_ alerts: [PostableAlert]) -> [String?] {
    guard !alerts.isEmpty else { return [] }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    switch target {
    case .alertmanager(let endpoint):
      // One POST for all: it is taken or not as a whole.
      var failure: String?
      do {
        let response = try endpoint.request(
          method: "POST", path: "/api/v2/alerts", body: Array(try encoder.encode(alerts)))
        if response.status != 200 {
          failure =
            "\(endpoint) answered \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))"
        }
      } catch {
        failure = "\(error)"
      }
      return Array(repeating: failure, count: alerts.count)
    case .exec(let hook):
      return hook.run(alerts.map { Array((try? encoder.encode($0)) ?? Data()) + [0x0A] })
    }
  }

  /// Passes every two seconds until SIGTERM or SIGINT.
  public func run() {
    let signals = SignalReceiver()
    let notifier = SystemdNotifier()
    logger.info(
      "outlierd notify started (version \(OutlierdVersion.description)): incidents of \(settings.database) to \(target), ledger \(settings.notifyDatabase)"
    )
    notifier.ready(status: "delivering to \(target)")
    var textfile = TextfileMetrics(directory: settings.metricsDirectory, name: "outlierd_notify")
    while true {
      if signals.pending().contains(.terminate) { break }
      do {
        try pass()
      } catch {
        logger.error("notify: \(error)")
      }
      if let problem = textfile.write(metrics(up: true), now: Date().timeIntervalSince1970) {
        logger.error("notify: \(problem)")
      }
      notifier.watchdogIfDue()
      var fds = [pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)]
      _ = poll(&fds, 1, Int32(Self.pollInterval * 1000))
    }
    notifier.stopping()
    _ = textfile.write(metrics(up: false), now: Date().timeIntervalSince1970, force: true)
    logger.info("outlierd notify stopped")
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
