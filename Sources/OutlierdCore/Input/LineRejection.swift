import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Why a line could not be read as a sample. The description is what the
/// rejected/ file and the `rejections` table say.
package enum LineRejection: Error, Sendable, Hashable, CustomStringConvertible {
  case fieldCount(Int)
  case lineTooLong(length: Int, limit: Int)
  case seriesTooLong(length: Int, limit: Int)
  case badSeriesByte(UInt8, position: Int)
  case badNumber(field: String, text: String)
  case notFinite(field: String, text: String)
  /// A value whose magnitude is outside `GraphiteLineParser.valueMagnitudes`
  /// (or not zero, yet rounds to zero).
  case outOfRange(field: String, text: String)
  case timestampBefore1990(Double)
  case timestampInFuture(Double, limit: Double)

  package var description: String {
    switch self {
    case .fieldCount(let n):
      return "expected 3 fields `<series> <value> <timestamp>`, found \(n)"
    case .lineTooLong(let length, let limit):
      return "line is \(length) bytes, over the limit of \(limit)"
    case .seriesTooLong(let length, let limit):
      return "series name is \(length) bytes, over the limit of \(limit)"
    case .badSeriesByte(let byte, let position):
      let shown =
        (0x21..<0x7f).contains(byte) ? "'\(Character(UnicodeScalar(byte)))'" : String(format: "0x%02x", byte)
      return "series name has \(shown) at byte \(position + 1); allowed are A-Z a-z 0-9 and . _ - : ; = / @ +"
    case .badNumber(let field, let text):
      return "\(field) \"\(text)\" is not a decimal number"
    case .notFinite(let field, let text):
      return "\(field) \"\(text)\" is not finite"
    case .outOfRange(let field, let text):
      return
        "\(field) \"\(text)\" is out of range: a value must be 0 or between 1e-100 and 1e100 in magnitude, so that its square and every sum of squares stay finite and exact enough"
    case .timestampBefore1990(let t):
      return "timestamp \(t.formatted(maxFractionDigits: 3)) is before 1990-01-01 (Unix seconds expected)"
    case .timestampInFuture(let t, let limit):
      return
        "timestamp \(t.formatted(maxFractionDigits: 3)) is more than \(limit.formatted(maxFractionDigits: 0)) s ahead of the clock"
    }
  }

  /// A short, stable name for the kind of rejection, for counting.
  package var kind: String {
    switch self {
    case .fieldCount: return "field_count"
    case .lineTooLong: return "line_too_long"
    case .seriesTooLong: return "series_too_long"
    case .badSeriesByte: return "bad_series"
    case .badNumber: return "bad_number"
    case .notFinite: return "not_finite"
    case .outOfRange: return "out_of_range"
    case .timestampBefore1990: return "too_old"
    case .timestampInFuture: return "in_future"
    }
  }
}
