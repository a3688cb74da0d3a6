import Foundation
import Testing

@testable import OutlierdCore

#if canImport(Glibc)
  import Glibc
#endif

/// The loop the daemon, the notifier and the relay share, driven by a
/// clock the test sets: no sleeping.
@Suite("Service loop", .serialized)
struct ServiceLoopTests {
  final class ManualClock: ServiceClock, @unchecked Sendable {
    var now: Double = 1_800_000_000
    var monotonic: Double = 1_000
  }

  /// A datagram socket standing in for systemd's $NOTIFY_SOCKET.
  final class ServiceManager {
    let path = NSTemporaryDirectory() + "notify-" + UUID().uuidString.prefix(8)
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)

    init() {
      var address = sockaddr_un()
      address.sun_family = sa_family_t(AF_UNIX)
      withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
      }
      _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
      }
    }

    deinit {
      close(fd)
      unlink(path)
    }

    /// The messages received since the last call.
    func messages() -> [String] {
      var result: [String] = []
      var buffer = [UInt8](repeating: 0, count: 4096)
      while true {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n <= 0 { break }
        result.append(String(decoding: buffer[0..<n], as: UTF8.self))
      }
      return result
    }
  }

  @Test func theWatchdogAndTheMetricsKeepTheirIntervalsOnTheClock() throws {
    let manager = ServiceManager()
    let directory = NSTemporaryDirectory() + "metrics-" + UUID().uuidString.prefix(8)
    try FileSystem.makeDirectory(directory)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let clock = ManualClock()
    let oldMask = umask(0o022)
    defer { umask(oldMask) }
    // WATCHDOG_USEC of 20 s: a ping every 10 s; metrics every 10 s.
    let loop = ServiceLoop(
      metrics: TextfileMetrics(directory: directory, name: "test"),
      systemd: SystemdNotifier(environment: ["NOTIFY_SOCKET": manager.path, "WATCHDOG_USEC": "20000000"]),
      clock: clock)
    var count = 0
    func metrics() -> [TextfileMetrics.Metric] {
      count += 1
      return [.counter("test_turns_total", count, "Turns.")]
    }
    func written() -> String? { try? String(contentsOfFile: directory + "/test.prom", encoding: .utf8) }

    loop.keepUp(metrics: metrics())
    #expect(manager.messages() == ["WATCHDOG=1"])
    #expect(written()?.contains("test_turns_total 1\n") == true)
    clock.monotonic += 9.9
    loop.keepUp(metrics: metrics())
    loop.heartbeat()
    #expect(manager.messages().isEmpty)
    // Not due: not written, and the metrics not even computed.
    #expect(written()?.contains("test_turns_total 1\n") == true, "written again before 10 s")
    clock.monotonic += 0.1
    loop.keepUp(metrics: metrics())
    #expect(manager.messages() == ["WATCHDOG=1"])
    #expect(written()?.contains("test_turns_total 2\n") == true)
    // The wall clock does not drive intervals: a jump of a day changes nothing.
    clock.now += 86_400
    loop.keepUp(metrics: metrics())
    #expect(manager.messages().isEmpty)
    // A wait never outlasts the intervals, and a stop says so and writes at once.
    #expect(loop.longestWait(60) == 10 && loop.longestWait(3) == 3 && loop.longestWait(-1) == 0)
    loop.stop(metrics: metrics())
    #expect(manager.messages() == ["STOPPING=1"])
    #expect(written()?.contains("test_turns_total 3\n") == true)
    #expect(
      try FileManager.default.attributesOfItem(atPath: directory + "/test.prom")[.posixPermissions] as? Int
        == 0o644)
  }
}
