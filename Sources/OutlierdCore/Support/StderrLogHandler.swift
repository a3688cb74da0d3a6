import Foundation
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// Writes one line per event to stderr. Under systemd (JOURNAL_STREAM set)
/// each line starts with its syslog priority, `<4>` for a warning, which
/// journald turns into the entry's level, and carries no timestamp of its
/// own since the journal adds one. Elsewhere lines start with an ISO time
/// and the level's name.
///
/// The handler's own metadata is appended as `key=value`; an event's
/// metadata (series, file, incident: what the message already names) only
/// with `eventMetadata`, as when it stands in for the journal's fields
/// (`JournalLogHandler`).
package struct StderrLogHandler: LogHandler {
  package var logLevel: Logger.Level = .info
  package var metadata: Logger.Metadata = [:]
  package var metadataProvider: Logger.MetadataProvider?
  private let journal: Bool
  private let eventMetadata: Bool

  package init(
    label: String, journal: Bool = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil,
    eventMetadata: Bool = false
  ) {
    self.journal = journal
    self.eventMetadata = eventMetadata
  }

  package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  static func syslogPriority(_ level: Logger.Level) -> Int {
    switch level {
    case .trace, .debug: return 7
    case .info: return 6
    case .notice: return 5
    case .warning: return 4
    case .error: return 3
    case .critical: return 2
    }
  }

  /// Every message and metadata value is written as one line, its control
  /// characters escaped (`LogText.escaped`): text from outside, such as a
  /// file name with a newline and `<2>` in it, can never start a line of
  /// its own and so never forge an entry or its priority.
  package func log(event: LogEvent) {
    var line: String
    let message = LogText.escaped("\(event.message)")
    if journal {
      line = "<\(Self.syslogPriority(event.level))>\(message)"
    } else {
      var now = timespec()
      clock_gettime(CLOCK_REALTIME, &now)
      var tm = tm()
      var seconds = now.tv_sec
      gmtime_r(&seconds, &tm)
      let stamp = String(
        format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
        tm.tm_hour,
        tm.tm_min, tm.tm_sec, now.tv_nsec / 1_000_000)
      line = "\(stamp) \(event.level.rawValue.uppercased()) \(message)"
    }
    var merged = metadata
    if eventMetadata {
      if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
      if let own = event.metadata { merged.merge(own) { _, new in new } }
    }
    if !merged.isEmpty {
      line +=
        " "
        + merged.sorted { $0.key < $1.key }.map { LogText.escaped("\($0.key)=\($0.value)") }.joined(
          separator: " ")
    }
    line += "\n"
    // One write(2) per line: lines from several processes never interleave.
    var bytes = Array(line.utf8)
    bytes.withUnsafeMutableBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
  }
}
