import CLinux

#if canImport(Glibc)
  import Glibc
#endif

/// SIGTERM, SIGINT and SIGHUP delivered as readable events on a file
/// descriptor (signalfd), so the daemon's one poll loop sees them between
/// and during files, with no handler running at an arbitrary instant.
package final class SignalReceiver {
  package enum Signal: Sendable { case terminate, reload }

  package let descriptor: Int32

  package init() {
    var mask = sigset_t()
    sigemptyset(&mask)
    for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&mask, signal) }
    sigprocmask(SIG_BLOCK, &mask, nil)
    descriptor = signalfd(-1, &mask, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
  }

  deinit { close(descriptor) }

  /// The signals received since the last call, without waiting.
  package func pending() -> [Signal] {
    var result: [Signal] = []
    var info = signalfd_siginfo()
    while read(descriptor, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size
    {
      result.append(Int32(info.ssi_signo) == SIGHUP ? .reload : .terminate)
    }
    return result
  }
}
