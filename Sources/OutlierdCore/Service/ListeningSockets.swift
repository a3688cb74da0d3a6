import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The relay's listening TCP sockets: the ones systemd passed (socket
/// activation), or one it binds itself.
package enum ListeningSockets {
  package struct Failure: Error, CustomStringConvertible {
    package var address: String
    package var detail: String
    package var description: String { "cannot listen on \(address): \(detail)" }
  }

  /// The descriptors systemd passed (`LISTEN_PID` is this process,
  /// `LISTEN_FDS` of them from 3 on), made non-blocking; nil when the
  /// process was not socket-activated. The variables are then unset, so
  /// children do not take the sockets for theirs.
  package static func fromSystemd() -> [Int32]? {
    let environment = ProcessInfo.processInfo.environment
    guard let pid = environment["LISTEN_PID"].flatMap(Int32.init), pid == getpid(),
      let count = environment["LISTEN_FDS"].flatMap(Int32.init), count > 0
    else { return nil }
    unsetenv("LISTEN_PID")
    unsetenv("LISTEN_FDS")
    unsetenv("LISTEN_FDNAMES")
    let descriptors = Array(3..<(3 + count))
    for fd in descriptors {
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
      _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }
    return descriptors
  }

  /// A non-blocking TCP socket listening on `address`: `host:port`, the
  /// host an IPv4 address, `[IPv6]`, or a name.
  package static func bind(_ address: String) throws(Failure) -> Int32 {
    guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...])
    else { throw Failure(address: address, detail: "expected host:port, e.g. 127.0.0.1:2003") }
    var host = String(address[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
    var found: UnsafeMutablePointer<addrinfo>?
    let status = getaddrinfo(host.isEmpty ? nil : host, String(port), &hints, &found)
    guard status == 0, let first = found else {
      throw Failure(address: address, detail: String(cString: gai_strerror(status)))
    }
    defer { freeaddrinfo(first) }
    let fd = socket(
      first.pointee.ai_family,
      Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw Failure(address: address, detail: String(cString: strerror(errno))) }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    guard Glibc.bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0, listen(fd, 128) == 0 else {
      let code = errno
      close(fd)
      throw Failure(address: address, detail: String(cString: strerror(code)))
    }
    return fd
  }
}
