/// Cuts one connection's byte stream into lines for the relay, which copies
/// them into spool files for the daemon to parse.
///
/// Contract:
/// - A line ends at LF; one CR before it is kept out, as SampleFile does. A
///   line is passed on whole or not at all, terminated by LF, so lines of
///   different connections never mix within one spool line.
/// - A line longer than `maxLineLength` bytes, or holding a NUL byte, is
///   dropped and counted (`dropped`): the daemon would refuse the first as a
///   line and the second as a whole file, with every other producer's lines
///   in it. Memory stays within `maxLineLength` per connection.
/// - Blank lines are skipped.
package struct StreamLines: Sendable {
  package let maxLineLength: Int
  /// The unfinished line so far.
  private var partial: [UInt8] = []
  /// Inside a line being dropped, until its LF.
  private var dropping = false
  /// Lines dropped so far.
  package private(set) var dropped = 0

  package init(maxLineLength: Int) {
    self.maxLineLength = maxLineLength
  }

  /// Takes the next bytes of the stream; appends each complete line, with
  /// its LF, to `out`.
  mutating func feed(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
    var start = 0
    while start < bytes.count {
      guard let newline = SampleFile.offset(of: 0x0A, in: bytes, from: start) else {
        take(UnsafeRawBufferPointer(rebasing: bytes[start...]))
        return
      }
      take(UnsafeRawBufferPointer(rebasing: bytes[start..<newline]))
      endLine(into: &out)
      start = newline + 1
    }
  }

  /// The stream ended: an unfinished last line is still a line.
  package mutating func finish(into out: inout [UInt8]) {
    if !partial.isEmpty || dropping { endLine(into: &out) }
  }

  /// The stream was cut by the reader, not ended by the sender: an
  /// unfinished line is a piece of one, dropped and counted.
  package mutating func dropUnfinished() {
    if !partial.isEmpty || dropping { dropped += 1 }
    partial.removeAll(keepingCapacity: true)
    dropping = false
  }

  private mutating func take(_ piece: UnsafeRawBufferPointer) {
    guard !dropping else { return }
    // One CR may still come off the end: allow for it.
    if partial.count + piece.count > maxLineLength + 1 || piece.contains(0) {
      dropping = true
      partial.removeAll(keepingCapacity: true)
      return
    }
    partial.append(contentsOf: piece)
  }

  private mutating func endLine(into out: inout [UInt8]) {
    defer {
      partial.removeAll(keepingCapacity: true)
      dropping = false
    }
    if dropping {
      dropped += 1
      return
    }
    if partial.last == 0x0D { partial.removeLast() }
    guard partial.count <= maxLineLength else {
      dropped += 1
      return
    }
    guard partial.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return }
    out.append(contentsOf: partial)
    out.append(0x0A)
  }
}
