import Foundation
import Testing

@testable import OutlierdCore

/// A socket that plays systemd's side of sd_notify.
final class NotifyListener {
  let path: String
  let descriptor: Int32

  init(path: String) throws {
    self.path = path
    descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
    let rc = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard rc == 0 else { throw FileSystem.Failure(path: path, operation: "bind", code: errno) }
    var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
  }

  deinit {
    close(descriptor)
    unlink(path)
  }

  var received: [String] = []

  /// Collects messages until one satisfies the predicate, or the time is up.
  func await(seconds: Double = 10, _ predicate: (String) -> Bool) -> String? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      var buffer = [UInt8](repeating: 0, count: 4096)
      let n = recv(descriptor, &buffer, buffer.count, 0)
      if n > 0 {
        let message = String(decoding: buffer[..<n], as: UTF8.self)
        received.append(message)
        if predicate(message) { return message }
      }
    }
    return nil
  }
}

@Suite("systemd notification", .serialized)
struct NotifyTests {
  @Test func readyStatusWatchdogReloadingStopping() throws {
    let h = try Harness()
    let listener = try NotifyListener(path: h.root + "/notify.sock")
    let daemon = try h.start(
      ["run", "--config", h.config], environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "400000"])
    defer { if daemon.isRunning { daemon.terminate(); daemon.waitUntilExit() } }

    let ready = listener.await { $0.contains("READY=1") }
    #expect(ready?.contains("STATUS=") == true)
    #expect(listener.await { $0 == "WATCHDOG=1" } != nil)

    try h.drop("one.txt", "a.b 1 1767571200\nc.d 2 1767571200\n")
    let status = listener.await { $0.hasPrefix("STATUS=1 files") }
    #expect(status?.contains("1 files, 2 samples, 0 alerts") == true, "\(listener.received)")

    // Watchdog pings keep coming while idle, at about half the interval.
    let before = listener.received.filter { $0 == "WATCHDOG=1" }.count
    usleep(1_000_000)
    _ = listener.await(seconds: 0.2) { _ in false }
    let pings = listener.received.filter { $0 == "WATCHDOG=1" }.count - before
    #expect((3...8).contains(pings), "\(pings) pings in ~1.2 s")

    kill(daemon.processIdentifier, SIGHUP)
    let reloading = listener.await { $0.contains("RELOADING=1") }
    #expect(reloading?.contains("MONOTONIC_USEC=") == true)
    #expect(listener.await { $0 == "READY=1" } != nil)

    kill(daemon.processIdentifier, SIGTERM)
    #expect(listener.await { $0 == "STOPPING=1" } != nil)
    daemon.waitUntilExit()
    #expect(daemon.terminationStatus == 0)
  }

  @Test func journalStreamAddsSyslogPriorities() throws {
    let h = try Harness()
    try "bad line\n".write(toFile: h.root + "/bad.txt", atomically: true, encoding: .utf8)
    let result = try h.run(
      ["ingest", "--config", h.config, h.root + "/bad.txt"], environment: ["JOURNAL_STREAM": "8:1234"])
    let lines = result.errors.split(separator: "\n")
    #expect(!lines.isEmpty)
    #expect(lines.allSatisfy { $0.hasPrefix("<") && $0.dropFirst(2).hasPrefix(">") }, "\(lines)")
    #expect(lines.contains { $0.hasPrefix("<4>") && $0.contains("1 lines rejected") })
  }
}
