import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Small POSIX helpers with errors that name the path.
public enum FileSystem {
  public struct Failure: Error, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var code: Int32
    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
  }

  /// Creates a directory and its parents with the given mode if missing.
  public static func makeDirectory(_ path: String, mode: mode_t = 0o750) throws(Failure) {
    var partial = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
      partial += "/" + component
      if mkdir(partial, mode) != 0 && errno != EEXIST {
        throw Failure(path: partial, operation: "create directory", code: errno)
      }
    }
  }

  /// Writes a file atomically: a temporary name beside it, fsync, rename.
  public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o640) throws(Failure) {
    let temporary = path + ".tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw Failure(path: temporary, operation: "create", code: errno) }
    var written = 0
    while written < bytes.count {
      let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        let code = errno
        close(fd)
        unlink(temporary)
        throw Failure(path: temporary, operation: "write", code: code)
      }
      written += n
    }
    if fsync(fd) != 0 {
      let code = errno
      close(fd)
      unlink(temporary)
      throw Failure(path: temporary, operation: "fsync", code: code)
    }
    close(fd)
    guard rename(temporary, path) == 0 else {
      let code = errno
      unlink(temporary)
      throw Failure(path: path, operation: "rename into place", code: code)
    }
  }

  /// Moves a file, copying when source and target are on different file
  /// systems. An existing target name gets a numbered suffix, never replaced.
  @discardableResult
  public static func move(_ source: String, intoDirectory directory: String, name: String) throws(Failure)
    -> String
  {
    try makeDirectory(directory)
    var target = directory + "/" + name
    var attempt = 1
    while access(target, F_OK) == 0 {
      attempt += 1
      target = directory + "/" + name + ".\(attempt)"
    }
    if rename(source, target) == 0 { return target }
    guard errno == EXDEV else { throw Failure(path: source, operation: "move to \(target):", code: errno) }
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: source)) } catch {
      throw Failure(path: source, operation: "read for copy", code: EIO)
    }
    try writeAtomically(target, [UInt8](data))
    guard unlink(source) == 0 else {
      throw Failure(path: source, operation: "remove after copy", code: errno)
    }
    return target
  }

  /// The last path component.
  public static func baseName(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
  }
}
