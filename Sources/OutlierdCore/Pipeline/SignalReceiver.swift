import CLinux

#if canImport(Glibc)
  import Glibc
#endif

/// SIGTERM, SIGINT and SIGHUP delivered as readable events on a file
/// descriptor (signalfd), so the daemon's one poll loop sees them between
/// and during files, with no handler running at an arbitrary instant.
public final class SignalReceiver {
  public enum Signal: Sendable { case terminate, reload }

  public let descriptor: Int32

  public init() {
    var mask = sigset_t()
    sigemptyset(&mask)
    for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&mask, signal) }
    sigprocmask(SIG_BLOCK, &mask, nil)
    descriptor = signalfd(-1, &mask, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
  }

  deinit { close(descriptor) }

  /// The signals received since the last call, without waiting.
  public func pending() -> [Signal] {
    var result: [Signal] = []
    var info = signalfd_siginfo()
    while read(descriptor, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size
    {
      result.append(Int32(info.ssi_signo) == SIGHUP ? .reload : .terminate)
    }
    return result
  }
}

/// Holds an exclusive lock beside the database, so a second `outlierd run`
/// (or `ingest`) on the same database refuses to start.
public final class InstanceLock {
  private let descriptor: Int32
  public let path: String

  public struct Held: Error, CustomStringConvertible {
    public var path: String
    public var holder: String
    public var description: String {
      "another outlierd (\(holder)) is already using this database (lock \(path)); stop it first or use another [storage] database"
    }
  }

  public init(database: String) throws {
    path = database + ".lock"
    descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
    guard descriptor >= 0 else {
      throw FileSystem.Failure(path: path, operation: "open lock file", code: errno)
    }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
      var buffer = [UInt8](repeating: 0, count: 32)
      let n = pread(descriptor, &buffer, 32, 0)
      let holder =
        n > 0 ? "pid " + String(decoding: buffer[..<n], as: UTF8.self).trimmingNewlines() : "unknown pid"
      close(descriptor)
      throw Held(path: path, holder: holder)
    }
    let pid = Array("\(getpid())\n".utf8)
    ftruncate(descriptor, 0)
    _ = pwrite(descriptor, pid, pid.count, 0)
  }

  deinit { close(descriptor) }
}

extension String {
  func trimmingNewlines() -> String {
    var s = Substring(self)
    while s.last == "\n" || s.last == "\r" { s.removeLast() }
    return String(s)
  }
}
