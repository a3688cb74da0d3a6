import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Parses Graphite plaintext lines from raw bytes, without building
/// intermediate strings for the numbers.
package struct GraphiteLineParser: Sendable {
  package var maxLineLength: Int
  package var maxSeriesNameLength: Int
  /// Timestamps after this are rejected (the clock plus the allowed lead).
  package var latestTimestamp: Double
  package var maxFuture: Double

  /// 1990-01-01T00:00:00Z: anything earlier is not a Unix-seconds timestamp
  /// of a metric (milliseconds are far later, so they fail the future test).
  package static let earliestTimestamp: Double = 631_152_000

  // The tables, held by the parser: a static is reached through a lazy
  // initialisation check on every access, which showed in the profile.
  private let powers = GraphiteLineParser.powersOfTen

  package init(maxLineLength: Int, maxSeriesNameLength: Int, now: Double, maxFuture: Double) {
    self.maxLineLength = maxLineLength
    self.maxSeriesNameLength = maxSeriesNameLength
    self.latestTimestamp = now + maxFuture
    self.maxFuture = maxFuture
  }

  /// Parses one line, given without its line terminator. Returns nil for a
  /// blank line or a `#` comment.
  func parse(_ line: UnsafeRawBufferPointer) -> Result<ParsedSample, LineRejection>? {
    switch parseLine(line) {
    case .blank: return nil
    case .rejected(let reason): return .failure(reason)
    case .sample(let name, let value, let timestamp):
      let series = String(decoding: UnsafeRawBufferPointer(rebasing: line[name]), as: UTF8.self)
      return .success(ParsedSample(series: series, value: value, timestamp: timestamp))
    }
  }

  /// Parses one line, given without its line terminator.
  @inline(__always)
  func parseLine(_ line: UnsafeRawBufferPointer) -> ParsedLine {
    commonLine(line) ?? parseAnyLine(line)
  }

  /// The common line, `name value timestamp` with single spaces, plain
  /// decimals and a timestamp in range, in one pass over its bytes; nil for
  /// anything else, which `parseAnyLine` then parses (and rejects, when it
  /// must). The result is the one `parseAnyLine` gives: the fuzzer and the
  /// tests compare the two.
  @inline(__always)
  func commonLine(_ line: UnsafeRawBufferPointer) -> ParsedLine? {
    let n = line.count
    guard n <= maxLineLength else { return nil }
    var i = 0
    while i < n && Self.isSeriesByte(line[i]) { i += 1 }
    let name = 0..<i
    guard !name.isEmpty, name.count <= maxSeriesNameLength, i < n, line[i] == 0x20,
      let (value, valueEnd) = Self.scanDecimal(line, from: i + 1, to: n, powers: powers),
      valueEnd < n, line[valueEnd] == 0x20,
      let (timestamp, end) = Self.scanDecimal(line, from: valueEnd + 1, to: n, powers: powers), end == n,
      timestamp >= Self.earliestTimestamp, timestamp <= latestTimestamp
    else { return nil }
    return .sample(name: name, value: value, timestamp: timestamp)
  }

  /// Parses one line of any shape, given without its line terminator.
  func parseAnyLine(_ line: UnsafeRawBufferPointer) -> ParsedLine {
    if line.count > maxLineLength { return .rejected(.lineTooLong(length: line.count, limit: maxLineLength)) }
    // Fields are separated by runs of spaces or tabs. The name's bytes are
    // checked on the way (one pass over them, not two).
    var fields: (Range<Int>, Range<Int>, Range<Int>) = (0..<0, 0..<0, 0..<0)
    var count = 0
    var badNameByte: Int? = nil
    var i = 0
    let n = line.count
    while i < n {
      while i < n && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
      if i == n { break }
      let start = i
      if count == 0 {
        while i < n && line[i] != 0x20 && line[i] != 0x09 {
          if badNameByte == nil && !Self.isSeriesByte(line[i]) { badNameByte = i }
          i += 1
        }
      } else {
        while i < n && line[i] != 0x20 && line[i] != 0x09 { i += 1 }
      }
      switch count {
      case 0: fields.0 = start..<i
      case 1: fields.1 = start..<i
      case 2: fields.2 = start..<i
      default: break
      }
      count += 1
    }
    if count == 0 { return .blank }
    if line[fields.0.lowerBound] == UInt8(ascii: "#") { return .blank }
    guard count == 3 else { return .rejected(.fieldCount(count)) }

    let name = fields.0
    if name.count > maxSeriesNameLength {
      return .rejected(.seriesTooLong(length: name.count, limit: maxSeriesNameLength))
    }
    if let position = badNameByte {
      return .rejected(.badSeriesByte(line[position], position: position - name.lowerBound))
    }
    let value: Double
    switch number(line, fields.1, field: "value") {
    case .success(let v): value = v
    case .failure(let e): return .rejected(e)
    }
    let timestamp: Double
    switch number(line, fields.2, field: "timestamp") {
    case .success(let v): timestamp = v
    case .failure(let e): return .rejected(e)
    }
    if timestamp < Self.earliestTimestamp { return .rejected(.timestampBefore1990(timestamp)) }
    if timestamp > latestTimestamp { return .rejected(.timestampInFuture(timestamp, limit: maxFuture)) }
    return .sample(name: name, value: value, timestamp: timestamp)
  }

  /// Whether a byte may appear in a series name: A-Z a-z 0-9 and
  /// . _ - : ; = / @ +, as bits of two words (bytes 0–63 and 64–127; names
  /// are ASCII). Literal constants: a static table is reached through a
  /// lazy-initialisation check on every access.
  @inline(__always)
  static func isSeriesByte(_ b: UInt8) -> Bool {
    let word: UInt64 = b < 64 ? 0x2FFF_E800_0000_0000 : b < 128 ? 0x07FF_FFFE_87FF_FFFF : 0
    return (word >> UInt64(b & 63)) & 1 == 1
  }

  /// The magnitudes a value may have besides zero. A slot's statistics hold
  /// squares of values and of their deviations summed over many samples:
  /// with |value| ≤ 1e100 they stay below 1e200 times the sample count, far
  /// from overflow (1.8e308), so one absurd value cannot turn a slot's or
  /// its noise pool's sums into infinity or NaN. Below 1e-100 a square
  /// would lose its digits to underflow; a value that rounds to zero from
  /// non-zero digits (`1e-400`) is refused rather than read as 0. The fast
  /// path's values (at most 15 digits, at most 22 after the point) are
  /// inside this range by construction.
  package static let valueMagnitudes: ClosedRange<Double> = 1e-100...1e100

  private static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

  /// Clinger's fast path: a decimal with at most 15 significant digits and
  /// no exponent is an integer below 2^53 divided by a power of ten below
  /// 10^23, both exact in a Double, so one division rounds correctly — the
  /// same result strtod gives, at a fraction of its cost. Anything else
  /// returns nil and goes to strtod.
  @inline(__always)
  static func fastDecimal(
    _ line: UnsafeRawBufferPointer, _ range: Range<Int>, powers: [Double] = powersOfTen
  ) -> Double? {
    guard let (value, end) = scanDecimal(line, from: range.lowerBound, to: range.upperBound, powers: powers),
      end == range.upperBound
    else { return nil }
    return value
  }

  /// The plain decimal (see `fastDecimal`) that starts at `start` and ends
  /// at the first byte that is neither a digit nor a point, or at `limit`;
  /// with that end. Nil when there is no digit or the fast path does not apply.
  @inline(__always)
  static func scanDecimal(
    _ line: UnsafeRawBufferPointer, from start: Int, to limit: Int, powers: [Double]
  ) -> (Double, end: Int)? {
    guard start < limit else { return nil }
    var i = start
    var negative = false
    if line[i] == UInt8(ascii: "-") {
      negative = true
      i += 1
    } else if line[i] == UInt8(ascii: "+") {
      i += 1
    }
    // Leading zeros are not significant digits; past 15 digits the
    // mantissa may wrap, and the result is refused below.
    var mantissa: UInt64 = 0
    /// Skips zeros; how many.
    func skipZeros() -> Int {
      let from = i
      while i < limit && line[i] == 0x30 { i += 1 }
      return i - from
    }
    /// Takes digits into the mantissa; how many.
    func takeDigits() -> Int {
      let from = i
      while i < limit, case let d = line[i] &- 0x30, d < 10 {
        mantissa = mantissa &* 10 &+ UInt64(d)
        i += 1
      }
      return i - from
    }
    let leadingZeros = skipZeros()
    var digits = 0
    // Eight digits at a time (timestamps), then one at a time.
    while i + 8 <= limit, digits <= 7 {
      let eight = UInt64(littleEndian: line.loadUnaligned(fromByteOffset: i, as: UInt64.self))
      guard Self.areEightDigits(eight) else { break }
      mantissa = mantissa &* 100_000_000 &+ Self.valueOfEightDigits(eight)
      digits += 8
      i += 8
    }
    digits += takeDigits()
    var fraction = 0
    if i < limit && line[i] == UInt8(ascii: ".") {
      i += 1
      if mantissa == 0 { fraction = skipZeros() }
      let taken = takeDigits()
      digits += taken
      fraction += taken
    }
    guard leadingZeros + digits + fraction > 0, digits <= 15, fraction <= 22 else { return nil }
    let value = Double(mantissa) / powers[fraction]
    return (negative ? -value : value, i)
  }

  /// Whether the eight bytes of a little-endian word are all ASCII digits.
  @inline(__always)
  static func areEightDigits(_ word: UInt64) -> Bool {
    ((word &+ 0x4646_4646_4646_4646) | (word &- 0x3030_3030_3030_3030)) & 0x8080_8080_8080_8080 == 0
  }

  /// The number eight ASCII digits spell, the first in the lowest byte:
  /// pairs, then fours, then the eight, by multiplications on the word.
  @inline(__always)
  static func valueOfEightDigits(_ word: UInt64) -> UInt64 {
    var v = word &- 0x3030_3030_3030_3030
    v = (v &* 10) &+ (v >> 8)
    let mask: UInt64 = 0x0000_00FF_0000_00FF
    // Typed constants: untyped, the expression took the type checker 0.3 s.
    let hundredsAndMillions: UInt64 = 100 + 1_000_000 << 32
    let onesAndTenThousands: UInt64 = 1 + 10_000 << 32
    return (((v & mask) &* hundredsAndMillions) &+ (((v >> 16) & mask) &* onesAndTenThousands)) >> 32
  }

  /// A decimal number: optional sign, digits with an optional point, an
  /// optional exponent. Checked by hand first, so strtod never sees the hex
  /// floats, "nan" and "inf" it would accept; then converted by strtod,
  /// which rounds correctly.
  func number(_ line: UnsafeRawBufferPointer, _ range: Range<Int>, field: String) -> Result<
    Double, LineRejection
  > {
    // Plain decimals (nearly every line) in one pass; the rest are checked
    // by hand and converted by strtod.
    if let exact = Self.fastDecimal(line, range, powers: powers) { return .success(exact) }
    func text() -> String { String(decoding: UnsafeRawBufferPointer(rebasing: line[range]), as: UTF8.self) }
    var i = range.lowerBound
    let end = range.upperBound
    if line[i] == UInt8(ascii: "+") || line[i] == UInt8(ascii: "-") { i += 1 }
    var digits = 0
    var nonZero = false
    while i < end && (0x30...0x39).contains(line[i]) {
      nonZero = nonZero || line[i] != 0x30
      i += 1
      digits += 1
    }
    if i < end && line[i] == UInt8(ascii: ".") {
      i += 1
      while i < end && (0x30...0x39).contains(line[i]) {
        nonZero = nonZero || line[i] != 0x30
        i += 1
        digits += 1
      }
    }
    guard digits > 0 else { return .failure(.badNumber(field: field, text: text())) }
    if i < end && (line[i] == UInt8(ascii: "e") || line[i] == UInt8(ascii: "E")) {
      i += 1
      if i < end && (line[i] == UInt8(ascii: "+") || line[i] == UInt8(ascii: "-")) { i += 1 }
      var exponentDigits = 0
      while i < end && (0x30...0x39).contains(line[i]) { i += 1; exponentDigits += 1 }
      guard exponentDigits > 0 else { return .failure(.badNumber(field: field, text: text())) }
    }
    guard i == end, range.count < 400 else { return .failure(.badNumber(field: field, text: text())) }
    // strtod needs a NUL-terminated string; copy the field to the stack.
    let value = withUnsafeTemporaryAllocation(of: CChar.self, capacity: range.count + 1) { buffer -> Double in
      for (k, j) in range.enumerated() { buffer[k] = CChar(bitPattern: line[j]) }
      buffer[range.count] = 0
      return strtod(buffer.baseAddress!, nil)
    }
    guard value.isFinite else { return .failure(.notFinite(field: field, text: text())) }
    if field == "value" && (Self.valueMagnitudes.contains(value.magnitude) ? false : value != 0 || nonZero) {
      return .failure(.outOfRange(field: field, text: text()))
    }
    return .success(value)
  }
}
