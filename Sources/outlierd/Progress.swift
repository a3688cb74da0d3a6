import Foundation
import OutlierdCore

/// `ingest`'s progress: a bar redrawn in place when stderr is a terminal,
/// one summary line at the end otherwise (logs, CI, cron mail).
struct IngestProgress {
  let total: Int
  let interactive = isatty(STDERR_FILENO) == 1
  let started = Date()
  var files = 0
  var samples = 0
  var alerts = 0
  var alreadyApplied = 0
  var refused = 0
  private var lastDraw = Date.distantPast

  init(total: Int) { self.total = total }

  mutating func record(_ outcome: FileProcessor.Outcome) {
    files += 1
    switch outcome {
    case .applied(let report):
      samples += report.accepted
      alerts += report.alerts.count
    case .alreadyApplied: alreadyApplied += 1
    case .refused, .deferred, .vanished: refused += 1
    }
    if interactive && (Date().timeIntervalSince(lastDraw) > 0.1 || files == total) {
      lastDraw = Date()
      draw()
    }
  }

  var rate: Double { Double(samples) / max(Date().timeIntervalSince(started), 1e-3) }

  private func draw() {
    let width = 30
    let done = total == 0 ? width : width * files / total
    let elapsed = Date().timeIntervalSince(started)
    let eta = files == 0 ? 0 : elapsed / Double(files) * Double(total - files)
    let bar =
      String(repeating: "=", count: done) + (done < width ? ">" : "")
      + String(repeating: " ", count: max(0, width - done - 1))
    let line = String(
      format: "\r\u{1B}[K[%@] %d/%d files  %d samples  %.0f samples/s  ETA %d:%02d", bar, files, total,
      samples, rate,
      Int(eta) / 60, Int(eta) % 60)
    FileHandle.standardError.write(Data(line.utf8))
    if files == total { FileHandle.standardError.write(Data("\n".utf8)) }
  }

  func summary() -> String {
    let elapsed = Date().timeIntervalSince(started)
    return String(
      format:
        "ingest: %d files (%d applied, %d already applied, %d refused), %d samples, %d alerts in %.2f s (%.0f samples/s)",
      files, files - alreadyApplied - refused, alreadyApplied, refused, samples, alerts, elapsed, rate)
  }
}
