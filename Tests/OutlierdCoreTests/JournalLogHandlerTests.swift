import Foundation
import Logging
import Testing

@testable import OutlierdCore

#if canImport(Glibc)
  import Glibc
#endif

/// The journal's native protocol, read back as journald reads it, from a
/// datagram socket standing in for /run/systemd/journal/socket. (The real
/// journald is checked by scripts/check-boot: `journalctl
/// OUTLIERD_SERIES=…` finds the daemon's alert.)
@Suite("Journal log handler")
struct JournalLogHandlerTests {
  /// Parses a native-protocol datagram: `NAME=value\n`, or `NAME\n`, a
  /// 64-bit little-endian length, the bytes and `\n`.
  static func parse(_ bytes: [UInt8]) -> [String: String] {
    var fields: [String: String] = [:]
    var i = 0
    while i < bytes.count {
      var j = i
      while bytes[j] != UInt8(ascii: "=") && bytes[j] != UInt8(ascii: "\n") { j += 1 }
      let name = String(decoding: bytes[i..<j], as: UTF8.self)
      if bytes[j] == UInt8(ascii: "=") {
        var end = j + 1
        while bytes[end] != UInt8(ascii: "\n") { end += 1 }
        fields[name] = String(decoding: bytes[(j + 1)..<end], as: UTF8.self)
        i = end + 1
      } else {
        var length: UInt64 = 0
        for k in 0..<8 { length |= UInt64(bytes[j + 1 + k]) << (8 * UInt64(k)) }
        let start = j + 9
        fields[name] = String(decoding: bytes[start..<start + Int(length)], as: UTF8.self)
        #expect(bytes[start + Int(length)] == UInt8(ascii: "\n"))
        i = start + Int(length) + 1
      }
    }
    return fields
  }

  @Test func eventsReachTheJournalWithTheirMetadataAsFields() throws {
    let path = NSTemporaryDirectory() + "journal-" + UUID().uuidString.prefix(8)
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    #expect(fd >= 0)
    defer {
      close(fd)
      unlink(path)
    }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
    }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    #expect(bound == 0)
    var handler = JournalLogHandler(label: "test", socketPath: path)
    handler.logLevel = .info
    let logger = Logger(label: "test", factory: { _ in handler })
    logger.warning(
      "ALERT web1.cpu at …", metadata: ["series": "web1.cpu", "file": "a\nb.txt", "incident": "7"])
    var buffer = [UInt8](repeating: 0, count: 65536)
    let count = recv(fd, &buffer, buffer.count, 0)
    #expect(count > 0)
    let fields = Self.parse(Array(buffer[0..<max(count, 0)]))
    #expect(fields["MESSAGE"] == "ALERT web1.cpu at …")
    #expect(fields["PRIORITY"] == "4")
    #expect(fields["SYSLOG_IDENTIFIER"] == "outlierd")
    #expect(fields["OUTLIERD_SERIES"] == "web1.cpu")
    #expect(fields["OUTLIERD_FILE"] == "a\nb.txt")
    #expect(fields["OUTLIERD_INCIDENT"] == "7")
  }

  @Test func fieldNamesAreWhatJournaldAccepts() {
    #expect(JournalLogHandler.fieldName("series") == "OUTLIERD_SERIES")
    #expect(JournalLogHandler.fieldName("rate-1m.x") == "OUTLIERD_RATE_1M_X")
    #expect(!JournalLogHandler.send([1], to: "/nonexistent/socket"))
  }
}
