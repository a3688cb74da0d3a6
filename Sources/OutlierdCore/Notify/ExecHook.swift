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
public struct ExecHook: Sendable {
  public var command: String
  public var timeout: Double
  public var concurrency = 4

  public init(command: String, timeout: Double) {
    self.command = command
    self.timeout = timeout
  }

  /// A running command: its process group, and the read end of its stderr.
  private struct Running {
    var index: Int
    var pid: pid_t
    var errors: Int32
  }

  /// Runs the command for each input; returns nil (delivered) or why not, in order.
  public func run(_ inputs: [[UInt8]]) -> [String?] {
    // A command that does not read its input must not kill us (SIGPIPE).
    signal(SIGPIPE, SIG_IGN)
    var results = [String?](repeating: nil, count: inputs.count)
    var next = 0
    while next < inputs.count {
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
      for child in running {
        var status: Int32 = 0
        var done = false
        while !done && Date().timeIntervalSince1970 < deadline {
          done = waitpid(child.pid, &status, WNOHANG) == child.pid
          if !done { usleep(10_000) }
        }
        if !done {
          // The whole process group: a shell's children go too.
          kill(-child.pid, SIGKILL)
          waitpid(child.pid, &status, 0)
          results[child.index] =
            "\(command): killed after \(timeout.formatted(maxFractionDigits: 3)) s (notify.exec_timeout)"
        } else if !(status & 0x7f == 0 && (status >> 8) & 0xff == 0) {
          var buffer = [UInt8](repeating: 0, count: 4096)
          let n = read(child.errors, &buffer, buffer.count)
          let said = String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
          let how =
            status & 0x7f == 0 ? "exit status \((status >> 8) & 0xff)" : "killed by signal \(status & 0x7f)"
          results[child.index] = "\(command): \(how)" + (said.isEmpty ? "" : ": \(said.suffix(300))")
        }
        close(child.errors)
      }
      next = chunk.upperBound
    }
    return results
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
