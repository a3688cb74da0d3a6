import CLinux
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Finds the files waiting in the spool: inotify says when a file was
/// renamed in or closed after writing; a full scan at start and every
/// rescan interval makes sure a missed event never strands a file.
package final class SpoolWatcher {
  package let directory: String
  package let inotifyDescriptor: Int32
  /// Names renamed into the spool since the last scan: complete by the
  /// producers' contract (write, then rename).
  private var announced: Set<String> = []
  /// Only write-then-rename is supported. A file that appeared any other
  /// way (written in place, or found by a scan) is taken once it has not
  /// changed for this long; a close-after-write event only wakes the scan,
  /// since a writer may open the file again.
  package var settleTime: Double = 1
  /// A file written in place whose last line has no newline yet is held
  /// until it has not changed for this long: its writer has probably only
  /// paused, and taking it would reject half a line and delete the file
  /// under the writer's feet.
  package var unfinishedLineSettleTime: Double = 60

  package struct Candidate: Hashable {
    package var path: String
    package var name: String
    package var modified: Double
  }

  /// The watch and the directory it is on (device, inode): a spool
  /// directory removed and created again is a new inode that the old watch
  /// does not see, so each scan compares and watches the new one.
  private var watch: Int32 = -1
  private var watched: (device: UInt64, inode: UInt64) = (0, 0)

  package init(directory: String) throws {
    self.directory = directory
    inotifyDescriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
    guard inotifyDescriptor >= 0 else {
      throw FileSystem.Failure(path: directory, operation: "inotify_init1 for", code: errno)
    }
    do {
      try rewatchIfReplaced()
    } catch {
      close(inotifyDescriptor)
      throw error
    }
  }

  /// Watches the directory now at `directory` if it is not the one watched.
  /// Returns whether a new watch was added (after the first).
  @discardableResult
  func rewatchIfReplaced() throws(FileSystem.Failure) -> Bool {
    var info = stat()
    guard stat(directory, &info) == 0 else {
      throw FileSystem.Failure(path: directory, operation: "read directory", code: errno)
    }
    let identity = (UInt64(info.st_dev), UInt64(info.st_ino))
    guard watch < 0 || watchLost || identity != watched else { return false }
    watchLost = false
    let first = watch < 0
    if !first { inotify_rm_watch(inotifyDescriptor, watch) }
    let mask = UInt32(IN_MOVED_TO | IN_CLOSE_WRITE)
    watch = inotify_add_watch(inotifyDescriptor, directory, mask)
    guard watch >= 0 else { throw FileSystem.Failure(path: directory, operation: "watch", code: errno) }
    watched = identity
    rewatched = !first
    return !first
  }

  /// Set when the kernel dropped the watch (IN_IGNORED: the directory was
  /// removed). Its successor may reuse the inode number, so the identity
  /// alone cannot tell.
  private var watchLost = false

  /// Set when a scan found the spool directory replaced and watched the
  /// new one; cleared by `takeRewatched`.
  private var rewatched = false

  package func takeRewatched() -> Bool {
    defer { rewatched = false }
    return rewatched
  }

  deinit { close(inotifyDescriptor) }

  /// Producers write under a name starting with "." or ending in ".tmp" and
  /// rename it into place; such names are never read.
  package static func isIgnored(_ name: String) -> Bool {
    name.hasPrefix(".") || name.hasSuffix(".tmp")
  }

  /// Reads pending inotify events; returns whether any named a file.
  @discardableResult
  package func drainEvents() -> Bool {
    var any = false
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      let n = buffer.withUnsafeMutableBytes { read(inotifyDescriptor, $0.baseAddress, $0.count) }
      if n <= 0 { break }
      var offset = 0
      let headerSize = MemoryLayout<inotify_event>.size
      while offset + headerSize <= n {
        let (length, mask, wd) = buffer.withUnsafeBytes { raw -> (Int, UInt32, Int32) in
          let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
          return (Int(event.len), event.mask, event.wd)
        }
        if mask & UInt32(IN_IGNORED) != 0 && wd == watch { watchLost = true }
        if length > 0 && mask & UInt32(IN_Q_OVERFLOW) == 0 {
          let nameBytes = buffer[(offset + headerSize)..<(offset + headerSize + length)]
          let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
          if !Self.isIgnored(name) && mask & UInt32(IN_MOVED_TO) != 0 { announced.insert(name) }
        }
        any = true
        offset += headerSize + length
      }
    }
    return any
  }

  /// The spool's files, oldest first (by modification time, then name),
  /// and whether some were held back to settle.
  package func scan(now: Double = Date().timeIntervalSince1970) throws -> (ready: [Candidate], settling: Bool)
  {
    try rewatchIfReplaced()
    guard let dir = opendir(directory) else {
      throw FileSystem.Failure(path: directory, operation: "read directory", code: errno)
    }
    defer { closedir(dir) }
    var found: [(candidate: Candidate, settling: Bool)] = []
    var seen: Set<String> = []
    while let entry = readdir(dir) {
      let raw = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
      guard let name = String(validating: raw, as: UTF8.self) else {
        renameToUTF8(raw)
        continue
      }
      if Self.isIgnored(name) { continue }
      let path = directory + "/" + name
      var info = stat()
      guard lstat(path, &info) == 0 else { continue }
      if info.st_mode & S_IFMT == S_IFDIR { continue }
      seen.insert(name)
      let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
      var settling = false
      if info.st_mode & S_IFMT == S_IFREG && !announced.contains(name) {
        let age = now - modified
        settling =
          age < settleTime
          || (age < unfinishedLineSettleTime && Self.lastLineIsUnfinished(path, size: Int(info.st_size)))
      }
      found.append((Candidate(path: path, name: name, modified: modified), settling))
    }
    announced.formIntersection(seen)
    found.sort { ($0.candidate.modified, $0.candidate.name) < ($1.candidate.modified, $1.candidate.name) }
    // Oldest first holds even across the settling pause: a newer file that
    // was announced waits behind an older one that is still settling.
    let ready = found.prefix { !$0.settling }.map(\.candidate)
    return (ready, ready.count < found.count)
  }

  package func forget(_ name: String) { announced.remove(name) }

  /// Whether a non-empty file's last byte is not a newline.
  static func lastLineIsUnfinished(_ path: String, size: Int) -> Bool {
    guard size > 0 else { return false }
    let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var last: UInt8 = 0
    return pread(fd, &last, 1, off_t(size - 1)) == 1 && last != 0x0A
  }

  /// Names that were not UTF-8, renamed since the last call: (the name as
  /// it was, with its bad bytes as `%XX`, and the new name or the error).
  package private(set) var renamed: [(from: String, result: Result<String, FileSystem.Failure>)] = []

  package func takeRenamed() -> [(from: String, result: Result<String, FileSystem.Failure>)] {
    defer { renamed.removeAll() }
    return renamed
  }

  /// A name that is not UTF-8 cannot be named in a String, a log line or
  /// the ledger; it is renamed in place to its bytes with every byte
  /// outside printable ASCII as `%XX`, and the next scan takes it as any
  /// other file. (Skipping it would leave it in the spool forever, unseen.)
  private func renameToUTF8(_ raw: [UInt8]) {
    var encoded = ""
    for byte in raw {
      if byte >= 0x21 && byte < 0x7F && byte != UInt8(ascii: "%") {
        encoded.unicodeScalars.append(Unicode.Scalar(byte))
      } else {
        encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
      }
    }
    let newName = RejectedName.fitting(encoded)
    var source = Array((directory + "/").utf8) + raw
    source.append(0)
    var target = directory + "/" + newName
    var attempt = 1
    while access(target, F_OK) == 0 {
      attempt += 1
      target = directory + "/" + newName + ".\(attempt)"
    }
    let done = source.withUnsafeBufferPointer { pointer in
      pointer.withMemoryRebound(to: CChar.self) { rename($0.baseAddress!, target) }
    }
    renamed.append(
      (
        encoded,
        done == 0
          ? .success(FileSystem.baseName(target))
          : .failure(FileSystem.Failure(path: directory + "/" + encoded, operation: "rename", code: errno))
      ))
  }
}
