import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A plain-HTTP endpoint (`http://host:port/prefix`) and one request to it.
///
/// HTTP/1.1 over a TCP connection of its own, `Connection: close`, with one
/// deadline for the whole request. No TLS: Alertmanager is reached on
/// loopback or a private network; for anything else, use the exec hook.
package struct HTTPEndpoint: Sendable, CustomStringConvertible {
  package var host: String
  package var port: UInt16
  /// The URL's path, without a trailing slash ("" for none).
  package var prefix: String

  package struct Failure: Error, CustomStringConvertible {
    package var detail: String
    package var description: String { detail }
  }

  /// Parses `http://host[:port][/prefix]`; nil for anything else.
  package init?(url: String) {
    guard url.hasPrefix("http://") else { return nil }
    var rest = Substring(url.dropFirst("http://".count))
    var path = ""
    if let slash = rest.firstIndex(of: "/") {
      path = String(rest[slash...])
      rest = rest[..<slash]
    }
    while path.hasSuffix("/") { path.removeLast() }
    var hostPart = String(rest)
    var port: UInt16 = 80
    if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
      guard let parsed = UInt16(rest[rest.index(after: colon)...]) else { return nil }
      port = parsed
      hostPart = String(rest[..<colon])
    }
    if hostPart.hasPrefix("[") && hostPart.hasSuffix("]") {
      hostPart = String(hostPart.dropFirst().dropLast())
    }
    guard !hostPart.isEmpty else { return nil }
    host = hostPart
    self.port = port
    prefix = path
  }

  package var description: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)\(prefix)" }

  /// Sends one request and returns the status code and body.
  ///
  /// Contract: the whole request (name lookup aside: hosts are numeric or
  /// in /etc/hosts for the sandboxed notifier) ends within `timeout`
  /// seconds, however slowly the server trickles its answer; and at once,
  /// with a failure, when `cancel` (a descriptor such as a signalfd) becomes
  /// readable. The response is read up to 1 MiB.
  package func request(
    method: String, path: String, body: [UInt8] = [], timeout: Double = 10, cancel: Int32 = -1
  ) throws(Failure) -> (status: Int, body: [UInt8]) {
    let deadline = Date().timeIntervalSince1970 + timeout
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    hints.ai_flags = AI_NUMERICSERV
    var found: UnsafeMutablePointer<addrinfo>?
    let status = getaddrinfo(host, String(port), &hints, &found)
    guard status == 0, let first = found else {
      throw Failure(detail: "\(self): \(String(cString: gai_strerror(status)))")
    }
    defer { freeaddrinfo(first) }
    let fd = socket(
      first.pointee.ai_family,
      Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
    guard fd >= 0 else { throw Failure(detail: "\(self): socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    /// Waits until `fd` is ready for `events`, the deadline passes, or
    /// `cancel` is readable.
    func wait(_ events: Int32, _ doing: String) throws(Failure) {
      var fds = [pollfd(fd: fd, events: Int16(events), revents: 0)]
      if cancel >= 0 { fds.append(pollfd(fd: cancel, events: Int16(POLLIN), revents: 0)) }
      while true {
        let left = deadline - Date().timeIntervalSince1970
        guard left > 0 else {
          throw Failure(
            detail: "\(self): no answer within \(timeout.formatted(maxFractionDigits: 3)) s (\(doing))")
        }
        let ready = poll(&fds, nfds_t(fds.count), Int32(min(left, 1) * 1000) + 1)
        if ready < 0 && errno != EINTR {
          throw Failure(detail: "\(self): poll: \(String(cString: strerror(errno)))")
        }
        if fds.count > 1 && fds[1].revents != 0 { throw Failure(detail: "\(self): interrupted (stopping)") }
        if fds[0].revents != 0 { return }
      }
    }
    if connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
      guard errno == EINPROGRESS else {
        throw Failure(detail: "\(self): connect: \(String(cString: strerror(errno)))")
      }
      try wait(POLLOUT, "connect")
      var problem: Int32 = 0
      var length = socklen_t(MemoryLayout<Int32>.size)
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &problem, &length)
      guard problem == 0 else {
        throw Failure(detail: "\(self): connect: \(String(cString: strerror(problem)))")
      }
    }
    let head =
      "\(method) \(prefix)\(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: outlierd/\(OutlierdVersion.version)\r\n"
      + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
    let message = Array(head.utf8) + body
    var sent = 0
    while sent < message.count {
      try wait(POLLOUT, "sending")
      let n = message.withUnsafeBytes {
        send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL))
      }
      if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
      guard n > 0 else { throw Failure(detail: "\(self): send: \(String(cString: strerror(errno)))") }
      sent += n
    }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16384)
    while response.count < 1 << 20 {
      try wait(POLLIN, "receiving")
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
      if n < 0 { throw Failure(detail: "\(self): receive: \(String(cString: strerror(errno)))") }
      if n == 0 { break }
      response += buffer[..<n]
    }
    // "HTTP/1.1 200 OK\r\n…\r\n\r\nbody"
    let text = String(decoding: response.prefix(64), as: UTF8.self)
    let parts = text.split(separator: " ", maxSplits: 2)
    guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else {
      throw Failure(detail: "\(self): not an HTTP response")
    }
    var bodyStart = response.count
    for i in 0..<max(response.count - 3, 0)
    where response[i] == 13 && response[i + 1] == 10 && response[i + 2] == 13 && response[i + 3] == 10 {
      bodyStart = i + 4
      break
    }
    return (code, Array(response[bodyStart...]))
  }
}
