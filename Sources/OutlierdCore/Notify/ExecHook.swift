import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The exec hook: runs a command (through `/bin/sh -c`) once per delivery,
/// with the alert as one JSON object on its standard input.
///
/// Contract: at most `concurrency` commands run at once; one that runs past
/// `timeout` is killed and counts as failed; a non-zero exit status fails
/// too. Each failure comes back with the command's exit status and the end
/// of its standard error, for the log and the ledger.
package struct ExecHook: Sendable {
  package var command: String
  package var timeout: Double
  package var concurrency = 4

  package init(command: String, timeout: Double) {
    self.command = command
    self.timeout = timeout
  }

  /// A running command: its process group, the read end of its stderr,
  /// and the end of what it wrote there.
  private struct Running {
    var index: Int
    var pid: pid_t
    var errors: Int32
    var said: [UInt8] = []
    var status: Int32? = nil
  }

  /// The end of a command's stderr kept for the message.
  static let keptErrorBytes = 4096

  /// Runs the command for each input; returns nil (delivered) or why not, in
  /// order. Each command's stderr is read while it runs (a command that
  /// writes more than a pipe holds must not block on it and be killed after
  /// it delivered). When `cancel` (a signalfd) becomes readable, the
  /// running commands are killed and the rest not started; their results
  /// say so.
  package func run(_ inputs: [[UInt8]], cancel: Int32 = -1) -> [String?] {
    // A command that does not read its input must not kill us (SIGPIPE).
    signal(SIGPIPE, SIG_IGN)
    var results = [String?](repeating: "\(command): not run (stopping)", count: inputs.count)
    var next = 0
    var interrupted = false
    while next < inputs.count && !interrupted {
      let chunk = next..<min(next + concurrency, inputs.count)
      var running: [Running] = []
      for i in chunk {
        switch spawn(inputs[i]) {
        case .success(let started):
          running.append(Running(index: i, pid: started.pid, errors: started.errors))
        case .failure(let failure): results[i] = failure.description
        }
      }
      let deadline = Date().timeIntervalSince1970 + timeout
      while running.contains(where: { $0.status == nil || $0.errors >= 0 }) {
        for k in running.indices where running[k].status == nil {
          var status: Int32 = 0
          if waitpid(running[k].pid, &status, WNOHANG) == running[k].pid { running[k].status = status }
        }
        let left = deadline - Date().timeIntervalSince1970
        if left <= 0 || interrupted {
          for k in running.indices where running[k].status == nil {
            // The whole process group: a shell's children go too.
            kill(-running[k].pid, SIGKILL)
            var status: Int32 = 0
            waitpid(running[k].pid, &status, 0)
          }
          break
        }
        // Read stderr while waiting; 10 ms steps to notice exits.
        var fds = running.filter { $0.errors >= 0 }.map {
          pollfd(fd: $0.errors, events: Int16(POLLIN), revents: 0)
        }
        if cancel >= 0 { fds.append(pollfd(fd: cancel, events: Int16(POLLIN), revents: 0)) }
        _ = poll(&fds, nfds_t(fds.count), Int32(min(left, 0.01) * 1000) + 1)
        if cancel >= 0 && fds.last!.revents != 0 { interrupted = true }
        for k in running.indices where running[k].errors >= 0 {
          if !Self.readErrors(&running[k]) && running[k].status != nil {
            close(running[k].errors)
            running[k].errors = -1
          }
        }
      }
      for child in running {
        if child.errors >= 0 { close(child.errors) }
        let said = String(decoding: child.said, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let status = child.status else {
          results[child.index] =
            interrupted
            ? "\(command): killed (stopping)"
            : "\(command): killed after \(timeout.formatted(maxFractionDigits: 3)) s (notify.exec_timeout)"
          continue
        }
        if status & 0x7f == 0 && (status >> 8) & 0xff == 0 {
          results[child.index] = nil
        } else {
          let how =
            status & 0x7f == 0 ? "exit status \((status >> 8) & 0xff)" : "killed by signal \(status & 0x7f)"
          results[child.index] = "\(command): \(how)" + (said.isEmpty ? "" : ": \(said.suffix(300))")
        }
      }
      next = chunk.upperBound
    }
    return results
  }

  /// Reads what a command wrote to stderr so far, keeping the last
  /// `keptErrorBytes`; false at the end of its stderr.
  private static func readErrors(_ child: inout Running) -> Bool {
    var buffer = [UInt8](repeating: 0, count: 16384)
    while true {
      let n = read(child.errors, &buffer, buffer.count)
      if n > 0 {
        child.said += buffer[..<n]
        if child.said.count > keptErrorBytes { child.said.removeFirst(child.said.count - keptErrorBytes) }
        continue
      }
      return n < 0 && (errno == EAGAIN || errno == EINTR)
    }
  }

  struct SpawnFailure: Error, CustomStringConvertible {
    var description: String
  }

  /// pipe(2), both ends closed on exec (spawned children get only what
  /// the file actions give them).
  private static func pipeClosedOnExec(_ ends: inout [Int32]) -> Int32 {
    guard pipe(&ends) == 0 else { return -1 }
    for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return 0
  }

  /// Starts `/bin/sh -c command` in a process group of its own, its stdin
  /// fed `input` (small: one alert, far below a pipe's buffer), its stdout
  /// discarded, its stderr kept in a non-blocking pipe.
  private func spawn(_ input: [UInt8]) -> Result<(pid: pid_t, errors: Int32), SpawnFailure> {
    var stdinPipe: [Int32] = [0, 0]
    var stderrPipe: [Int32] = [0, 0]
    guard Self.pipeClosedOnExec(&stdinPipe) == 0 else {
      return .failure(SpawnFailure(description: "pipe: \(String(cString: strerror(errno)))"))
    }
    guard Self.pipeClosedOnExec(&stderrPipe) == 0 else {
      close(stdinPipe[0]); close(stdinPipe[1])
      return .failure(SpawnFailure(description: "pipe: \(String(cString: strerror(errno)))"))
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
    posix_spawnattr_setpgroup(&attributes, 0)
    var pid: pid_t = 0
    let arguments = ["/bin/sh", "-c", command]
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    let status = posix_spawn(&pid, "/bin/sh", &actions, &attributes, &argv, environ)
    close(stdinPipe[0])
    close(stderrPipe[1])
    guard status == 0 else {
      close(stdinPipe[1])
      close(stderrPipe[0])
      return .failure(
        SpawnFailure(description: "cannot run /bin/sh -c \(command): \(String(cString: strerror(status)))"))
    }
    input.withUnsafeBytes { _ = write(stdinPipe[1], $0.baseAddress, $0.count) }
    close(stdinPipe[1])
    _ = fcntl(stderrPipe[0], F_SETFL, fcntl(stderrPipe[0], F_GETFL) | O_NONBLOCK)
    return .success((pid, stderrPipe[0]))
  }
}
