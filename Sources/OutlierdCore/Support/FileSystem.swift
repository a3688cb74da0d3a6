import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Small POSIX helpers with errors that name the path.
package enum FileSystem {
  package struct Failure: Error, CustomStringConvertible {
    package var path: String
    package var operation: String
    package var code: Int32
    package var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
  }

  /// Creates a directory and its parents with the given mode if missing.
  package static func makeDirectory(_ path: String, mode: mode_t = 0o750) throws(Failure) {
    var partial = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
      partial += "/" + component
      if mkdir(partial, mode) != 0 && errno != EEXIST {
        throw Failure(path: partial, operation: "create directory", code: errno)
      }
    }
  }

  /// Writes a file atomically: a new temporary file beside it, fsync, rename.
  ///
  /// Contract: nothing at `path` or beside it is ever followed or truncated.
  /// The temporary file is created under a fresh unpredictable name with
  /// `O_CREAT | O_EXCL | O_NOFOLLOW` (see `createTemporary`), so a symlink
  /// planted in a directory others may write (`control/`, a shared textfile
  /// directory, the spool) cannot redirect the write; `rename` then
  /// replaces whatever entry `path` names, a symlink included, without
  /// following it. The file has exactly `mode`, not narrowed by the umask.
  package static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o640) throws(Failure)
  {
    var failure: Failure?
    bytes.withUnsafeBytes { raw in
      do throws(Failure) { try writeAtomically(path, raw, mode: mode) } catch { failure = error }
    }
    if let failure { throw failure }
  }

  /// Writes a file atomically from bytes held elsewhere (no copy); the same
  /// contract as the array form.
  static func writeAtomically(_ path: String, _ bytes: UnsafeRawBufferPointer, mode: mode_t = 0o640)
    throws(Failure)
  {
    let (fd, temporary) = try createTemporary(besides: path, mode: mode)
    func fail(_ operation: String, _ code: Int32) -> Failure {
      close(fd)
      unlink(temporary)
      return Failure(path: temporary, operation: operation, code: code)
    }
    var written = 0
    while written < bytes.count {
      let n = write(fd, bytes.baseAddress! + written, bytes.count - written)
      if n < 0 {
        if errno == EINTR { continue }
        throw fail("write", errno)
      }
      written += n
    }
    // Exactly `mode`, whatever the umask: the daemon's 0027 made a metrics
    // file meant to be 0644 unreadable to node_exporter.
    if fchmod(fd, mode) != 0 { throw fail("chmod", errno) }
    if fsync(fd) != 0 { throw fail("fsync", errno) }
    close(fd)
    guard rename(temporary, path) == 0 else {
      let code = errno
      unlink(temporary)
      throw Failure(path: path, operation: "rename into place", code: code)
    }
  }

  /// Creates a new empty file in `path`'s directory under a name nobody can
  /// guess (`.outlierd-` and 16 random hex digits, `.tmp`: names the spool
  /// watcher and node_exporter's textfile collector both ignore), opened
  /// write-only with `O_CREAT | O_EXCL | O_NOFOLLOW`: an existing entry of
  /// that name, a symlink included, makes the open fail instead of being
  /// followed or truncated, and a new name is drawn.
  ///
  /// Returns the descriptor, which the caller closes, and the name, which
  /// it renames or unlinks.
  package static func createTemporary(besides path: String, mode: mode_t = 0o640) throws(Failure)
    -> (descriptor: Int32, path: String)
  {
    let directory = directoryName(path)
    var code: Int32 = EEXIST
    var temporary = path
    for _ in 0..<8 {
      temporary = directory + "/.outlierd-" + randomHex(16) + ".tmp"
      let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
      if fd >= 0 { return (fd, temporary) }
      code = errno
      if code != EEXIST { break }
    }
    throw Failure(path: temporary, operation: "create", code: code)
  }

  /// `count` hex digits from the system's random source.
  package static func randomHex(_ count: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    var text = ""
    while text.count < count {
      let word = String(generator.next() as UInt64, radix: 16)
      text += String(repeating: "0", count: 16 - word.count) + word
    }
    return String(text.prefix(count))
  }

  /// Why `readSmallRegularFile` refused a file.
  package enum SmallFileRefusal: Error, CustomStringConvertible {
    case cannotOpen(path: String, code: Int32)
    case notRegular(path: String, kind: String)
    case tooLarge(path: String, size: Int, limit: Int)

    package var description: String {
      switch self {
      case .cannotOpen(let path, let code): return "open \(path): \(String(cString: strerror(code)))"
      case .notRegular(let path, let kind): return "\(path) is a \(kind), not a regular file"
      case .tooLarge(let path, let size, let limit): return "\(path) has \(size) bytes, more than \(limit)"
      }
    }
  }

  /// Reads a small file from a directory others may write: opened with
  /// `O_NOFOLLOW | O_NONBLOCK` (a symlink is refused, a FIFO never blocks),
  /// checked to be a regular file with `fstat` on the open descriptor (no
  /// race between check and use), and refused without reading when it is
  /// larger than `limit` bytes (a sparse 2 GB file costs nothing). At most
  /// `limit` bytes are read even if the file grows meanwhile.
  package static func readSmallRegularFile(_ path: String, limit: Int) throws(SmallFileRefusal) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else {
      let code = errno
      if code == ELOOP { throw .notRegular(path: path, kind: "symlink") }
      throw .cannotOpen(path: path, code: code)
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw .cannotOpen(path: path, code: errno) }
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw .notRegular(path: path, kind: kind(ofMode: info.st_mode))
    }
    guard Int(info.st_size) <= limit else {
      throw .tooLarge(path: path, size: Int(info.st_size), limit: limit)
    }
    var bytes = [UInt8](repeating: 0, count: limit + 1)
    var filled = 0
    while filled <= limit {
      let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, limit + 1 - filled) }
      if n < 0 {
        if errno == EINTR { continue }
        throw .cannotOpen(path: path, code: errno)
      }
      if n == 0 { break }
      filled += n
    }
    guard filled <= limit else { throw .tooLarge(path: path, size: filled, limit: limit) }
    return Array(bytes[..<filled])
  }

  /// Moves a regular file, copying when source and target are on different
  /// file systems (the spool and the state directory are separate bind
  /// mounts under systemd). An existing target name gets a numbered suffix,
  /// never replaced.
  ///
  /// The copy reads through a descriptor opened without following symlinks
  /// and checked to be a regular file, in fixed-size pieces: a producer's
  /// symlink to a secret is never followed, a FIFO never blocks or fails the
  /// copy, and a large or sparse file costs no more memory than a small one.
  /// Anything but a regular file is refused with `ENOTSUP`, and the caller
  /// removes it instead (see `removeEntry`).
  @discardableResult
  package static func move(_ source: String, intoDirectory directory: String, name: String) throws(Failure)
    -> String
  {
    try makeDirectory(directory)
    let name = RejectedName.fitting(name)
    var target = directory + "/" + name
    var attempt = 1
    while access(target, F_OK) == 0 {
      attempt += 1
      target = directory + "/" + name + ".\(attempt)"
    }
    var info = stat()
    guard lstat(source, &info) == 0 else { throw Failure(path: source, operation: "inspect", code: errno) }
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw Failure(path: source, operation: "move (not a regular file) to \(target):", code: ENOTSUP)
    }
    if rename(source, target) == 0 { return target }
    guard errno == EXDEV else { throw Failure(path: source, operation: "move to \(target):", code: errno) }
    try copyRegularFile(source, to: target)
    guard unlink(source) == 0 else {
      let code = errno
      unlink(target)
      throw Failure(path: source, operation: "remove after copy", code: code)
    }
    return target
  }

  /// Copies a regular file without following a symlink at `source`, through
  /// a temporary name, fsync and rename, 64 KiB at a time.
  static func copyRegularFile(_ source: String, to target: String) throws(Failure) {
    let input = open(source, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
    guard input >= 0 else { throw Failure(path: source, operation: "open for copy", code: errno) }
    defer { close(input) }
    var info = stat()
    guard fstat(input, &info) == 0 else { throw Failure(path: source, operation: "inspect", code: errno) }
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw Failure(path: source, operation: "copy (not a regular file)", code: ENOTSUP)
    }
    let (output, temporary) = try createTemporary(besides: target)
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    func fail(_ path: String, _ operation: String, _ code: Int32) -> Failure {
      close(output)
      unlink(temporary)
      return Failure(path: path, operation: operation, code: code)
    }
    while true {
      let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR || errno == EAGAIN { continue }
        throw fail(source, "read for copy", errno)
      }
      if n == 0 { break }
      var written = 0
      while written < n {
        let m = buffer[written..<n].withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
        if m < 0 {
          if errno == EINTR { continue }
          throw fail(temporary, "write", errno)
        }
        written += m
      }
    }
    if fsync(output) != 0 { throw fail(temporary, "fsync", errno) }
    close(output)
    guard rename(temporary, target) == 0 else {
      let code = errno
      unlink(temporary)
      throw Failure(path: target, operation: "rename into place", code: code)
    }
  }

  /// Removes a directory entry that is not a regular file (a symlink, FIFO,
  /// socket or device node a producer left in the spool): it is never
  /// followed, opened or copied. Returns what it was, with a symlink's
  /// target, for the refusal note.
  package static func removeEntry(_ path: String) throws(Failure) -> String {
    var info = stat()
    guard lstat(path, &info) == 0 else { throw Failure(path: path, operation: "inspect", code: errno) }
    var what = kind(ofMode: info.st_mode)
    if info.st_mode & S_IFMT == S_IFLNK {
      var target = [CChar](repeating: 0, count: 4097)
      let n = readlink(path, &target, 4096)
      if n >= 0 {
        let bytes = target[..<n].map { UInt8(bitPattern: $0) }
        what += " to " + LogText.escaped(String(decoding: bytes, as: UTF8.self))
      }
    }
    guard unlink(path) == 0 else { throw Failure(path: path, operation: "remove", code: errno) }
    return what
  }

  /// What a file's mode says it is, for messages.
  package static func kind(ofMode mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFLNK: return "symlink"
    case S_IFIFO: return "FIFO"
    case S_IFCHR: return "character device"
    case S_IFBLK: return "block device"
    case S_IFSOCK: return "socket"
    case S_IFDIR: return "directory"
    default: return "regular file"
    }
  }

  /// The last path component.
  package static func baseName(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
  }
}

extension FileSystem {
  /// The directory part of a path: "." for a bare name, "/" for a name
  /// at the root.
  package static func directoryName(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }
}
