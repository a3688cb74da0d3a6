import Foundation

@testable import OutlierdCore

/// The system's own tools, for tests that need real users, mounts and
/// signals: each runs a real command and reports its status and output.
enum SystemTools {
  struct Output {
    var status: Int32
    var text: String
  }

  struct CommandFailure: Error { var detail: String }

  /// Makes, in `directory`, a test CA (`ca.pem`) and two certificates it
  /// signed with their keys: `server.pem`/`server.key` for 127.0.0.1, and
  /// `client.pem`/`client.key` (CN outlierd-client). Debian's openssl.
  static func makeCertificates(in directory: String) throws {
    let made = try shell(
      """
      set -e; cd \(directory)
      key() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "$@" 2>/dev/null; }
      key -x509 -keyout ca.key -out ca.pem -days 2 -subj /CN=outlierd-test-ca
      printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext
      key -keyout server.key -out server.csr -subj /CN=127.0.0.1
      openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext 2>/dev/null
      key -keyout client.key -out client.csr -subj /CN=outlierd-client
      openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 2>/dev/null
      """)
    guard made.status == 0 else { throw CommandFailure(detail: "openssl: \(made.text)") }
  }

  /// Runs `/bin/sh -c command`; stdout and stderr together.
  @discardableResult
  static func shell(_ command: String) throws -> Output {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command + " 2>&1"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Output(status: process.terminationStatus, text: String(decoding: data, as: UTF8.self))
  }

  /// Single-quoted for the shell.
  static func quoted(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  static var isRoot: Bool { getuid() == 0 }

  /// Creates the group and the users (members of it) if missing.
  static func ensureUsers(_ users: [String], group: String) throws {
    try shell("getent group \(group) >/dev/null || groupadd \(group)")
    for user in users {
      try shell("id -u \(user) >/dev/null 2>&1 || useradd --no-create-home --shell /usr/sbin/nologin \(user)")
      try shell("usermod -aG \(group) \(user)")
    }
  }

  /// Runs a shell command as `user`.
  @discardableResult
  static func asUser(_ user: String, _ command: String) throws -> Output {
    try shell("runuser -u \(user) -- /bin/sh -c \(quoted(command))")
  }

  /// The highest resident set (VmHWM, KiB) a running process reached, read
  /// from /proc until it exits; with its exit status.
  static func peakMemory(of process: Process) -> (status: Int32, kibibytes: Int) {
    var peak = 0
    let path = "/proc/\(process.processIdentifier)/status"
    while process.isRunning {
      if let text = try? String(contentsOfFile: path, encoding: .utf8),
        let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
        let value = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
      {
        peak = max(peak, value)
      }
      usleep(5_000)
    }
    process.waitUntilExit()
    return (process.terminationStatus, peak)
  }
}
