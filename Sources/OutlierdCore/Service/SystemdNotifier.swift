import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The sd_notify protocol, spoken directly: one datagram of `KEY=value`
/// lines to the AF_UNIX socket named by $NOTIFY_SOCKET. The protocol is a
/// stable, documented interface of systemd; speaking it here saves linking
/// libsystemd (and installing its -dev package) for one sendto(2).
/// Without $NOTIFY_SOCKET every call does nothing.
package final class SystemdNotifier {
  private let socketPath: String?
  private let descriptor: Int32
  /// Half of $WATCHDOG_USEC, when the service manager asks for pings.
  package let watchdogInterval: Double?
  private var lastWatchdog = 0.0
  private var lastStatus = 0.0

  package init(environment: [String: String] = ProcessInfo.processInfo.environment) {
    let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    socketPath = path
    descriptor =
      path == nil ? -1 : socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    let pidMatches = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
    if let usec = environment["WATCHDOG_USEC"].flatMap(Double.init), usec > 0, pidMatches {
      watchdogInterval = usec / 2e6
    } else {
      watchdogInterval = nil
    }
  }

  deinit { if descriptor >= 0 { close(descriptor) } }

  package var isActive: Bool { socketPath != nil && descriptor >= 0 }

  /// Sends one message; failures are ignored, as sd_notify's are.
  package func send(_ message: String) {
    guard let socketPath, descriptor >= 0 else { return }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    var pathBytes = Array(socketPath.utf8)
    // "@name" is an abstract socket: a leading NUL byte instead of "@".
    if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    guard pathBytes.count < capacity else { return }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: pathBytes)
    }
    let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count)
    let bytes = Array(message.utf8)
    _ = withUnsafePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
        sendto(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL), sockaddrPointer, length)
      }
    }
  }

  package func ready(status: String) { send("READY=1\nSTATUS=\(status)") }
  package func stopping() { send("STOPPING=1") }

  /// RELOADING=1 with the monotonic time, as Type=notify-reload expects.
  package func reloading() {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    send("RELOADING=1\nMONOTONIC_USEC=\(Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000)")
  }

  /// Sends STATUS= at most once a second, or at once when `force`.
  package func status(_ text: @autoclosure () -> String, force: Bool = false) {
    guard isActive else { return }
    let now = Self.monotonic()
    guard force || now - lastStatus >= 1 else { return }
    lastStatus = now
    send("STATUS=\(text())")
  }

  /// Sends WATCHDOG=1 when half the watchdog interval has passed (by
  /// `now`, a monotonic clock in seconds: the system's unless given).
  package func watchdogIfDue(at now: Double = SystemdNotifier.monotonic()) {
    guard let watchdogInterval else { return }
    guard now - lastWatchdog >= watchdogInterval else { return }
    lastWatchdog = now
    send("WATCHDOG=1")
  }

  package static func monotonic() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
  }
}
