#if canImport(Glibc)
  import Glibc
#endif

/// The database file as its one writer holds it: checked before SQLite
/// opens it, locked by its inode, and watched for being deleted or replaced
/// while the writer runs.
///
/// The lock is an exclusive `flock` on the database file itself, so every
/// path that reaches the same file (a symlink, a hard link, `..`) meets the
/// same lock; SQLite's own locks are POSIX record locks, which on Linux are
/// independent of `flock`. The writer's pid goes into `REALPATH.lock`
/// beside the file, for the message a second writer prints.
package final class DatabaseFile {
  /// The configured path.
  package let path: String
  private let descriptor: Int32
  private let device: UInt64
  private let inode: UInt64

  /// Why the database cannot be used; each says what to do.
  package enum Problem: Error, CustomStringConvertible {
    case notRegular(path: String, kind: String)
    case empty(path: String)
    case notWritable(path: String, reason: String)
    case held(path: String, holder: String)
    case replaced(path: String, detail: String)
    case failure(FileSystem.Failure)

    package var description: String {
      switch self {
      case .notRegular(let path, let kind):
        return "\(path) is a \(kind), not a database file; point [storage] database at a regular file"
      case .empty(let path):
        return
          "\(path) is an empty file where a database was expected (truncated?); restore it from a backup, or remove it to start over with no history"
      case .notWritable(let path, let reason):
        return
          "\(path): \(reason); outlierd must be able to write the database and create its -wal and -shm files beside it (check the owner and mode: the service runs as user outlierd)"
      case .held(let path, let holder):
        return
          "another outlierd (\(holder)) is already using this database (\(path)); stop it first or use another [storage] database"
      case .replaced(let path, let detail):
        return
          "\(path) \(detail) while outlierd was running; stopping so that no file is applied to a database that is no longer there. Files stay in the spool; restart outlierd once the database is where it belongs"
      case .failure(let failure): return failure.description
      }
    }
  }

  /// Checks the file, creates it if missing (see `create`; its directory's
  /// permissions checked first), and takes the writer's lock.
  ///
  /// Refused: a path that is not a regular file (a FIFO would hang SQLite),
  /// an existing empty file (SQLite would silently start a new database
  /// over the lost history), a file or directory outlierd cannot write, and
  /// a file another writer holds.
  package init(path: String) throws(Problem) {
    self.path = path
    var info = stat()
    let directory = FileSystem.directoryName(path)
    if access(directory, W_OK | X_OK) != 0 {
      throw .notWritable(path: directory, reason: "directory: " + String(cString: strerror(errno)))
    }
    if stat(path, &info) != 0 && errno == ENOENT { try Self.create(path) }
    if stat(path, &info) == 0 {
      guard info.st_mode & S_IFMT == S_IFREG else {
        throw .notRegular(path: path, kind: FileSystem.kind(ofMode: info.st_mode))
      }
      guard info.st_size > 0 else { throw .empty(path: path) }
      if access(path, R_OK | W_OK) != 0 {
        throw .notWritable(path: path, reason: String(cString: strerror(errno)))
      }
    } else {
      throw .failure(FileSystem.Failure(path: path, operation: "inspect", code: errno))
    }
    let fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else {
      throw errno == EACCES || errno == EROFS || errno == EPERM
        ? .notWritable(path: path, reason: String(cString: strerror(errno)))
        : .failure(FileSystem.Failure(path: path, operation: "open", code: errno))
    }
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
      close(fd)
      throw .notRegular(path: path, kind: FileSystem.kind(ofMode: info.st_mode))
    }
    let pidPath = Self.pidPath(path)
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      close(fd)
      throw .held(path: path, holder: Self.holder(pidPath))
    }
    descriptor = fd
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
    let pid = Array("\(getpid())\n".utf8)
    let pidFile = open(pidPath, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o640)
    if pidFile >= 0 {
      _ = write(pidFile, pid, pid.count)
      close(pidFile)
    }
  }

  deinit { close(descriptor) }

  /// Makes a new, empty database at `path` that is never seen empty: it is
  /// made under `PATH.creating` (16 KiB pages, WAL: `Store`'s layout, which
  /// a database takes at creation and keeps), synced, then linked into
  /// place, which fails harmlessly if another process got there first.
  /// Killed at any instant, it leaves either no database or a valid one
  /// (and perhaps a `.creating` file, removed by the next attempt): an
  /// empty file at `path` is therefore never outlierd's own doing, and is
  /// refused.
  static func create(_ path: String) throws(Problem) {
    let temporary = path + ".creating"
    for suffix in ["", "-wal", "-shm"] { unlink(temporary + suffix) }
    do {
      let db = try SQLiteDatabase(path: temporary)
      try db.execute(Store.creationPragmas)
    } catch {
      throw .failure(FileSystem.Failure(path: temporary, operation: "create database", code: EIO))
    }
    let fd = open(temporary, O_RDONLY | O_CLOEXEC)
    if fd >= 0 {
      fsync(fd)
      close(fd)
    }
    if link(temporary, path) != 0 && errno != EEXIST {
      let code = errno
      unlink(temporary)
      throw .failure(FileSystem.Failure(path: path, operation: "create", code: code))
    }
    for suffix in ["", "-wal", "-shm"] { unlink(temporary + suffix) }
    let directory = open(FileSystem.directoryName(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directory >= 0 {
      fsync(directory)
      close(directory)
    }
  }

  /// Throws `replaced` when the configured path no longer names the file
  /// that was opened: deleted, renamed away, or another file put in its
  /// place. Called before each batch: a batch applied to an unlinked file
  /// would be committed into nothing, and its spool files deleted.
  package func checkUnchanged() throws(Problem) {
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw .replaced(path: path, detail: errno == ENOENT ? "was deleted" : "became unreadable")
    }
    guard UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode else {
      throw .replaced(path: path, detail: "was replaced by another file")
    }
  }

  /// Where the writer's pid is written: beside the file the path resolves to.
  static func pidPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path + ".lock" }
    defer { free(resolved) }
    return String(cString: resolved) + ".lock"
  }

  static func holder(_ pidPath: String) -> String {
    let fd = open(pidPath, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { return "unknown pid" }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 32)
    let n = read(fd, &buffer, 32)
    guard n > 0 else { return "unknown pid" }
    return "pid " + String(decoding: buffer[..<n], as: UTF8.self).trimmingNewlines()
  }
}
