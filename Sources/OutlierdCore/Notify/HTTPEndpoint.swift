import CCurl
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// An HTTP or HTTPS endpoint (`https://host:port/prefix`), how to trust and
/// authenticate to it, and one request to it, made by libcurl.
///
/// libcurl (Debian's, linked to the system OpenSSL) rather than a
/// hand-written client: TLS, certificate checks, proxies' and servers'
/// quirks and their security fixes come with the distribution, and its
/// synchronous easy interface fits the notifier's one-request-at-a-time
/// loop without an event loop or a second TLS stack to build.
package struct HTTPEndpoint: Sendable, CustomStringConvertible {
  /// Scheme, host, port and path, without a trailing slash; never holds
  /// credentials (they are refused in the URL: see `init?(url:)`).
  package var url: String
  /// PEM files: the CA that signed the server's certificate (empty: the
  /// system's trust store), and a client certificate and key (empty: none).
  package var caFile = ""
  package var certificateFile = ""
  package var keyFile = ""
  package var authorization: Authorization?

  /// How requests prove who sends them.
  package enum Authorization: Sendable {
    /// HTTP basic authentication (Alertmanager's `basic_auth_users`).
    case basic(username: String, password: String)
    /// `Authorization: Bearer TOKEN` (a proxy or a gateway in front).
    case bearer(token: String)
  }

  package struct Failure: Error, CustomStringConvertible {
    package var detail: String
    package var description: String { detail }
  }

  /// Parses `http://host[:port][/prefix]` or `https://…`; nil for anything
  /// else, including a URL with `user:password@` (credentials belong in
  /// files the config names, not in a URL that logs and `check-config`
  /// print).
  package init?(url: String) {
    let lowered = url.lowercased()
    guard let scheme = ["http://", "https://"].first(where: { lowered.hasPrefix($0) }) else { return nil }
    let rest = url.dropFirst(scheme.count)
    let authority = rest.prefix { $0 != "/" }
    guard !authority.isEmpty, !authority.contains("@"), !authority.hasPrefix(":") else { return nil }
    if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
      guard UInt16(authority[authority.index(after: colon)...]) != nil else { return nil }
    }
    var trimmed = url
    while trimmed.hasSuffix("/") { trimmed.removeLast() }
    self.url = trimmed
  }

  package var isHTTPS: Bool { url.lowercased().hasPrefix("https://") }

  package var description: String { url }

  /// libcurl, loaded and set up once, before the first handle: nil, or why
  /// it could not be.
  private static let loadFailure: String? = outlierd_curl_load().map { String(cString: $0) }

  /// Loads libcurl now, so that a notifier without it (or with a broken
  /// one) says so when it starts rather than at its first alert.
  package static func loadLibrary() throws(Failure) {
    if let problem = loadFailure {
      throw Failure(detail: "libcurl cannot be loaded (\(problem)); install Debian's libcurl4")
    }
  }

  /// What libcurl's callbacks see of one request.
  private final class Exchange {
    let cancel: Int32
    var body: [UInt8] = []
    var cancelled = false
    init(cancel: Int32) { self.cancel = cancel }
  }

  /// The response body is kept up to this many bytes (the rest is read and
  /// dropped: only its start is ever shown, in an error).
  static let responseLimit = 1 << 20

  /// Sends one request and returns the status code and body.
  ///
  /// Contract: the whole request, name lookup included, ends within
  /// `timeout` seconds however slowly the server answers; and within about
  /// a second, with a failure, once `cancel` (a descriptor such as a
  /// signalfd, never read here) becomes readable. Only http and https are
  /// spoken, redirects are not followed, and certificates are verified
  /// (against `caFile` when set).
  package func request(
    method: String, path: String, body: [UInt8] = [], timeout: Double = 10, cancel: Int32 = -1
  ) throws(Failure) -> (status: Int, body: [UInt8]) {
    if let problem = Self.loadFailure {
      throw Failure(detail: "\(self): libcurl cannot be loaded (\(problem)); install Debian's libcurl4")
    }
    guard let handle = outlierd_curl_easy_init() else {
      throw Failure(detail: "\(self): libcurl could not make a request")
    }
    defer { outlierd_curl_easy_cleanup(handle) }
    let exchange = Exchange(cancel: cancel)
    let context = Unmanaged.passUnretained(exchange).toOpaque()
    var headers: UnsafeMutablePointer<curl_slist>?
    // No "Expect: 100-continue" round trip before the body.
    for header in ["Content-Type: application/json", "Expect:"] {
      headers = outlierd_curl_slist_append(headers, header)
    }
    defer { outlierd_curl_slist_free_all(headers) }
    let errorText = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    errorText.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    defer { errorText.deallocate() }

    var setupFailure: CURLcode = CURLE_OK
    func check(_ code: CURLcode) { if setupFailure == CURLE_OK { setupFailure = code } }
    let milliseconds = max(Int(timeout * 1000), 1)
    check(outlierd_curl_set_string(handle, CURLOPT_URL, url + path))
    check(outlierd_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"))
    check(outlierd_curl_set_long(handle, CURLOPT_NOSIGNAL, 1))
    check(outlierd_curl_set_long(handle, CURLOPT_TIMEOUT_MS, milliseconds))
    check(outlierd_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds))
    check(outlierd_curl_set_string(handle, CURLOPT_USERAGENT, "outlierd/\(OutlierdVersion.version)"))
    check(outlierd_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, method))
    check(outlierd_curl_set_headers(handle, headers))
    check(outlierd_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, errorText))
    check(outlierd_curl_set_pointer(handle, CURLOPT_WRITEDATA, context))
    check(
      outlierd_curl_set_write(handle) { data, size, count, context in
        let exchange = Unmanaged<Exchange>.fromOpaque(context!).takeUnretainedValue()
        let length = size * count
        let room = max(0, HTTPEndpoint.responseLimit - exchange.body.count)
        if let data, room > 0 {
          data.withMemoryRebound(to: UInt8.self, capacity: length) {
            exchange.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: min(length, room)))
          }
        }
        return length
      })
    check(outlierd_curl_set_long(handle, CURLOPT_NOPROGRESS, 0))
    check(outlierd_curl_set_pointer(handle, CURLOPT_XFERINFODATA, context))
    check(
      outlierd_curl_set_progress(handle) { context, _, _, _, _ in
        let exchange = Unmanaged<Exchange>.fromOpaque(context!).takeUnretainedValue()
        guard exchange.cancel >= 0 else { return 0 }
        var fds = pollfd(fd: exchange.cancel, events: Int16(POLLIN), revents: 0)
        exchange.cancelled = poll(&fds, 1, 0) > 0
        return exchange.cancelled ? 1 : 0
      })
    if !caFile.isEmpty { check(outlierd_curl_set_string(handle, CURLOPT_CAINFO, caFile)) }
    if !certificateFile.isEmpty { check(outlierd_curl_set_string(handle, CURLOPT_SSLCERT, certificateFile)) }
    if !keyFile.isEmpty { check(outlierd_curl_set_string(handle, CURLOPT_SSLKEY, keyFile)) }
    switch authorization {
    case .basic(let username, let password):
      check(outlierd_curl_set_long(handle, CURLOPT_HTTPAUTH, outlierd_curlauth_basic))
      check(outlierd_curl_set_string(handle, CURLOPT_USERNAME, username))
      check(outlierd_curl_set_string(handle, CURLOPT_PASSWORD, password))
    case .bearer(let token):
      check(outlierd_curl_set_long(handle, CURLOPT_HTTPAUTH, outlierd_curlauth_bearer))
      check(outlierd_curl_set_string(handle, CURLOPT_XOAUTH2_BEARER, token))
    case nil:
      break
    }
    guard setupFailure == CURLE_OK else {
      throw Failure(
        detail:
          "\(self): libcurl refused an option: \(String(cString: outlierd_curl_easy_strerror(setupFailure)))")
    }

    let result = body.withUnsafeBytes { bytes in
      if method != "GET" {
        check(outlierd_curl_set_body(handle, bytes.baseAddress ?? UnsafeRawPointer(context), bytes.count))
      }
      return setupFailure == CURLE_OK ? outlierd_curl_easy_perform(handle) : setupFailure
    }
    switch result {
    case CURLE_OK:
      return (Int(outlierd_curl_status(handle)), exchange.body)
    case CURLE_ABORTED_BY_CALLBACK where exchange.cancelled:
      throw Failure(detail: "\(self): interrupted (stopping)")
    case CURLE_OPERATION_TIMEDOUT:
      throw Failure(detail: "\(self): no answer within \(timeout.formatted(maxFractionDigits: 3)) s")
    default:
      let detail = String(cString: errorText)
      throw Failure(
        detail: "\(self): \(detail.isEmpty ? String(cString: outlierd_curl_easy_strerror(result)) : detail)")
    }
  }
}
