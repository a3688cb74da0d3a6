import Foundation
import Testing

@testable import OutlierdCore

#if canImport(Glibc)
  import Glibc
#endif

/// What the relay accepted it keeps: across a spool it cannot write, a
/// stop, and senders beyond its limits. The real binary over loopback.
@Suite("Graphite relay limits", .serialized)
struct RelayLimitsTests {
  static let t = 1_767_571_200

  static func start(_ h: Harness, _ relaySettings: String, input: String = "") throws -> (Process, UInt16) {
    try h.writeConfig(
      detection: "threshold = 4.0",
      input:
        "\(input)\n[relay]\n\(relaySettings.contains("flush_interval") ? "" : "flush_interval = \"0.2s\"")\n\(relaySettings)"
    )
    let port = RelayTests.freePort()
    let relay = try h.start(["relay", "--config", h.config, "--listen", "127.0.0.1:\(port)"])
    #expect(h.waitFor(seconds: 10) { RelayTests.connect(port: port).map { close($0) } != nil })
    // The probe's connection is closed by the relay before the test's own.
    usleep(300_000)
    return (relay, port)
  }

  static func lines(_ prefix: String, _ range: Range<Int>) -> [UInt8] {
    Array(range.map { "\(prefix).s\($0 % 50) \($0) \(t + $0)\n" }.joined().utf8)
  }

  static func stop(_ relay: Process) {
    kill(relay.processIdentifier, SIGTERM)
    relay.waitUntilExit()
  }

  /// With the spool read-only, 100 KB were kept, then written as one file
  /// over `input.max_file_size` once it could be, which the daemon refuses
  /// whole; and the failure was logged at every retry.
  @Test(.enabled(if: SystemTools.isRoot, "a read-only bind mount needs root"))
  func whatIsKeptWhileTheSpoolCannotBeWrittenArrivesInFilesTheDaemonTakes() throws {
    let h = try Harness()
    let (relay, port) = try Self.start(h, "", input: "max_file_size = \"4KiB\"")
    defer { if relay.isRunning { Self.stop(relay) } }
    #expect(
      try SystemTools.shell("mount --bind \(h.spool) \(h.spool) && mount -o remount,bind,ro \(h.spool)")
        .status == 0)
    var mounted = true
    defer { if mounted { _ = try? SystemTools.shell("umount \(h.spool)") } }
    let fd = try #require(RelayTests.connect(port: port))
    let sent = Self.lines("kept", 0..<4000)
    RelayTests.send(fd, sent)
    close(fd)
    usleep(1_500_000)  // several flushes fail
    #expect(try SystemTools.shell("umount \(h.spool)").status == 0)
    mounted = false
    #expect(
      h.waitFor(seconds: 10) { RelayTests.spoolLines(h).count == 4000 }, "\(RelayTests.spoolLines(h).count)")
    for name in h.spoolFiles() {
      let size = (try? FileManager.default.attributesOfItem(atPath: h.spool + "/" + name)[.size] as? Int) ?? 0
      #expect(size <= 4096, "\(name): \(size) bytes")
    }
    #expect(RelayTests.spoolLines(h).joined(separator: "\n") + "\n" == String(decoding: sent, as: UTF8.self))
    Self.stop(relay)
    let log = h.stderr(of: relay)
    let failures = log.split(separator: "\n").filter { $0.contains("Read-only file system") }
    #expect(failures.count == 1, "\(log)")
    #expect(log.contains("writing to the spool works again"), "\(log)")
    // And the daemon takes every file.
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.query("SELECT sum(samples) FROM series") == [["4000"]])
  }

  /// A stop read what senders had already sent (it sat in the kernel's
  /// buffers) only as far as the loop happened to be: 2,398 samples were
  /// lost behind carbon-c-relay.
  @Test func aStopWritesEverythingItsSendersHadSent() throws {
    let h = try Harness()
    let (relay, port) = try Self.start(h, "flush_interval = \"1h\"")
    defer { if relay.isRunning { Self.stop(relay) } }
    var fds: [Int32] = []
    var sent = 0
    for c in 0..<4 {
      let fd = try #require(RelayTests.connect(port: port))
      fds.append(fd)
      RelayTests.send(fd, Self.lines("stop\(c)", 0..<20_000))
      sent += 20_000
    }
    // Told to stop with the connections open: it takes no new connection
    // (before, the kernel still completed them, and they were reset at
    // exit with what they had sent) ...
    kill(relay.processIdentifier, SIGTERM)
    usleep(500_000)
    #expect(relay.isRunning)
    let late = RelayTests.connect(port: port)
    #expect(late == nil, "a connection was taken during the stop")
    if let late { close(late) }
    // ... but reads the open ones until their senders close them (before:
    // until they had been quiet for 0.2 s, and what came next was lost).
    for (c, fd) in fds.enumerated() {
      RelayTests.send(fd, Self.lines("stop\(c)", 20_000..<40_000))
      sent += 20_000
    }
    close(fds[0])
    close(fds[1])
    // Two stay open, each ending with an unfinished line: after
    // `drainLimit` they are cut, and a cut line is dropped, not passed on.
    for fd in fds[2...] { RelayTests.send(fd, Array("stop.cut 5 17675".utf8)) }
    relay.waitUntilExit()
    #expect(relay.terminationStatus == 0)
    for fd in fds[2...] { close(fd) }
    let lines = RelayTests.spoolLines(h)
    #expect(lines.count == sent && !lines.contains { $0.hasPrefix("stop.cut") }, "\(h.stderr(of: relay))")
    #expect(h.stderr(of: relay).contains("dropped the unfinished line"), "\(h.stderr(of: relay))")
  }

  /// A kill -9 loses at most what arrived in the last `flush_interval`:
  /// lines sent more than an interval before the kill are in the spool.
  @Test func aKillLosesAtMostTheLastFlushInterval() throws {
    let h = try Harness()
    let (relay, port) = try Self.start(h, "flush_interval = \"0.5s\"")
    defer { if relay.isRunning { kill(relay.processIdentifier, SIGKILL) } }
    let fd = try #require(RelayTests.connect(port: port))
    defer { close(fd) }
    RelayTests.send(fd, Self.lines("kept", 0..<5_000))
    usleep(1_200_000)  // more than two intervals
    RelayTests.send(fd, Self.lines("late", 0..<5_000))
    kill(relay.processIdentifier, SIGKILL)
    relay.waitUntilExit()
    let lines = RelayTests.spoolLines(h)
    #expect(lines.filter { $0.hasPrefix("kept.") }.count == 5_000, "\(lines.count) lines in the spool")
    // What came within the last interval may be lost, never cut: every
    // line in the spool is whole.
    #expect(lines.allSatisfy { $0.split(separator: " ").count == 3 })
  }

  /// Past `max_connections`, a connection waits unaccepted and what it
  /// sends arrives once a place is free (before: accepted, closed, its
  /// lines dropped while the sender saw success); past
  /// `max_connections_per_peer` it is reset; an idle one is closed; the
  /// refusals are counted, not logged one by one.
  @Test func sendersBeyondTheLimitsLoseNothingTheyWereToldWasTaken() throws {
    let h = try Harness()
    let (relay, port) = try Self.start(
      h, "max_connections = 3\nmax_connections_per_peer = 2\nidle_timeout = \"2s\"")
    defer { if relay.isRunning { Self.stop(relay) } }
    let a = try #require(RelayTests.connect(port: port))
    let b = try #require(RelayTests.connect(port: port))
    RelayTests.send(a, Array("kept.a 1 \(Self.t)\n".utf8))
    RelayTests.send(b, Array("kept.b 1 \(Self.t)\n".utf8))
    usleep(300_000)
    // A third from the same address: reset before anything is read.
    var resets = 0
    for _ in 0..<5 {
      // Under load a connect may fail while the relay is still resetting
      // the one before: tried again for up to 5 s, not taken at once.
      var connected: Int32?
      _ = h.waitFor(seconds: 5) {
        connected = RelayTests.connect(port: port)
        return connected != nil
      }
      let c = try #require(connected, "connect: \(String(cString: strerror(errno)))")
      usleep(200_000)
      let sent = Array("reset.me 1 \(Self.t)\n".utf8).withUnsafeBytes {
        Glibc.send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
      }
      var byte: UInt8 = 0
      let got = recv(c, &byte, 1, Int32(MSG_DONTWAIT))
      if sent < 0 || (got < 0 && errno == ECONNRESET) { resets += 1 }
      close(c)
    }
    #expect(resets == 5, "\(h.stderr(of: relay))")
    // Idle: a and b are closed by the relay after 2 s of silence.
    var byte: UInt8 = 0
    #expect(h.waitFor(seconds: 5) { recv(a, &byte, 1, Int32(MSG_DONTWAIT)) == 0 })
    close(a)
    close(b)
    #expect(
      h.waitFor(seconds: 5) {
        Set(RelayTests.spoolLines(h)) == ["kept.a 1 \(Self.t)", "kept.b 1 \(Self.t)"]
      },
      "\(RelayTests.spoolLines(h)) \(h.stderr(of: relay))")
    Self.stop(relay)
    let log = h.stderr(of: relay)
    #expect(!log.contains("reset.me"))
    let resetLines = log.split(separator: "\n").filter { $0.contains("max_connections_per_peer") }
    #expect(resetLines.count <= 2 && resetLines.count >= 1, "\(log)")
    #expect(log.contains("idle for 2 s (relay.idle_timeout)"), "\(log)")
  }

  @Test func aConnectionOverTheCapWaitsAndIsServedWhenAPlaceFrees() throws {
    let h = try Harness()
    let (relay, port) = try Self.start(h, "max_connections = 2")
    defer { if relay.isRunning { Self.stop(relay) } }
    let a = try #require(RelayTests.connect(port: port))
    let b = try #require(RelayTests.connect(port: port))
    usleep(300_000)
    let c = try #require(RelayTests.connect(port: port))
    RelayTests.send(c, Array("waited.c 1 \(Self.t)\n".utf8))
    close(c)
    usleep(500_000)
    #expect(RelayTests.spoolLines(h).isEmpty)
    close(a)
    #expect(
      h.waitFor(seconds: 5) { RelayTests.spoolLines(h) == ["waited.c 1 \(Self.t)"] }, "\(h.stderr(of: relay))"
    )
    close(b)
    Self.stop(relay)
  }
}
