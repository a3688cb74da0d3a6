/// What the relay received and has not yet written: whole lines, cut into
/// the spool files they will become, each at most `maxFileSize` bytes, so
/// that nothing kept while the spool could not be written becomes one file
/// the daemon would refuse whole.
struct RelayBacklog {
  let maxFileSize: Int
  /// Files to write, oldest first; only the last one still grows.
  private var files: [(bytes: [UInt8], lines: Int)] = []
  /// Bytes and lines held in all files.
  private(set) var bytes = 0
  private(set) var lines = 0

  init(maxFileSize: Int) {
    self.maxFileSize = maxFileSize
  }

  var isEmpty: Bool { files.isEmpty }

  /// The oldest file, with its count of lines.
  var first: (bytes: [UInt8], lines: Int)? { files.first }

  mutating func removeFirst() {
    let removed = files.removeFirst()
    bytes -= removed.bytes.count
    lines -= removed.lines
  }

  /// Takes whole lines, each ending in LF; returns how many were dropped
  /// because one alone is longer than a file may be.
  mutating func append(_ received: [UInt8]) -> Int {
    guard !received.isEmpty else { return 0 }
    let count = received.lazy.filter { $0 == 0x0A }.count
    if let last = files.last, last.bytes.count + received.count <= maxFileSize {
      files[files.count - 1].bytes += received
      files[files.count - 1].lines += count
      bytes += received.count
      lines += count
      return 0
    }
    // Line by line: each goes into the last file while it fits.
    var dropped = 0
    var start = 0
    for end in received.indices where received[end] == 0x0A {
      let line = received[start...end]
      start = end + 1
      guard line.count <= maxFileSize else {
        dropped += 1
        continue
      }
      if files.isEmpty || files[files.count - 1].bytes.count + line.count > maxFileSize {
        files.append(([], 0))
        files[files.count - 1].bytes.reserveCapacity(min(maxFileSize, 1 << 20))
      }
      files[files.count - 1].bytes += line
      files[files.count - 1].lines += 1
      bytes += line.count
      lines += 1
    }
    return dropped
  }
}
