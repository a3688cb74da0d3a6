import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A spool file opened for reading: regular files only, never through a
/// symlink, checked with fstat after open so nothing can be swapped in
/// between the check and the read.
package struct SpoolFile {
  package var path: String
  package var bytes: [UInt8]
  package var device: UInt64
  package var inode: UInt64
  /// Size and modification time when it was read: a file that differs
  /// afterwards was written to after outlierd read it.
  package var size: Int
  package var modified: Double

  package enum Refusal: Error, CustomStringConvertible {
    /// Not a regular file: a symlink, FIFO, device, socket.
    case notRegular(kind: String)
    /// Neither ours nor in the spool's group: not from a producer.
    case foreignOwner(uid: UInt32, gid: UInt32)
    case tooLarge(size: Int, limit: Int)
    case notText(SampleFile.Rejection)
    /// outlierd may not read it: the producer created it without group
    /// read permission (umask 077).
    case unreadable(mode: mode_t, uid: UInt32)

    package var description: String {
      switch self {
      case .notRegular(let kind): return "not a regular file (\(kind)); only regular files are read"
      case .foreignOwner(let uid, let gid):
        return
          "owned by uid \(uid), gid \(gid): neither outlierd's nor in the spool directory's group (the producers')"
      case .tooLarge(let size, let limit):
        return "file is \(size) bytes, over input.max_file_size (\(limit))"
      case .notText(let rejection): return rejection.description
      case .unreadable(let mode, let uid):
        return
          "not readable by outlierd (mode \(String(mode & 0o7777, radix: 8)), owner uid \(uid)); producers must create spool files group-readable (umask 027 or 007)"
      }
    }
  }

  /// Why a spool entry could not be read at all (it vanished, permissions):
  /// the file stays where it is and is tried again later.
  package struct ReadFailure: Error, CustomStringConvertible {
    package var path: String
    package var code: Int32
    package var vanished: Bool { code == ENOENT }
    package var description: String { "cannot read \(path): \(String(cString: strerror(code)))" }
  }

  /// Opens and reads a spool file.
  /// - Parameter producersGroup: when set, a file must belong to this
  ///   process's user or to this group (the spool directory's, which its
  ///   setgid bit gives every file written in it).
  package static func load(_ path: String, maxSize: Int, producersGroup: gid_t? = nil) throws -> SpoolFile {
    let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
    if fd < 0 {
      let code = errno
      if code == ELOOP { throw Refusal.notRegular(kind: "symlink") }
      var info = stat()
      if code == EACCES && lstat(path, &info) == 0 {
        throw Refusal.unreadable(mode: info.st_mode, uid: info.st_uid)
      }
      throw ReadFailure(path: path, code: code)
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw ReadFailure(path: path, code: errno) }
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw Refusal.notRegular(kind: FileSystem.kind(ofMode: info.st_mode))
    }
    if let producersGroup, info.st_uid != getuid() && info.st_gid != producersGroup {
      throw Refusal.foreignOwner(uid: info.st_uid, gid: info.st_gid)
    }
    let size = Int(info.st_size)
    guard size <= maxSize else { throw Refusal.tooLarge(size: size, limit: maxSize) }
    // Read to end of file, not to st_size: a file still growing is read as
    // it is now, and one that grows past the limit is refused.
    // One byte more than the file: the read that finds the end then needs
    // no room of its own, so the buffer never grows for a file that does not.
    var bytes = [UInt8](repeating: 0, count: max(size + 1, 4096))
    var filled = 0
    while true {
      if filled == bytes.count {
        guard bytes.count <= maxSize else { throw Refusal.tooLarge(size: bytes.count, limit: maxSize) }
        bytes.append(contentsOf: repeatElement(0, count: bytes.count))
      }
      // Through the whole array's buffer: `bytes[filled...]` as a mutable
      // slice copied the rest of the buffer out and back for every read.
      let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
      if n < 0 {
        if errno == EINTR || errno == EAGAIN { continue }
        throw ReadFailure(path: path, code: errno)
      }
      if n == 0 { break }
      filled += n
    }
    guard filled <= maxSize else { throw Refusal.tooLarge(size: filled, limit: maxSize) }
    bytes.removeSubrange(filled...)
    if let rejection = bytes.withUnsafeBytes({ SampleFile.check($0) }) { throw Refusal.notText(rejection) }
    return SpoolFile(
      path: path, bytes: bytes, device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: filled,
      modified: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
  }
}
