#if canImport(Glibc)
  import Glibc
#endif

/// `outlierd status --check`: whether the service is healthy, as monitoring
/// (Nagios, Icinga, monit, a systemd timer) asks it, with one line per
/// finding and the plugin exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
package struct HealthCheck: Sendable {
  package enum Level: Int32, Sendable, Comparable {
    case ok = 0, warning = 1, critical = 2, unknown = 3
    package static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    package var word: String { ["OK", "WARNING", "CRITICAL", "UNKNOWN"][Int(rawValue)] }
  }

  package struct Finding: Sendable, Hashable {
    package var level: Level
    package var text: String
  }

  /// Limits past which the spool is unhealthy.
  package var maxBacklog: Int
  package var maxLag: Double

  package init(maxBacklog: Int, maxLag: Double) {
    self.maxBacklog = maxBacklog
    self.maxLag = maxLag
  }

  /// Whether a writer (the daemon, or an `ingest`) holds the database: it
  /// keeps an exclusive `flock` on the file while it runs (`DatabaseFile`).
  /// nil when the file cannot be opened to ask.
  package static func writerIsRunning(database: String) -> Bool? {
    let fd = open(database, O_RDONLY | O_CLOEXEC | O_NOCTTY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    if flock(fd, LOCK_SH | LOCK_NB) == 0 {
      flock(fd, LOCK_UN)
      return false
    }
    return errno == EWOULDBLOCK ? true : nil
  }

  /// The findings, worst first; one OK finding when there is nothing wrong.
  package func findings(database: String, spool: SpoolCensus?, now: Double) -> [Finding] {
    var found: [Finding] = []
    switch Self.writerIsRunning(database: database) {
    case true?: break
    case false?:
      found.append(Finding(level: .critical, text: "outlierd is not running: nothing holds \(database)"))
    case nil:
      found.append(Finding(level: .unknown, text: "cannot open \(database) to ask whether outlierd runs"))
    }
    if let spool {
      if let oldest = spool.oldestWaiting, now - oldest > maxLag {
        found.append(
          Finding(
            level: .critical,
            text:
              "the oldest of \(spool.waiting) spool files waits for \(Int(now - oldest)) s (limit \(Int(maxLag)) s)"
          ))
      } else if spool.waiting > maxBacklog {
        found.append(
          Finding(level: .warning, text: "\(spool.waiting) files wait in the spool (limit \(maxBacklog))"))
      }
      if !spool.unreadable.isEmpty {
        found.append(
          Finding(
            level: .warning,
            text:
              "\(spool.unreadable.count) spool files are unreadable to outlierd: \(spool.unreadable.prefix(3).joined(separator: " "))"
          ))
      }
    } else {
      found.append(Finding(level: .unknown, text: "cannot read the spool directory"))
    }
    var wal = stat()
    if stat(database + "-wal", &wal) == 0 && Int(wal.st_size) > 2 * Store.writeAheadLogLimit {
      found.append(
        Finding(
          level: .warning,
          text:
            "\(database)-wal is \(Int(wal.st_size) >> 20) MiB (outlierd truncates it past \(Store.writeAheadLogLimit >> 20) MiB): a reader holds a transaction open (a sqlite3 shell left in BEGIN, a long query), so it cannot be checkpointed; it shrinks once that reader ends"
        ))
    }
    if found.isEmpty {
      found.append(Finding(level: .ok, text: "outlierd runs; \(spool?.waiting ?? 0) files wait in the spool"))
    }
    return found.sorted { $0.level > $1.level }
  }
}
