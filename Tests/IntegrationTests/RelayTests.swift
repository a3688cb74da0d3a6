import Foundation
import Testing

@testable import OutlierdCore

#if canImport(Glibc)
  import Glibc
#endif

/// `outlierd relay`, the real binary: Graphite plaintext over TCP into
/// spool files, listening itself, socket-activated by systemd's own
/// `systemd-socket-activate`, and fed by a real collectd (write_graphite)
/// with the daemon turning a spike into an alert.
@Suite("Graphite relay", .serialized)
struct RelayTests {
  static let relayConfig = "max_line_length = 64\n[relay]\nflush_interval = \"0.2s\""

  /// A loopback port that was free a moment ago.
  static func freePort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        _ = Glibc.bind(fd, pointer, length)
        return getsockname(fd, pointer, &length)
      }
    }
    return UInt16(bigEndian: address.sin_port)
  }

  /// A connection to 127.0.0.1:port, or nil while nothing listens.
  static func connect(port: UInt16) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let status = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard status == 0 else {
      close(fd)
      return nil
    }
    return fd
  }

  static func send(_ fd: Int32, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes { _ = Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
  }

  /// Every line of every file in the spool, file by file in name order.
  static func spoolLines(_ h: Harness) -> [String] {
    h.spoolFiles().sorted().flatMap { name in
      ((try? String(contentsOfFile: h.spool + "/" + name, encoding: .utf8)) ?? "")
        .split(separator: "\n").map(String.init)
    }
  }

  @Test func wholeLinesOfEveryConnectionReachTheSpoolAndHarmfulOnesAreDropped() throws {
    let h = try Harness(input: Self.relayConfig)
    let port = Self.freePort()
    let relay = try h.start(["relay", "--config", h.config, "--listen", "127.0.0.1:\(port)"])
    var a: Int32? = nil
    #expect(
      h.waitFor(seconds: 10) {
        a = Self.connect(port: port); return a != nil
      }, "\(h.stderr(of: relay))")
    let b = try #require(Self.connect(port: port))
    let t = 1_767_571_200
    // Lines cut across reads, interleaved between connections.
    Self.send(a!, Array("a.one 1 \(t)\na.tw".utf8))
    Self.send(b, Array("b.one 2 \(t)\r\n".utf8))
    usleep(100_000)
    Self.send(a!, Array("o 3 \(t)\n\n   \n".utf8))
    Self.send(b, Array("b.nul 1\0 \(t)\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 100) + [0x0A])
    Self.send(b, Array("b.last 4 \(t)".utf8))  // no newline: the end of the stream ends it
    close(b)
    close(a!)
    let wanted = ["a.one 1 \(t)", "a.two 3 \(t)", "b.one 2 \(t)", "b.last 4 \(t)"]
    #expect(h.waitFor(seconds: 10) { Set(Self.spoolLines(h)) == Set(wanted) }, "\(Self.spoolLines(h))")
    kill(relay.processIdentifier, SIGTERM)
    relay.waitUntilExit()
    #expect(relay.terminationStatus == 0)
    // Nothing but the four lines; each connection's lines in its order.
    let lines = Self.spoolLines(h)
    #expect(lines.count == 4 && Set(lines) == Set(wanted), "\(lines)")
    #expect(lines.firstIndex(of: wanted[0])! < lines.firstIndex(of: wanted[1])!)
    #expect(lines.firstIndex(of: wanted[2])! < lines.firstIndex(of: wanted[3])!)
    #expect(h.spoolFiles().allSatisfy { $0.hasPrefix("relay-") && $0.hasSuffix(".txt") }, "\(h.spoolFiles())")
    let log = h.stderr(of: relay)
    #expect(log.contains("stopped: 4 lines in") && log.contains("2 lines dropped"), "\(log)")
  }

  @Test func socketActivatedItServesTheSocketSystemdPasses() throws {
    let h = try Harness(input: Self.relayConfig)
    let port = Self.freePort()
    let relay = Process()
    relay.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-socket-activate")
    // relay.listen is a port nothing could bind: only the passed socket works.
    try String(contentsOfFile: h.config, encoding: .utf8).replacingOccurrences(
      of: "[relay]", with: "[relay]\nlisten = \"192.0.2.1:1\""
    ).write(toFile: h.config, atomically: true, encoding: .utf8)
    relay.arguments = ["-l", "127.0.0.1:\(port)", Harness.binary, "relay", "--config", h.config]
    relay.standardError = FileHandle.nullDevice
    try relay.run()
    defer { if relay.isRunning { kill(relay.processIdentifier, SIGKILL) } }
    var fd: Int32? = nil
    #expect(
      h.waitFor(seconds: 10) {
        fd = Self.connect(port: port); return fd != nil
      })
    Self.send(fd!, Array("activated.series 5 1767571200\n".utf8))
    close(fd!)
    #expect(h.waitFor(seconds: 10) { Self.spoolLines(h) == ["activated.series 5 1767571200"] })
    kill(relay.processIdentifier, SIGTERM)
    relay.waitUntilExit()
    #expect(relay.terminationStatus == 0)
  }

  /// collectd → write_graphite → relay → spool → daemon → alert.
  @Test(.enabled(if: SystemTools.isRoot && FileManager.default.fileExists(atPath: "/usr/sbin/collectd")))
  func collectdThroughTheRelayRaisesAnAlert() throws {
    let h = try Harness(input: Self.relayConfig)
    let port = Self.freePort()
    let daemon = try h.start(["run", "--config", h.config])
    let relay = try h.start(["relay", "--config", h.config, "--listen", "127.0.0.1:\(port)"])
    defer {
      for process in [daemon, relay] where process.isRunning { kill(process.processIdentifier, SIGTERM) }
    }
    // collectd's exec plugin runs its script as an unprivileged user:
    // 300 five-minute samples of 8 gauges, in the past, a spike at 200.
    let dir = h.root + "/collectd"
    try FileSystem.makeDirectory(dir)
    chmod(h.root, 0o755)
    chmod(dir, 0o755)
    let start = (Int(Date().timeIntervalSince1970) - 3 * 86_400) / 300 * 300
    try """
    #!/bin/sh
    i=0
    while [ $i -lt 300 ]; do
      v=$((100 + i % 5))
      [ $i -eq 200 ] && v=900
      for k in 0 1 2 3 4 5 6 7; do
        echo "PUTVAL \\"odt/exec-relay/gauge-s$k\\" interval=300 $((\(start) + i * 300)):$v"
      done
      i=$((i + 1))
    done
    sleep 60
    """.write(toFile: dir + "/values.sh", atomically: true, encoding: .utf8)
    chmod(dir + "/values.sh", 0o755)
    try """
    Hostname "odt"
    FQDNLookup false
    Interval 300
    BaseDir "\(dir)"
    PIDFile "\(dir)/collectd.pid"
    PluginDir "/usr/lib/collectd"
    TypesDB "/usr/share/collectd/types.db"
    LoadPlugin exec
    LoadPlugin write_graphite
    <Plugin exec>
      Exec "nobody" "\(dir)/values.sh"
    </Plugin>
    <Plugin write_graphite>
      <Node "outlierd">
        Host "127.0.0.1"
        Port "\(port)"
        Protocol "tcp"
        Prefix "collectd."
        StoreRates false
        AlwaysAppendDS false
      </Node>
    </Plugin>

    """.write(toFile: dir + "/collectd.conf", atomically: true, encoding: .utf8)
    #expect(h.waitFor(seconds: 10) { Self.connect(port: port).map { close($0) } != nil })
    let collectd = Process()
    collectd.executableURL = URL(fileURLWithPath: "/usr/sbin/collectd")
    collectd.arguments = ["-f", "-C", dir + "/collectd.conf"]
    let collectdLog = dir + "/collectd.log"
    FileManager.default.createFile(atPath: collectdLog, contents: nil)
    collectd.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: collectdLog))
    collectd.standardError = collectd.standardOutput
    try collectd.run()
    defer { if collectd.isRunning { kill(collectd.processIdentifier, SIGTERM) } }
    let spike = Double(start + 200 * 300)
    let found = h.waitFor(seconds: 60) {
      let rows = try? h.query(
        "SELECT count(DISTINCT series) FROM alerts WHERE series LIKE 'collectd.odt.exec-relay.gauge-s%' AND ts = \(spike) AND value = 900"
      )
      return rows?.first?.first == "8"
    }
    #expect(
      found,
      "collectd: \((try? String(contentsOfFile: collectdLog, encoding: .utf8)) ?? "") relay: \(h.stderr(of: relay)) daemon: \(h.stderr(of: daemon))"
    )
  }
}
