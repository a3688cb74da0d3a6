import Foundation
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// Sends each event to journald over its native protocol, when the process
/// runs under systemd with its stderr connected to the journal: the
/// message, its priority, and each metadata key as a field of its own
/// (`series` becomes `OUTLIERD_SERIES`), so that
/// `journalctl OUTLIERD_SERIES=web1.cpu` lists one series' alerts and
/// incidents, and `journalctl OUTLIERD_FILE=…` what happened to one file.
///
/// An event the socket does not take (journald stopped, a datagram too
/// large) is written to stderr by `StderrLogHandler` instead, with its
/// metadata as `key=value`: nothing is lost.
package struct JournalLogHandler: LogHandler {
  package var logLevel: Logger.Level = .info
  package var metadata: Logger.Metadata = [:]
  package var metadataProvider: Logger.MetadataProvider?
  private let socketPath: String
  private let identifier: String
  private var fallback: StderrLogHandler

  /// journald's socket for the native protocol.
  package static let defaultSocket = "/run/systemd/journal/socket"

  package init(label: String, socketPath: String = defaultSocket, identifier: String = "outlierd") {
    self.socketPath = socketPath
    self.identifier = identifier
    fallback = StderrLogHandler(label: label, journal: true, eventMetadata: true)
  }

  /// Whether stderr is the journal: systemd sets JOURNAL_STREAM to the
  /// device and inode of the stream it connected, which a redirection
  /// (`outlierd … 2> file` from a unit's shell) no longer matches.
  package static var stderrIsJournal: Bool {
    guard let stream = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
    var info = stat()
    guard fstat(STDERR_FILENO, &info) == 0 else { return false }
    return stream == "\(info.st_dev):\(info.st_ino)"
  }

  package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  package func log(event: LogEvent) {
    var merged = metadata
    if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
    if let own = event.metadata { merged.merge(own) { _, new in new } }
    var fields: [(String, String)] = [
      ("MESSAGE", "\(event.message)"),
      ("PRIORITY", String(StderrLogHandler.syslogPriority(event.level))),
      ("SYSLOG_IDENTIFIER", identifier),
    ]
    for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
      fields.append((Self.fieldName(key), "\(value)"))
    }
    if !Self.send(Self.encode(fields), to: socketPath) {
      var event = event
      event.metadata = merged
      fallback.log(event: event)
    }
  }

  /// A metadata key as a journal field name: `OUTLIERD_` and the key in
  /// capitals, anything but letters and digits as `_` (journald accepts
  /// only `A–Z`, `0–9` and `_`).
  package static func fieldName(_ key: String) -> String {
    "OUTLIERD_"
      + String(
        key.uppercased().unicodeScalars.map {
          ("A"..."Z").contains($0) || ("0"..."9").contains($0) ? Character($0) : "_"
        })
  }

  /// The native protocol's datagram: `NAME=value\n` for a value without a
  /// newline; otherwise `NAME\n`, its length as 64-bit little-endian, the
  /// bytes and `\n`, so that a value can never end its field early.
  package static func encode(_ fields: [(String, String)]) -> [UInt8] {
    var bytes: [UInt8] = []
    for (name, value) in fields {
      bytes += Array(name.utf8)
      let data = Array(value.utf8)
      if data.contains(UInt8(ascii: "\n")) {
        bytes.append(UInt8(ascii: "\n"))
        withUnsafeBytes(of: UInt64(data.count).littleEndian) { bytes += $0 }
      } else {
        bytes.append(UInt8(ascii: "="))
      }
      bytes += data
      bytes.append(UInt8(ascii: "\n"))
    }
    return bytes
  }

  /// One datagram to the socket at `path`; false when it was not taken.
  static func send(_ datagram: [UInt8], to path: String) -> Bool {
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let pathBytes = Array(path.utf8)
    guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (i, byte) in pathBytes.enumerated() { raw[i] = byte }
    }
    let sent = datagram.withUnsafeBytes { bytes in
      withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          sendto(
            fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0,
            socklen_t(MemoryLayout<sockaddr_un>.size))
        }
      }
    }
    return sent == datagram.count
  }
}
