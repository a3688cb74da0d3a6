import CLinux
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Requests from the command line to the running daemon, the database's one
/// writer: `outlierd series reset NAME` or `outlierd feedback ID normal`
/// drops a request file into the
/// `control` directory beside the database; the daemon applies it between
/// batches (within a second), writes its answer beside it, and removes the
/// request.
///
/// Contract: a request is `NAME.req`, written as `NAME.req.tmp` and renamed,
/// one line (`Request.text`); the answer is `NAME.done`, one line, written
/// atomically. The directory is 2770 (setgid) in the daemon's group, so
/// members of `outlierd` may ask; nobody else may.
public final class ControlRequests {
  public let directory: String
  /// Readable when a request may have arrived (inotify on the directory;
  /// -1 before `prepare()` or when it could not be watched).
  public private(set) var descriptor: Int32 = -1

  public init(database: String) {
    directory = FileSystem.directoryName(database) + "/control"
  }

  deinit { if descriptor >= 0 { close(descriptor) } }

  /// Creates the directory if missing, and watches it.
  public func prepare() {
    // setgid: a request an operator writes belongs to the directory's
    // group (outlierd's), so the daemon may read it.
    if mkdir(directory, 0o770) == 0 { chmod(directory, 0o2770) }
    descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
    if descriptor >= 0 && inotify_add_watch(descriptor, directory, UInt32(IN_MOVED_TO | IN_CLOSE_WRITE)) < 0 {
      close(descriptor)
      descriptor = -1
    }
  }

  /// Empties the watch's queue; true when anything had arrived.
  public func drainEvents() -> Bool {
    guard descriptor >= 0 else { return false }
    var buffer = [UInt8](repeating: 0, count: 4096)
    var any = false
    while read(descriptor, &buffer, buffer.count) > 0 { any = true }
    return any
  }

  /// Pending requests, oldest name first.
  public func pending() -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".req") }
      .sorted()
  }

  /// What can be asked.
  public enum Request: Sendable, Hashable {
    /// `reset SERIES`: drop the series' model.
    case reset(series: String)
    /// `feedback ALERT_ID normal`: re-learn the flagged sample as normal.
    case normal(alert: Int64)

    public init?(_ text: String) {
      if text.hasPrefix("reset ") {
        self = .reset(series: String(text.dropFirst("reset ".count)))
      } else if text.hasPrefix("feedback "), text.hasSuffix(" normal"),
        let id = Int64(text.dropFirst("feedback ".count).dropLast(" normal".count))
      {
        self = .normal(alert: id)
      } else {
        return nil
      }
    }

    public var text: String {
      switch self {
      case .reset(let series): return "reset \(series)"
      case .normal(let alert): return "feedback \(alert) normal"
      }
    }
  }

  /// Applies one request with `apply` (which returns the answer) and
  /// answers it; an unknown request is answered with what is understood.
  public func handle(_ name: String, apply: (Request) throws -> String) {
    let path = directory + "/" + name
    let text = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(
      in: .whitespacesAndNewlines)
    let answer: String
    if let request = Request(text) {
      do {
        answer = try apply(request)
      } catch {
        answer = "error: \(error)"
      }
    } else {
      answer =
        "error: unknown request \"\(LogText.escaped(String(text.prefix(100))))\"; known: reset SERIES, feedback ALERT_ID normal"
    }
    try? FileSystem.writeAtomically(
      directory + "/" + name.dropLast(".req".count) + ".done", Array((answer + "\n").utf8))
    unlink(path)
  }

  /// Sends a request and waits up to `timeout` seconds for the answer; nil
  /// when none came (the daemon is not running, or busy).
  public func ask(_ request: Request, timeout: Double) throws -> String? {
    let name = "request-\(Int(Date().timeIntervalSince1970 * 1000))-\(getpid())"
    try FileSystem.writeAtomically(
      directory + "/" + name + ".req", Array((request.text + "\n").utf8), mode: 0o660)
    let done = directory + "/" + name + ".done"
    let deadline = Date().timeIntervalSince1970 + timeout
    while Date().timeIntervalSince1970 < deadline {
      if let answer = try? String(contentsOfFile: done, encoding: .utf8) {
        unlink(done)
        return answer.trimmingCharacters(in: .whitespacesAndNewlines)
      }
      usleep(50_000)
    }
    return nil
  }
}
