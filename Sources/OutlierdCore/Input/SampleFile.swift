#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The lines of one spool file, with the whole-file checks that come
/// before any line is read: a file with NUL bytes is not text.
package struct SampleFile: Sendable {
  package enum Rejection: Error, Sendable, Hashable, CustomStringConvertible {
    case notText(nulAt: Int)

    package var description: String {
      switch self {
      case .notText(let offset): return "file is not text (NUL byte at offset \(offset))"
      }
    }
  }

  /// Calls `body` with each line's number (from 1) and bytes, without the
  /// terminator; LF and CRLF both end a line, a UTF-8 byte-order mark at the
  /// start is skipped, and a last line without a newline is still a line.
  static func forEachLine(
    in bytes: UnsafeRawBufferPointer, _ body: (Int, UnsafeRawBufferPointer) throws -> Void
  ) rethrows {
    var start = 0
    if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { start = 3 }
    var lineNumber = 0
    while start < bytes.count {
      lineNumber += 1
      let newline = offset(of: 0x0A, in: bytes, from: start) ?? bytes.count
      var end = newline
      if end > start && bytes[end - 1] == 0x0D { end -= 1 }
      try body(lineNumber, UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
      start = newline + 1
    }
  }

  static func check(_ bytes: UnsafeRawBufferPointer) -> Rejection? {
    if let nul = offset(of: 0, in: bytes, from: 0) { return .notText(nulAt: nul) }
    return nil
  }

  /// The first `byte` at or after `start`, by memchr (vectorised).
  @inline(__always)
  static func offset(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
    guard start < bytes.count, let base = bytes.baseAddress,
      let found = memchr(base + start, Int32(byte), bytes.count - start)
    else { return nil }
    return base.distance(to: UnsafeRawPointer(found))
  }
}
