import CLinux
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Finds the files waiting in the spool: inotify says when a file was
/// renamed in or closed after writing; a full scan at start and every
/// rescan interval makes sure a missed event never strands a file.
public final class SpoolWatcher {
  public let directory: String
  public let inotifyDescriptor: Int32
  /// Names that an event reported as complete since the last scan.
  private var announced: Set<String> = []
  /// A file found by a scan alone is taken once it has not changed for this
  /// long: a producer that writes in place without renaming gets its
  /// close-after-write event first anyway.
  public var settleTime: Double = 1

  public struct Candidate: Hashable {
    public var path: String
    public var name: String
    public var modified: Double
  }

  public init(directory: String) throws {
    self.directory = directory
    inotifyDescriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
    guard inotifyDescriptor >= 0 else {
      throw FileSystem.Failure(path: directory, operation: "inotify_init1 for", code: errno)
    }
    let mask = UInt32(IN_MOVED_TO | IN_CLOSE_WRITE)
    guard inotify_add_watch(inotifyDescriptor, directory, mask) >= 0 else {
      let code = errno
      close(inotifyDescriptor)
      throw FileSystem.Failure(path: directory, operation: "watch", code: code)
    }
  }

  deinit { close(inotifyDescriptor) }

  /// Producers write under a name starting with "." or ending in ".tmp" and
  /// rename it into place; such names are never read.
  public static func isIgnored(_ name: String) -> Bool {
    name.hasPrefix(".") || name.hasSuffix(".tmp")
  }

  /// Reads pending inotify events; returns whether any named a file.
  @discardableResult
  public func drainEvents() -> Bool {
    var any = false
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      let n = buffer.withUnsafeMutableBytes { read(inotifyDescriptor, $0.baseAddress, $0.count) }
      if n <= 0 { break }
      var offset = 0
      let headerSize = MemoryLayout<inotify_event>.size
      while offset + headerSize <= n {
        let (length, mask) = buffer.withUnsafeBytes { raw -> (Int, UInt32) in
          let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
          return (Int(event.len), event.mask)
        }
        if length > 0 && mask & UInt32(IN_Q_OVERFLOW) == 0 {
          let nameBytes = buffer[(offset + headerSize)..<(offset + headerSize + length)]
          let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
          if !Self.isIgnored(name) { announced.insert(name) }
        }
        any = true
        offset += headerSize + length
      }
    }
    return any
  }

  /// The spool's files, oldest first (by modification time, then name),
  /// and whether some were held back to settle.
  public func scan(now: Double = Date().timeIntervalSince1970) throws -> (ready: [Candidate], settling: Bool)
  {
    guard let dir = opendir(directory) else {
      throw FileSystem.Failure(path: directory, operation: "read directory", code: errno)
    }
    defer { closedir(dir) }
    var found: [(candidate: Candidate, settling: Bool)] = []
    var seen: Set<String> = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if Self.isIgnored(name) { continue }
      let path = directory + "/" + name
      var info = stat()
      guard lstat(path, &info) == 0 else { continue }
      if info.st_mode & S_IFMT == S_IFDIR { continue }
      seen.insert(name)
      let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
      let settling =
        info.st_mode & S_IFMT == S_IFREG && !announced.contains(name) && now - modified < settleTime
      found.append((Candidate(path: path, name: name, modified: modified), settling))
    }
    announced.formIntersection(seen)
    found.sort { ($0.candidate.modified, $0.candidate.name) < ($1.candidate.modified, $1.candidate.name) }
    // Oldest first holds even across the settling pause: a newer file that
    // was announced waits behind an older one that is still settling.
    let ready = found.prefix { !$0.settling }.map(\.candidate)
    return (ready, ready.count < found.count)
  }

  public func forget(_ name: String) { announced.remove(name) }
}
