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
/// - What was received is written into the spool every
///   `relay.flush_interval`, as files of at most `input.max_file_size`
///   (`RelayBacklog`), each under a hidden name, synced, then renamed into
///   place (the daemon's write-then-rename contract). Lines of one
///   connection keep their order.
/// - SIGTERM or SIGINT: the listening sockets are closed (a sender that
///   reconnects is refused, or waits in systemd's socket for the next
///   start, and keeps its data). The open connections are read until their
///   senders close them, for at most `drainLimit`, writing files every
///   interval meanwhile; one still open then is shut down, so that the
///   kernel takes nothing more on it (a sender's later write is answered
///   with a reset, not acknowledged), read to its end and closed, its
///   unfinished line dropped. Everything received is written before the
///   relay exits. A kill -9 loses at most what arrived since the last write.
/// - When the spool cannot be written, lines are kept (up to 64 MiB) and the
///   write is retried each interval; past that, connections are not read,
///   so senders wait (TCP backpressure) instead of data being dropped.
/// - At most `relay.max_connections` connections are served: past that,
///   new ones wait in the kernel's backlog, not accepted, so nothing their
///   senders write is taken and then dropped. At most
///   `relay.max_connections_per_peer` from one address: more are reset
///   before anything is read. A connection quiet for `relay.idle_timeout`
///   is closed.
package final class GraphiteRelay {
  package let settings: Settings
  package var logger: Logger
  /// Closed (and emptied) when the relay starts to stop.
  private var listeners: [Int32]
  private var connections: [Int32: RelayConnection] = [:]
  private var backlog: RelayBacklog
  private var sequence = 0
  /// Totals, for the status line and the log.
  private var linesWritten = 0
  private var filesWritten = 0
  private var linesDropped = 0
  /// The last failure to write the spool (operation and errno), logged once.
  private var lastError: (operation: String, code: Int32)?
  private var refusals: RateLimitedCount

  /// Past this many bytes pending, connections are not read.
  static let pendingLimit = 64 << 20
  /// At a stop, connections are read until their senders close them, but
  /// no longer than this, so that a stop stays within systemd's
  /// TimeoutStopSec (15 s) with time left to write. (carbon-c-relay closes
  /// a connection it has had nothing to send on for 3 s.)
  static let drainLimit = 8.0
  /// At a stop, a spool that cannot be written is retried this long.
  static let stopWriteLimit = 5.0

  /// - Parameter listeners: listening sockets (`ListeningSockets`).
  package init(settings: Settings, listeners: [Int32], logger: Logger) {
    self.settings = settings
    self.listeners = listeners
    self.logger = logger
    backlog = RelayBacklog(maxFileSize: settings.maxFileSize)
    refusals = RateLimitedCount(interval: 60)
  }

  /// Runs until SIGTERM or SIGINT.
  package func run(clock: any ServiceClock = SystemClock()) {
    // The relay writes no metrics file of its own.
    let loop = ServiceLoop(metrics: TextfileMetrics(directory: "", name: "outlierd_relay"), clock: clock)
    logger.info(
      "outlierd relay started (version \(OutlierdVersion.description)): \(listeners.count) listening socket(s), spool \(settings.spool), a file every \(settings.relayFlushInterval.formatted(maxFractionDigits: 3)) s"
    )
    loop.systemd.ready(status: "listening")
    var nextFlush = loop.clock.now + settings.relayFlushInterval
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    /// Set at SIGTERM: until when the open connections are read.
    var drainUntil: Double?
    while drainUntil.map({ loop.clock.now < $0 && !connections.isEmpty }) ?? true {
      let reading = backlog.bytes + buffer.count <= Self.pendingLimit
      var descriptors: [Int32] = []
      // At the cap, new connections wait in the kernel's backlog.
      if connections.count < settings.relayMaxConnections { descriptors += listeners }
      if reading { descriptors += connections.keys }
      let fds = loop.wait(
        for: descriptors, timeout: min(nextFlush - loop.clock.now, drainUntil == nil ? 1 : 0.1))
      let now = loop.clock.now
      for event in fds where event.revents != 0 {
        if event.fd == loop.signals.descriptor {
          if loop.received().contains(.terminate) && drainUntil == nil {
            drainUntil = now + Self.drainLimit
            beginStop(loop)
          }
        } else if listeners.contains(event.fd) {
          accept(from: event.fd, now: now)
        } else {
          receive(from: event.fd, buffer: &buffer, now: now)
        }
      }
      closeIdle(now: now)
      if let note = refusals.report(now: now) { logger.warning("relay: \(note)") }
      if now >= nextFlush {
        flush()
        nextFlush = now + settings.relayFlushInterval
        loop.systemd.status(
          "\(connections.count) connections, \(linesWritten) lines in \(filesWritten) files, \(linesDropped) dropped"
        )
      }
      loop.heartbeat()
    }
    if drainUntil == nil { beginStop(loop) }
    shutDownStillOpen(buffer: &buffer)
    let deadline = Date().timeIntervalSince1970 + Self.stopWriteLimit
    flush()
    while !backlog.isEmpty && Date().timeIntervalSince1970 < deadline {
      usleep(500_000)
      flush()
    }
    if !backlog.isEmpty {
      logger.error(
        "relay: stopping with \(backlog.lines) line(s) that could not be written to \(settings.spool): they are lost"
      )
    }
    if let note = refusals.report(now: .infinity) { logger.warning("relay: \(note)") }
    logger.info(
      "outlierd relay stopped: \(linesWritten) lines in \(filesWritten) files, \(linesDropped) lines dropped")
  }

  /// The start of a stop: the listening sockets are closed, so that no
  /// connection is completed by the kernel and then reset at exit with
  /// its data (systemd keeps its own copy of a passed socket).
  private func beginStop(_ loop: ServiceLoop) {
    loop.stop(metrics: [])
    for fd in listeners { close(fd) }
    listeners = []
    if !connections.isEmpty {
      logger.notice(
        "relay: stopping; reading \(connections.count) open connection(s) until their senders close them (at most \(Self.drainLimit.formatted(maxFractionDigits: 0)) s)"
      )
    }
  }

  /// Connections whose senders did not close them within `drainLimit`:
  /// what the kernel took is read, then each is shut down (from then on a
  /// write of its sender is answered with a reset, never acknowledged),
  /// read to its end and closed. The unfinished line of each is dropped:
  /// the cut is ours, not the end of the sender's stream.
  private func shutDownStillOpen(buffer: inout [UInt8]) {
    guard !connections.isEmpty else { return }
    logger.warning(
      "relay: \(connections.count) connection(s) still open after \(Self.drainLimit.formatted(maxFractionDigits: 0)) s: shut down; their senders' writes from now on are refused (reset)"
    )
    for fd in Array(connections.keys) {
      readAll(fd, buffer: &buffer)
      Glibc.shutdown(fd, Int32(SHUT_RDWR))
      readAll(fd, buffer: &buffer)
      guard var connection = connections[fd] else { continue }
      let before = connection.lines.dropped
      connection.lines.dropUnfinished()
      close(fd)
      connections[fd] = nil
      if connection.lines.dropped > before {
        linesDropped += 1
        logger.notice(
          "relay: dropped the unfinished line of a connection from \(connection.peer), cut by the stop")
      }
    }
  }

  /// Reads `fd` until nothing is left to read now (or it ends).
  private func readAll(_ fd: Int32, buffer: inout [UInt8]) {
    var count = 0
    repeat {
      guard var connection = connections[fd] else { return }
      let before = connection.lines.dropped
      var received: [UInt8] = []
      count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count > 0 {
        buffer.withUnsafeBytes {
          connection.lines.feed(UnsafeRawBufferPointer(rebasing: $0[..<count]), into: &received)
        }
        connections[fd] = connection
        take(received, droppedBefore: before, from: connection)
      }
    } while count > 0
  }

  private func accept(from listener: Int32, now: Double) {
    while connections.count < settings.relayMaxConnections {
      var address = sockaddr_storage()
      var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
      let fd = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(listener, $0, &length) }
      }
      guard fd >= 0 else { return }
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
      _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
      let peer = Self.host(of: address)
      let fromPeer = connections.values.lazy.filter { $0.peer == peer }.count
      guard fromPeer < settings.relayMaxConnectionsPerPeer else {
        // Reset, not a clean close: the sender's next write fails, and it
        // knows that nothing it sent was taken.
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(fd)
        refusals.add(
          "connection(s) from \(peer) reset: \(fromPeer) are open from there (relay.max_connections_per_peer)"
        )
        continue
      }
      connections[fd] = RelayConnection(
        lines: StreamLines(maxLineLength: settings.maxLineLength), peer: peer, lastRead: now)
    }
  }

  /// The address of a peer, for the per-peer count and messages.
  static func host(of address: sockaddr_storage) -> String {
    var copy = address
    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
    return withUnsafePointer(to: &copy) { pointer in
      switch Int32(address.ss_family) {
      case AF_INET:
        return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
          var ip = v4.pointee.sin_addr
          return inet_ntop(AF_INET, &ip, &text, socklen_t(text.count)).map { String(cString: $0) } ?? "?"
        }
      case AF_INET6:
        return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
          var ip = v6.pointee.sin6_addr
          return inet_ntop(AF_INET6, &ip, &text, socklen_t(text.count)).map { String(cString: $0) } ?? "?"
        }
      default:
        return "local"
      }
    }
  }

  private func closeIdle(now: Double) {
    for (fd, connection) in connections where now - connection.lastRead >= settings.relayIdleTimeout {
      logger.notice(
        "relay: closed a connection from \(connection.peer), idle for \(settings.relayIdleTimeout.formatted(maxFractionDigits: 0)) s (relay.idle_timeout)"
      )
      end(fd)
    }
  }

  /// Closes a connection; its unfinished last line still counts.
  private func end(_ fd: Int32) {
    guard var connection = connections[fd] else { return }
    var received: [UInt8] = []
    connection.lines.finish(into: &received)
    close(fd)
    connections[fd] = nil
    take(received, droppedBefore: connection.lines.dropped, from: connection)
  }

  private func receive(from fd: Int32, buffer: inout [UInt8], now: Double) {
    guard var connection = connections[fd] else { return }
    let before = connection.lines.dropped
    var received: [UInt8] = []
    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if count > 0 {
      buffer.withUnsafeBytes {
        connection.lines.feed(UnsafeRawBufferPointer(rebasing: $0[..<count]), into: &received)
      }
      connection.lastRead = now
      connections[fd] = connection
    } else if count < 0 && (errno == EAGAIN || errno == EINTR) {
      return
    } else {
      // End of stream, or an error: the last line, if whole, still counts.
      connection.lines.finish(into: &received)
      close(fd)
      connections[fd] = nil
    }
    take(received, droppedBefore: before, from: connection)
  }

  private func take(_ received: [UInt8], droppedBefore before: Int, from connection: RelayConnection) {
    var dropped = connection.lines.dropped - before
    if dropped > 0 {
      logger.notice(
        "relay: dropped \(dropped) line(s) from \(connection.peer) over \(settings.maxLineLength) bytes (input.max_line_length) or with a NUL byte"
      )
    }
    let tooLong = backlog.append(received)
    if tooLong > 0 {
      logger.notice(
        "relay: dropped \(tooLong) line(s) from \(connection.peer) longer than a whole spool file (input.max_file_size)"
      )
    }
    dropped += tooLong
    linesDropped += dropped
  }

  /// Writes the pending files, oldest first, each under a temporary name,
  /// synced and renamed; stops at the first that fails and keeps it and the
  /// rest for the next try.
  private func flush() {
    while let (bytes, lines) = backlog.first {
      let now = Date().timeIntervalSince1970
      sequence += 1
      let name = String(format: "relay-%.6f-%d-%d.txt", now, getpid(), sequence)
      do {
        // Written under a random .outlierd-….tmp name, which the daemon
        // never reads, then renamed.
        try FileSystem.writeAtomically(settings.spool + "/" + name, bytes)
        backlog.removeFirst()
        linesWritten += lines
        filesWritten += 1
        if lastError != nil {
          logger.notice("relay: writing to the spool works again")
          lastError = nil
        }
      } catch {
        // Once per kind of failure: the message names a new file each time.
        if lastError?.operation != error.operation || lastError?.code != error.code {
          logger.error(
            "relay: \(error); \(backlog.bytes) bytes kept, retried every \(settings.relayFlushInterval.formatted(maxFractionDigits: 3)) s"
          )
          lastError = (error.operation, error.code)
        }
        return
      }
    }
  }
}
