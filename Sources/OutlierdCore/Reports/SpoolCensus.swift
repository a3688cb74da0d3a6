#if canImport(Glibc)
  import Glibc
#endif

/// What waits in the spool directory, for `status`: the files outlierd
/// will take, and those it cannot read.
package struct SpoolCensus: Sendable {
  /// Files that wait to be applied (names outlierd does not ignore).
  package var waiting = 0
  /// Regular files outlierd cannot read: no group read permission, and
  /// not owned by the spool directory's owner (the daemon's user).
  package var unreadable: [String] = []
  /// The modification time of the oldest waiting file.
  package var oldestWaiting: Double?

  /// Counts the spool's entries; nil when the directory cannot be read
  /// (missing, or not this user's to read).
  package static func take(directory: String) -> SpoolCensus? {
    var spool = stat()
    guard stat(directory, &spool) == 0, let dir = opendir(directory) else { return nil }
    defer { closedir(dir) }
    var census = SpoolCensus()
    while let entry = readdir(dir) {
      let raw = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
      let name = String(decoding: raw, as: UTF8.self)
      if name == "." || name == ".." || SpoolWatcher.isIgnored(name) { continue }
      var info = stat()
      guard lstat(directory + "/" + name, &info) == 0, info.st_mode & S_IFMT != S_IFDIR else { continue }
      census.waiting += 1
      let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
      census.oldestWaiting = min(census.oldestWaiting ?? modified, modified)
      if info.st_mode & S_IFMT == S_IFREG && info.st_mode & S_IRGRP == 0 && info.st_uid != spool.st_uid {
        census.unreadable.append(LogText.escaped(name))
      }
    }
    census.unreadable.sort()
    return census
  }
}
