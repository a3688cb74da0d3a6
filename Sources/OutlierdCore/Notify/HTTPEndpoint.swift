import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A plain-HTTP endpoint (`http://host:port/prefix`) and one request to it.
///
/// HTTP/1.1 over a TCP connection of its own, `Connection: close`, with a
/// timeout on connect, send and receive. No TLS: Alertmanager is reached on
/// loopback or a private network; for anything else, use the exec hook.
public struct HTTPEndpoint: Sendable, CustomStringConvertible {
  public var host: String
  public var port: UInt16
  /// The URL's path, without a trailing slash ("" for none).
  public var prefix: String

  public struct Failure: Error, CustomStringConvertible {
    public var detail: String
    public var description: String { detail }
  }

  /// Parses `http://host[:port][/prefix]`; nil for anything else.
  public init?(url: String) {
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

  public var description: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)\(prefix)" }

  /// Sends one request and returns the status code and body.
  public func request(method: String, path: String, body: [UInt8] = [], timeout: Double = 10) throws(Failure)
    -> (
      status: Int, body: [UInt8]
    )
  {
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
    let fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw Failure(detail: "\(self): socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var limit = timeval(tv_sec: Int(timeout), tv_usec: Int(timeout.truncatingRemainder(dividingBy: 1) * 1e6))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    guard connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
      throw Failure(detail: "\(self): connect: \(String(cString: strerror(errno)))")
    }
    let head =
      "\(method) \(prefix)\(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: outlierd/\(OutlierdVersion.version)\r\n"
      + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
    let message = Array(head.utf8) + body
    var sent = 0
    while sent < message.count {
      let n = message.withUnsafeBytes {
        send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL))
      }
      guard n > 0 else { throw Failure(detail: "\(self): send: \(String(cString: strerror(errno)))") }
      sent += n
    }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16384)
    while response.count < 1 << 20 {
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
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
