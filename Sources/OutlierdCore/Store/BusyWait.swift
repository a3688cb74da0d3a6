import CSQLite

#if canImport(Glibc)
  import Glibc
#endif

enum BusyWait {
  /// Milliseconds between attempts to take a lock.
  static let step = 10

  /// Whether SIGTERM or SIGINT waits, blocked, to be read (from the
  /// daemon's signalfd). Reading the pending set does not consume it.
  static func stopIsPending() -> Bool {
    var pending = sigset_t()
    guard sigpending(&pending) == 0 else { return false }
    return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1
  }
}

/// SQLite's busy handler (see `setBusyTimeout`). The context pointer's
/// address is the timeout in milliseconds plus one (never null).
func busyHandler(_ context: UnsafeMutableRawPointer?, _ attempts: Int32) -> Int32 {
  let timeout = Int(bitPattern: context) - 1
  guard Int(attempts) * BusyWait.step < timeout, !BusyWait.stopIsPending() else { return 0 }
  usleep(UInt32(BusyWait.step * 1000))
  return 1
}
