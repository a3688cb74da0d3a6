import CLinux
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Requests from the command line to the running daemon, the database's one
/// writer: `outlierd series reset NAME` or `outlierd feedback ID normal`
/// drops a request file into the `control` directory beside the database;
/// the daemon applies it between batches (within a second), writes its
/// answer beside it, and removes the request.
///
/// Contract: a request is `NAME.req`, one line of at most
/// `maxRequestBytes`, written under a temporary name and renamed; the answer
/// is `NAME.done`, one line, written atomically. Who may ask is who may
/// write the directory: the daemon creates it `0700` (its own user and
/// root); the package's tmpfiles.d makes it `2770` in group
/// `outlierd-admins`, the operators who may change models. Whoever may
/// write there can only ask: a request is read without following symlinks
/// and only when it is a small regular file, and every file the daemon or
/// the command writes there is created under a fresh random name with
/// `O_EXCL | O_NOFOLLOW` (`FileSystem.writeAtomically`), so a planted
/// symlink never redirects a write.
package final class ControlRequests {
  package let directory: String
  /// Readable when a request may have arrived (inotify on the directory;
  /// -1 before `prepare()` or when it could not be watched).
  package private(set) var descriptor: Int32 = -1

  /// The longest request read: the verb and a series name of the longest
  /// `input.max_series_name` allowed (4,096 bytes), with room to spare.
  package static let maxRequestBytes = 4_200

  package init(database: String) {
    directory = FileSystem.directoryName(database) + "/control"
  }

  deinit { if descriptor >= 0 { close(descriptor) } }

  /// Creates the directory if missing (`0700`: only the daemon's user, and
  /// root, may ask until an administrator opens it to a group), and
  /// watches it.
  package func prepare() {
    mkdir(directory, 0o700)
    descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
    if descriptor >= 0 && inotify_add_watch(descriptor, directory, UInt32(IN_MOVED_TO | IN_CLOSE_WRITE)) < 0 {
      close(descriptor)
      descriptor = -1
    }
  }

  /// Empties the watch's queue; true when anything had arrived.
  package func drainEvents() -> Bool {
    guard descriptor >= 0 else { return false }
    var buffer = [UInt8](repeating: 0, count: 4096)
    var any = false
    while read(descriptor, &buffer, buffer.count) > 0 { any = true }
    return any
  }

  /// Pending requests, oldest name first; names starting with "." are
  /// requests still being written.
  package func pending() -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
      // A name starting with "." is being written (write, then rename).
      $0.hasSuffix(".req") && !$0.hasPrefix(".") && !answered.contains($0)
    }
    .sorted()
  }

  /// What can be asked.
  package enum Request: Sendable, Hashable {
    /// `reset SERIES`: drop the series' model.
    case reset(series: String)
    /// `feedback ALERT_ID normal`: re-learn the flagged sample as normal.
    case normal(alert: Int64)
    /// `silence add` (tab-separated: seconds, by whom, pattern, comment):
    /// hold back the notifiers for matching series from now.
    case silence(pattern: String, seconds: Double, comment: String, by: String)
    /// `silence expire ID`: end a silence now.
    case expireSilence(id: Int64)

    package init?(_ text: String) {
      if text.hasPrefix("reset ") {
        self = .reset(series: String(text.dropFirst("reset ".count)))
      } else if text.hasPrefix("feedback "), text.hasSuffix(" normal"),
        let id = Int64(text.dropFirst("feedback ".count).dropLast(" normal".count))
      {
        self = .normal(alert: id)
      } else if text.hasPrefix("silence add\t") {
        let fields = text.dropFirst("silence add\t".count).split(
          separator: "\t", maxSplits: 3, omittingEmptySubsequences: false)
        // The request is read trimmed: an empty comment's tab is gone.
        guard fields.count >= 3, let seconds = Double(fields[0]), seconds > 0, !fields[2].isEmpty else {
          return nil
        }
        self = .silence(
          pattern: String(fields[2]), seconds: seconds, comment: fields.count > 3 ? String(fields[3]) : "",
          by: String(fields[1]))
      } else if text.hasPrefix("silence expire "), let id = Int64(text.dropFirst("silence expire ".count)) {
        self = .expireSilence(id: id)
      } else {
        return nil
      }
    }

    package var text: String {
      switch self {
      case .reset(let series): return "reset \(series)"
      case .normal(let alert): return "feedback \(alert) normal"
      case .silence(let pattern, let seconds, let comment, let by):
        return "silence add\t\(seconds)\t\(by)\t\(pattern)\t\(comment)"
      case .expireSilence(let id): return "silence expire \(id)"
      }
    }
  }

  /// Applies one request with `apply` (which returns the answer) and
  /// answers it; a request that is not a small regular file, or not
  /// understood, is answered with the reason and never applied.
  package func handle(_ name: String, apply: (Request) throws -> String) {
    let path = directory + "/" + name
    let answer: String
    do {
      let bytes = try FileSystem.readSmallRegularFile(path, limit: Self.maxRequestBytes)
      let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
      if let request = Request(text) {
        do {
          answer = try apply(request)
        } catch {
          answer = "error: \(error)"
        }
      } else {
        answer =
          "error: unknown request \"\(LogText.escaped(String(text.prefix(100))))\"; known: reset SERIES, feedback ALERT_ID normal, silence add, silence expire ID"
      }
    } catch {
      answer = "error: request refused: \(LogText.escaped(error.description))"
    }
    try? FileSystem.writeAtomically(
      directory + "/" + name.dropLast(".req".count) + ".done", Array((answer + "\n").utf8))
    // A directory named like a request is removed too, when empty; what
    // cannot be removed is answered once, not at every pass.
    if unlink(path) != 0 && rmdir(path) != 0 { answered.insert(name) }
  }

  /// Requests answered that could not be removed.
  private var answered: Set<String> = []

  /// Sends a request and waits up to `timeout` seconds for the answer; nil
  /// when none came (the daemon is not running, or busy). The request's
  /// name holds 16 random hex digits, so nobody can plant a file at its
  /// answer's name in advance; the answer is read like a request, never
  /// through a symlink.
  package func ask(_ request: Request, timeout: Double) throws -> String? {
    let name = "request-\(Int(Date().timeIntervalSince1970 * 1000))-\(getpid())-\(FileSystem.randomHex(16))"
    try FileSystem.writeAtomically(
      directory + "/" + name + ".req", Array((request.text + "\n").utf8), mode: 0o660)
    let done = directory + "/" + name + ".done"
    let deadline = Date().timeIntervalSince1970 + timeout
    while Date().timeIntervalSince1970 < deadline {
      do {
        let answer = try FileSystem.readSmallRegularFile(done, limit: 64 * 1024)
        unlink(done)
        return String(decoding: answer, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
      } catch .cannotOpen(_, ENOENT) {
        usleep(50_000)
      } catch {
        unlink(done)
        throw error
      }
    }
    return nil
  }
}
