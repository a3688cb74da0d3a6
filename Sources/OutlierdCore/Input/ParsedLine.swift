import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One line, as the parser sees it: the name as a range of the line's bytes,
/// so a caller that knows the series already needs no String for it.
package enum ParsedLine: Sendable, Hashable {
  /// Empty, blanks only, or a `#` comment.
  case blank
  case sample(name: Range<Int>, value: Double, timestamp: Double)
  case rejected(LineRejection)
}
