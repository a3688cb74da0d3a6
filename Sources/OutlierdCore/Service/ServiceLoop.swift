import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// What outlierd's three long-running loops (the daemon, the notifier and
/// the relay) share around their own work, in one place: the umask, the
/// signals (a signalfd: SIGTERM and SIGINT stop, SIGHUP reloads), the
/// service manager's readiness, status, watchdog and stop (sd_notify), the
/// metrics file on its interval, and the wait for the next event.
///
/// Contract:
/// - Create it first: it sets the umask (files for outlierd's group at
///   most) and blocks the signals it receives.
/// - Call `keepUp` once per turn of the loop (and from long work between
///   turns): it pings the watchdog and writes the metrics when due.
/// - `wait` returns when a descriptor or a signal is readable, or after
///   the timeout, never later than the watchdog's or the metrics' interval.
/// - `stop` says STOPPING=1 and writes the last metrics.
/// Intervals are read from the injected `ServiceClock`.
///
/// A small type of our own rather than swift-service-lifecycle: each of
/// these services is one thread that owns its SQLite connection and
/// blocks in poll(2) on a few descriptors; ServiceGroup runs async
/// services on Swift concurrency and would add a runtime, a dependency to
/// build and cancellation semantics for nothing the loops need.
package final class ServiceLoop {
  package let signals: SignalReceiver
  package let systemd: SystemdNotifier
  package let clock: any ServiceClock
  private var metricsFile: TextfileMetrics

  package init(
    metrics: TextfileMetrics, systemd: SystemdNotifier = SystemdNotifier(),
    clock: any ServiceClock = SystemClock()
  ) {
    // The database, lock, spool and rejected files are for outlierd's group at most.
    umask(0o027)
    signals = SignalReceiver()
    self.systemd = systemd
    self.clock = clock
    metricsFile = metrics
  }

  /// The signals received since the last call, without waiting.
  package func received() -> [SignalReceiver.Signal] { signals.pending() }

  /// Pings the watchdog and writes the metrics file when they are due (or
  /// the file at once with `force`); returns a failure to log, or nil.
  @discardableResult
  package func keepUp(metrics: @autoclosure () -> [TextfileMetrics.Metric], force: Bool = false) -> String? {
    let now = clock.monotonic
    systemd.watchdogIfDue(at: now)
    return metricsFile.write(metrics(), now: now, force: force)
  }

  /// Pings the watchdog when due: from long work between turns of the
  /// loop (a batch of files, a round of deliveries).
  package func heartbeat() { systemd.watchdogIfDue(at: clock.monotonic) }

  /// The longest a wait may last to keep up: `wanted`, bounded by the
  /// watchdog's and the metrics' intervals, and by an hour.
  package func longestWait(_ wanted: Double) -> Double {
    var longest = min(max(wanted, 0), 3600)
    if let interval = systemd.watchdogInterval { longest = min(longest, interval) }
    if metricsFile.isEnabled { longest = min(longest, metricsFile.interval) }
    return longest
  }

  /// Waits until one of `descriptors` or the signals is readable, or for
  /// `timeout` seconds (bounded by `longestWait`); returns the descriptors
  /// with their events, the signals' first.
  @discardableResult
  package func wait(for descriptors: [Int32], timeout: Double) -> [pollfd] {
    var fds = ([signals.descriptor] + descriptors.filter { $0 >= 0 }).map {
      pollfd(fd: $0, events: Int16(POLLIN), revents: 0)
    }
    _ = poll(&fds, nfds_t(fds.count), Int32(longestWait(timeout) * 1000))
    return fds
  }

  /// Tells the service manager it is stopping and writes the last metrics.
  @discardableResult
  package func stop(metrics: @autoclosure () -> [TextfileMetrics.Metric]) -> String? {
    systemd.stopping()
    return metricsFile.write(metrics(), now: clock.monotonic, force: true)
  }
}
