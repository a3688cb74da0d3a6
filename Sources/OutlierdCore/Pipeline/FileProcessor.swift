import Foundation
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// Takes one spool file from bytes on disk to committed and cleaned up:
/// read it safely, apply it in one transaction, write the rejected lines
/// beside the rejected/ folder, then remove it (or move it to processed/).
///
/// Crash safety comes from the order: the file leaves the spool only after
/// the commit, and a file whose content is already in the ledger is only
/// cleaned up, never applied again.
package final class FileProcessor {
  package enum Disposal: Sendable {
    /// Daemon mode: delete committed files, or move them to processed/.
    case removeFromSpool
    /// `ingest FILE…`: the files are the operator's; leave them.
    case keep
  }

  package enum Outcome: Sendable {
    case applied(FileReport)
    case alreadyApplied
    /// The whole file was refused and moved to rejected/.
    case refused(String)
    /// Nothing was done; the file stays and is tried again.
    case deferred(String)
    case vanished
  }

  package let ingestor: Ingestor
  package let disposal: Disposal
  package var logger: Logger
  /// Whether each alert and each incident's opening, escalation and
  /// closing is a log line (the daemon's journal); `ingest` of a backfill
  /// counts them in its summary instead, unless `--verbose`.
  package var logsEachAlert = true
  /// Incidents opened, and turned critical, since the processor started.
  package private(set) var incidentsOpened = 0
  package private(set) var incidentsCritical = 0
  private let timeFormatter: DateFormatter

  /// The spool directory's group; files from anyone else are refused.
  private let producersGroup: gid_t?

  package init(ingestor: Ingestor, disposal: Disposal, logger: Logger) {
    self.ingestor = ingestor
    self.disposal = disposal
    self.logger = logger
    var info = stat()
    if case .removeFromSpool = disposal, stat(ingestor.settings.spool, &info) == 0 {
      producersGroup = info.st_gid
    } else {
      producersGroup = nil
    }
    timeFormatter = DateFormatter()
    timeFormatter.locale = Locale(identifier: "en_US_POSIX")
    timeFormatter.timeZone = TimeZone(identifier: ingestor.calendar.timeZoneIdentifier)
    // As the reports write times (`TimeExpression.format`): one spelling.
    timeFormatter.dateFormat = "yyyy-MM-dd HH:mm:ss xxx"
  }

  var settings: Settings { ingestor.settings }

  /// Processes one file.
  package func process(path: String, shouldCancel: () -> Bool = { false }) throws -> Outcome {
    try process(paths: [path], shouldCancel: shouldCancel)[0]
  }

  /// Processes the files in order, in one batch: reads each safely, applies
  /// it, and once the batch is committed logs and removes them. The batch
  /// ends when the ingestor says it is full (`Ingestor.batchIsFull`); the
  /// outcomes are those of the first files, as many as the batch took (at
  /// least one).
  ///
  /// Errors of the store (busy, disk full, read-only) are thrown and
  /// nothing of the batch is applied: the caller keeps the files and
  /// retries with backoff. `Ingestor.Cancelled` likewise.
  package func process(paths: [String], shouldCancel: () -> Bool = { false }) throws -> [Outcome] {
    var outcomes: [Outcome] = []
    var applied: [(path: String, file: SpoolFile, report: FileReport)] = []
    try ingestor.withBatch {
      for path in paths {
        if !outcomes.isEmpty && ingestor.batchIsFull { break }
        let name = FileSystem.baseName(path)
        let file: SpoolFile
        do {
          file = try SpoolFile.load(path, maxSize: settings.maxFileSize, producersGroup: producersGroup)
        } catch let refusal as SpoolFile.Refusal {
          let notRegular: Bool
          if case .notRegular = refusal { notRegular = true } else { notRegular = false }
          do {
            try refuse(path: path, name: name, reason: refusal.description, notRegular: notRegular)
          } catch let failure as FileSystem.Failure where failure.code == EACCES {
            // Unreadable and on another file system than rejected/: it can
            // be neither read nor moved. It stays, and `status` lists it.
            outcomes.append(
              .deferred("\(LogText.escaped(path)): \(refusal); it stays in the spool: \(failure)"))
            continue
          }
          outcomes.append(.refused(refusal.description))
          continue
        } catch let failure as SpoolFile.ReadFailure {
          outcomes.append(failure.vanished ? .vanished : .deferred(failure.description))
          continue
        }
        let sha256 = file.bytes.withUnsafeBytes { SHA256.hex(of: $0) }
        let report = try ingestor.apply(
          bytes: file.bytes, name: name, sha256: sha256, shouldCancel: shouldCancel)
        // Inside the transaction: the rejected-lines file exists for every
        // committed file.
        try writeRejectedLines(report, original: file.bytes)
        // The bytes are not kept: a batch holds one file in memory at a time.
        var identity = file
        identity.bytes = []
        applied.append((path, identity, report))
        outcomes.append(report.alreadyApplied ? .alreadyApplied : .applied(report))
      }
    }
    for (path, file, report) in applied {
      if report.alreadyApplied {
        logger.info("\(path): already in the ledger (sha256 \(report.sha256.prefix(12))), not applied again")
      } else {
        log(report, path: path)
      }
      do {
        try dispose(file)
      } catch {
        // Committed: the file is applied whatever happens to it now. Left
        // in the spool, it is found in the ledger next time and cleaned up
        // then, never applied twice.
        logger.error(
          "\(path): applied, but could not be cleaned up from the spool: \(error); it stays, and will be recognised as already applied"
        )
      }
    }
    return outcomes
  }

  private func dispose(_ file: SpoolFile) throws {
    guard case .removeFromSpool = disposal else { return }
    // Only remove what was read: a producer may have renamed a new file
    // onto the same name in the meantime.
    var info = stat()
    guard lstat(file.path, &info) == 0 else { return }
    guard UInt64(info.st_dev) == file.device && UInt64(info.st_ino) == file.inode else {
      logger.warning("\(file.path) was replaced while it was processed; the new file stays for the next pass")
      return
    }
    let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    guard Int(info.st_size) == file.size && modified == file.modified else {
      // Written to after it was read (a producer writing in place): its
      // first bytes are applied, the rest is not. Deleting it would lose
      // the rest without a word; it goes to rejected/ with the count.
      let name = FileSystem.baseName(file.path)
      let target = RejectedName.fitting(name) + ".\(Int(Date().timeIntervalSince1970)).changed"
      let note =
        "# \(LogText.escaped(file.path)) changed after outlierd read it: its first \(file.size) bytes were applied, the rest (from byte \(file.size + 1) of \(info.st_size)) was not. Drop only the rest into the spool again; producers must write, then rename.\n"
      try FileSystem.makeDirectory(settings.rejected)
      try FileSystem.writeAtomically(settings.rejected + "/" + target + ".reason", Array(note.utf8))
      let moved = try FileSystem.move(file.path, intoDirectory: settings.rejected, name: target)
      logger.error(
        "\(file.path) changed after it was read: its first \(file.size) bytes were applied, the rest was not; moved to \(moved)"
      )
      return
    }
    if settings.processed.isEmpty {
      if unlink(file.path) != 0 && errno != ENOENT {
        throw FileSystem.Failure(path: file.path, operation: "remove", code: errno)
      }
    } else {
      try FileSystem.move(file.path, intoDirectory: settings.processed, name: FileSystem.baseName(file.path))
    }
  }

  /// Moves a whole refused file to rejected/ with a `.reason` file beside
  /// it. An entry that is not a regular file (a symlink, FIFO, socket or
  /// device node) is removed instead, never followed, opened or copied: it
  /// holds no samples, and a symlink's target is no business of outlierd's.
  private func refuse(path: String, name: String, reason: String, notRegular: Bool) throws {
    guard case .removeFromSpool = disposal else {
      logger.error("\(path): refused: \(reason)", metadata: Self.metadata(file: path))
      return
    }
    try FileSystem.makeDirectory(settings.rejected)
    let stamp = Int(Date().timeIntervalSince1970)
    let target = RejectedName.fitting(name) + ".\(stamp)"
    let shown = LogText.escaped(path)
    if notRegular {
      let what = try FileSystem.removeEntry(path)
      let note =
        "# \(shown) (\(what)) removed by outlierd at \(timeFormatter.string(from: Date())): \(reason)\n"
      try FileSystem.writeAtomically(settings.rejected + "/" + target + ".reason", Array(note.utf8))
      logger.error("\(path): refused and removed (\(what)): \(reason)", metadata: Self.metadata(file: path))
      return
    }
    let note = "# \(shown) refused by outlierd at \(timeFormatter.string(from: Date())): \(reason)\n"
    try FileSystem.writeAtomically(settings.rejected + "/" + target + ".reason", Array(note.utf8))
    let moved = try FileSystem.move(path, intoDirectory: settings.rejected, name: target)
    logger.error("\(path): refused, moved to \(moved): \(reason)", metadata: Self.metadata(file: path))
  }

  /// The rejected lines of a file as a file that is itself valid input:
  /// each line preceded by a comment with its number and reason, so it can
  /// be fixed and dropped into the spool again. Past
  /// `FileReport.rejectionDetailLimit` lines only a count is written, and
  /// a spool file's whole content is kept beside it as `.original`, so no
  /// line is lost however many were bad.
  private func writeRejectedLines(_ report: FileReport, original: [UInt8]) throws {
    guard report.rejectedLines > 0 else { return }
    try FileSystem.makeDirectory(settings.rejected)
    let base = settings.rejected + "/" + RejectedName.fitting(report.name) + "." + report.sha256.prefix(12)
    let omitted = report.rejectedLines - report.rejected.count
    var text =
      "# \(report.rejectedLines) rejected lines of \(LogText.escaped(report.name)) (sha256 \(report.sha256))\n"
    for rejection in report.rejected {
      text += "# line \(rejection.line): \(rejection.reason)\n"
      text += rejection.text.replacingOccurrences(of: "\r", with: "") + "\n"
    }
    if omitted > 0 {
      text += "# \(omitted) more rejected lines are not listed"
      if case .removeFromSpool = disposal {
        try FileSystem.writeAtomically(base + ".original", original)
        text += "; the whole file is kept as \(FileSystem.baseName(base)).original"
      }
      text += "\n"
    }
    try FileSystem.writeAtomically(base + ".rejected", Array(text.utf8))
  }

  private func log(_ report: FileReport, path: String) {
    incidentsOpened += report.incidentsOpened.count
    incidentsCritical += report.incidentsEscalated.count
    if logsEachAlert { logAlerts(report, path: path) }
    logSummary(report, path: path)
  }

  private func logAlerts(_ report: FileReport, path: String) {
    for alert in report.alerts {
      let score = alert.score
      let band = score.band
      let time = timeFormatter.string(from: Date(timeIntervalSince1970: alert.timestamp))
      logger.warning(
        "ALERT \(alert.series) at \(time) (\(ingestor.calendar.label(ofSlot: alert.slot))): value \(alert.value.sixDigits), expected \(score.expected.sixDigits), band [\(band.lowerBound.sixDigits), \(band.upperBound.sixDigits)], score \(String(format: "%+.2f", score.studentized)) (z \(String(format: "%+.2f", score.normalEquivalent))), p \(String(format: "%.2g", score.pValue)), n \(score.samples.sixDigits)",
        metadata: Self.metadata(
          series: alert.series, file: path, incident: alert.incident,
          extra: ["kind": "\(alert.kind.rawValue)"]))
    }
    for note in report.incidentsOpened {
      let time = timeFormatter.string(from: Date(timeIntervalSince1970: note.incident.start))
      let what =
        note.kind == .variance
        ? "has stopped varying (the same value for longer than it ever is)"
        : "\(note.incident.sign > 0 ? "above" : "below") its band"
      logger.warning(
        "INCIDENT #\(note.incident.id) opened: \(note.series) \(what) since \(time)",
        metadata: Self.metadata(
          series: note.series, file: path, incident: note.incident.id,
          extra: ["kind": "\(note.kind.rawValue)"]))
    }
    // At error priority: `journalctl -p err` lists what pages.
    for note in report.incidentsEscalated {
      let time = timeFormatter.string(from: Date(timeIntervalSince1970: note.incident.criticalAt))
      let p = exp(
        IncidentSeverity.logCombinedP(evidence: note.incident.evidence, alerts: note.incident.alerts))
      logger.error(
        "INCIDENT #\(note.incident.id) critical: \(note.series) \(note.incident.sign > 0 ? "above" : "below") its band at \(time), \(note.incident.alerts) alerts, combined p \(String(format: "%.2g", p))",
        metadata: Self.metadata(
          series: note.series, file: path, incident: note.incident.id, extra: ["severity": "critical"]))
    }
    for note in report.incidentsClosed {
      let start = timeFormatter.string(from: Date(timeIntervalSince1970: note.incident.start))
      let end = timeFormatter.string(from: Date(timeIntervalSince1970: note.incident.end))
      logger.notice(
        "INCIDENT #\(note.incident.id) closed: \(note.series) \(note.incident.sign > 0 ? "above" : "below") its band \(start) – \(end), \(note.incident.alerts) alerts, peak z \(String(format: "%+.1f", note.incident.peak)), \(note.incident.severity.rawValue)",
        metadata: Self.metadata(
          series: note.series, file: path, incident: note.incident.id,
          extra: ["severity": "\(note.incident.severity.rawValue)"]))
    }
  }

  private func logSummary(_ report: FileReport, path: String) {
    for event in report.events {
      let time = timeFormatter.string(from: Date(timeIntervalSince1970: event.time))
      logger.notice(
        "\(event.kind.uppercased()) \(event.series) at \(time): \(event.detail)",
        metadata: Self.metadata(series: event.series, file: path, extra: ["event": "\(event.kind)"]))
    }
    let summary =
      (report.appliedAgain ? "\(path): applied again (it had lines ahead of the clock): " : "\(path): ")
      + "\(report.accepted) samples applied, \(report.rejectedLines) lines rejected, \(report.alerts.count) alerts"
      + (report.newSeries > 0 ? ", \(report.newSeries) new series" : "")
      + (report.unjudged > 0 ? ", \(report.unjudged) not judged yet (slots warming up)" : "")
      + (report.laterLines > 0
        ? "; \(report.laterLines) lines are more than input.max_future ahead of the clock: drop the same file again once the clock has passed them (its other lines will not be applied twice)"
        : "")
    if report.rejectedLines == 0 {
      logger.info("\(summary)", metadata: Self.metadata(file: path))
    } else {
      logger.warning("\(summary); see \(settings.rejected)", metadata: Self.metadata(file: path))
      for rejection in report.rejected.prefix(3) {
        logger.notice("\(path):\(rejection.line): \(rejection.reason)", metadata: Self.metadata(file: path))
      }
    }
  }
}

extension FileProcessor {
  /// What a log event is about, as metadata: journald keeps each key as a
  /// field of its own (`JournalLogHandler`: `OUTLIERD_SERIES`,
  /// `OUTLIERD_FILE`, `OUTLIERD_INCIDENT`, …).
  static func metadata(
    series: String? = nil, file: String? = nil, incident: Int64? = nil, extra: Logger.Metadata = [:]
  ) -> Logger.Metadata {
    var metadata = extra
    if let series { metadata["series"] = "\(series)" }
    if let file { metadata["file"] = "\(file)" }
    if let incident { metadata["incident"] = "\(incident)" }
    return metadata
  }
}

/// A number as an operator reads it: up to 6 significant digits.
extension Double {
  /// Six significant digits, as C's `%g` writes them: the log's figures.
  var sixDigits: String { String(format: "%.6g", self) }
}
