import Foundation
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// `outlierd relay`: takes Graphite plaintext over TCP (collectd's
/// write_graphite, carbon senders) and writes it into the spool as files,
/// so the daemon itself stays without a network (`PrivateNetwork=yes`).
///
/// Contract:
/// - Lines are copied, not parsed: the daemon judges and rejects them with
///   its usual reasons. Only lines that would harm others are dropped here
///   (over `input.max_line_length`, or holding a NUL byte; `StreamLines`).
/// - A spool file is written under a hidden name, synced, then renamed into
///   place (the daemon's write-then-rename contract), every
///   `relay.flush_interval`, or sooner when it would pass
///   `input.max_file_size`. Lines of one connection keep their order.
/// - SIGTERM or SIGINT flushes what was received and exits; a line not yet
///   ended by its sender when the connection is still open is lost, as with
///   any TCP receiver that stops.
/// - When the spool cannot be written, lines are kept (up to 64 MiB) and the
///   write is retried each interval; past that, connections are not read,
///   so senders wait (TCP backpressure) instead of data being dropped.
public final class GraphiteRelay {
  public let settings: Settings
  public var logger: Logger
  private let listeners: [Int32]
  private var connections: [Int32: StreamLines] = [:]
  /// Lines received and not yet written to the spool.
  private var pending: [UInt8] = []
  private var pendingLines = 0
  private var sequence = 0
  /// Totals, for the status line and the log.
  private var linesWritten = 0
  private var filesWritten = 0
  private var linesDropped = 0
  private var lastError = ""

  /// Past this many bytes pending, connections are not read.
  static let pendingLimit = 64 << 20

  /// - Parameter listeners: listening sockets (`ListeningSockets`).
  public init(settings: Settings, listeners: [Int32], logger: Logger) {
    self.settings = settings
    self.listeners = listeners
    self.logger = logger
  }

  /// Runs until SIGTERM or SIGINT.
  public func run() {
    umask(0o027)
    let signals = SignalReceiver()
    let notifier = SystemdNotifier()
    logger.info(
      "outlierd relay started (version \(OutlierdVersion.description)): \(listeners.count) listening socket(s), spool \(settings.spool), a file every \(settings.relayFlushInterval.formatted(maxFractionDigits: 3)) s"
    )
    notifier.ready(status: "listening")
    var nextFlush = Date().timeIntervalSince1970 + settings.relayFlushInterval
    var buffer = [UInt8](repeating: 0, count: min(1 << 16, max(settings.maxFileSize / 2, 1)))
    var running = true
    while running {
      let reading = pending.count < Self.pendingLimit
      var fds = [pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)]
      fds += listeners.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
      if reading { fds += connections.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) } }
      let wait = max(0, min(nextFlush - Date().timeIntervalSince1970, 1))
      _ = poll(&fds, nfds_t(fds.count), Int32(wait * 1000))
      for event in fds where event.revents != 0 {
        if event.fd == signals.descriptor {
          if signals.pending().contains(.terminate) { running = false }
        } else if listeners.contains(event.fd) {
          accept(from: event.fd)
        } else {
          receive(from: event.fd, buffer: &buffer)
        }
      }
      let now = Date().timeIntervalSince1970
      if now >= nextFlush || !running {
        flush()
        nextFlush = now + settings.relayFlushInterval
        notifier.status(
          "\(connections.count) connections, \(linesWritten) lines in \(filesWritten) files, \(linesDropped) dropped"
        )
      }
      notifier.watchdogIfDue()
    }
    notifier.stopping()
    for fd in connections.keys { close(fd) }
    logger.info(
      "outlierd relay stopped: \(linesWritten) lines in \(filesWritten) files, \(linesDropped) lines dropped")
  }

  private func accept(from listener: Int32) {
    while true {
      let fd = Glibc.accept(listener, nil, nil)
      guard fd >= 0 else { return }
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
      _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
      guard connections.count < settings.relayMaxConnections else {
        logger.warning(
          "relay: connection refused, \(connections.count) are open (relay.max_connections \(settings.relayMaxConnections))"
        )
        close(fd)
        continue
      }
      connections[fd] = StreamLines(maxLineLength: settings.maxLineLength)
    }
  }

  private func receive(from fd: Int32, buffer: inout [UInt8]) {
    guard var lines = connections[fd] else { return }
    let before = lines.dropped
    var received: [UInt8] = []
    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if count > 0 {
      buffer.withUnsafeBytes { lines.feed(UnsafeRawBufferPointer(rebasing: $0[..<count]), into: &received) }
    } else if count < 0 && (errno == EAGAIN || errno == EINTR) {
      return
    }
    if count <= 0 {
      // End of stream, or an error: the last line, if whole, still counts.
      lines.finish(into: &received)
      close(fd)
      connections[fd] = nil
    } else {
      connections[fd] = lines
    }
    linesDropped += lines.dropped - before
    if lines.dropped > before {
      logger.notice(
        "relay: dropped \(lines.dropped - before) line(s) over \(settings.maxLineLength) bytes (input.max_line_length) or with a NUL byte"
      )
    }
    guard !received.isEmpty else { return }
    // A spool file stays within input.max_file_size.
    if pending.count + received.count > settings.maxFileSize { flush() }
    pending += received
    pendingLines += received.lazy.filter { $0 == 0x0A }.count
  }

  /// Writes the pending lines as one spool file: a temporary name, fsync, rename.
  private func flush() {
    guard !pending.isEmpty else { return }
    let now = Date().timeIntervalSince1970
    sequence += 1
    let name = String(format: "relay-%.6f-%d-%d.txt", now, getpid(), sequence)
    do {
      // Written under a random .outlierd-….tmp name, which the daemon never
      // reads, then renamed.
      try FileSystem.writeAtomically(settings.spool + "/" + name, pending)
      linesWritten += pendingLines
      filesWritten += 1
      pending.removeAll(keepingCapacity: true)
      pendingLines = 0
      if !lastError.isEmpty {
        logger.notice("relay: writing to the spool works again")
        lastError = ""
      }
    } catch {
      let message = "\(error)"
      if message != lastError {
        logger.error(
          "relay: \(message); \(pending.count) bytes kept, retried every \(settings.relayFlushInterval.formatted(maxFractionDigits: 3)) s"
        )
        lastError = message
      }
    }
  }
}
