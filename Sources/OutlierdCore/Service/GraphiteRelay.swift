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
/// - SIGTERM or SIGINT: no connection is accepted any more; the open ones
///   are read until they have been quiet for `drainQuiet` (at most
///   `drainLimit`), and everything received is written before the relay
///   exits. A kill -9 loses at most what arrived since the last write.
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
  private let listeners: [Int32]
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
  /// At a stop, connections are read until quiet this long ...
  static let drainQuiet = 0.2
  /// ... but no longer than this, so that a stop stays within systemd's
  /// TimeoutStopSec (15 s), with time left to write.
  static let drainLimit = 5.0
  /// At a stop, a spool that cannot be written is retried this long.
  static let stopWriteLimit = 8.0

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
    var running = true
    while running {
      let reading = backlog.bytes + buffer.count <= Self.pendingLimit
      var descriptors: [Int32] = []
      // At the cap, new connections wait in the kernel's backlog.
      if connections.count < settings.relayMaxConnections { descriptors += listeners }
      if reading { descriptors += connections.keys }
      let fds = loop.wait(for: descriptors, timeout: min(nextFlush - loop.clock.now, 1))
      let now = loop.clock.now
      for event in fds where event.revents != 0 {
        if event.fd == loop.signals.descriptor {
          if loop.received().contains(.terminate) { running = false }
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
    loop.stop(metrics: [])
    drain(buffer: &buffer)
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

  /// Reads the open connections until each has been quiet for
  /// `drainQuiet` or closed, for at most `drainLimit`; then closes them,
  /// an unfinished last line counting as a line, as at the end of a stream.
  private func drain(buffer: inout [UInt8]) {
    let deadline = Date().timeIntervalSince1970 + Self.drainLimit
    while !connections.isEmpty && Date().timeIntervalSince1970 < deadline {
      var fds = connections.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
      guard poll(&fds, nfds_t(fds.count), Int32(Self.drainQuiet * 1000)) > 0 else { break }
      let now = Date().timeIntervalSince1970
      for event in fds where event.revents != 0 { receive(from: event.fd, buffer: &buffer, now: now) }
    }
    for fd in Array(connections.keys) { end(fd) }
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
