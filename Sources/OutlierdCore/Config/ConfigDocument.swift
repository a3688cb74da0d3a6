/// A parsed configuration file: the subset of TOML that outlierd.conf uses.
///
/// Supported: `# comments`, `[table]` headers, `[[array.of.tables]]`
/// headers, and `key = value` with basic "strings", literal 'strings',
/// integers (with _ separators), floats, and booleans. Everything else TOML
/// has (inline tables, arrays, dates, multi-line strings) is reported as an
/// error with its line, never silently misread.
package struct ConfigDocument: Sendable {
  package enum Value: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)

    package var description: String {
      switch self {
      case .string(let s): return "\"\(s)\""
      case .integer(let i): return String(i)
      case .float(let d): return String(d)
      case .boolean(let b): return String(b)
      }
    }
  }

  package struct Entry: Sendable {
    package var key: String
    package var value: Value
    package var line: Int
  }

  /// A `[name]` table or one element of a `[[name]]` array; the unnamed
  /// top-level table has the name "".
  package struct Table: Sendable {
    package var name: String
    package var isArrayElement: Bool
    package var line: Int
    package var entries: [Entry]
  }

  package var tables: [Table]

  package init(parsing text: String, file: String) throws(ConfigError) {
    tables = [Table(name: "", isArrayElement: false, line: 0, entries: [])]
    var seenTables: Set<String> = [""]
    var arrayTables: Set<String> = []
    // CRLF is one Character in Swift: split the scalars, not the characters.
    let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
    for (index, scalars) in lines.enumerated() {
      let rawLine = Substring(Substring.UnicodeScalarView(scalars))
      let line = index + 1
      func fail(_ message: String) -> ConfigError {
        ConfigError(file: file, line: line, key: nil, message: message)
      }
      var content = Substring(Self.stripComment(rawLine))
      if content.hasSuffix("\r") { content.removeLast() }
      content = content.trimmingSpaces()
      if content.isEmpty { continue }
      if content.hasPrefix("[[") {
        guard content.hasSuffix("]]") else { throw fail("table header must end with ]]") }
        let name = String(content.dropFirst(2).dropLast(2).trimmingSpaces())
        guard Self.isBareKey(name) else { throw fail("invalid table name \"\(name)\"") }
        guard !seenTables.contains(name) else {
          throw fail("[[\(name)]] follows a table [\(name)]: use one or the other")
        }
        arrayTables.insert(name)
        tables.append(Table(name: name, isArrayElement: true, line: line, entries: []))
      } else if content.hasPrefix("[") {
        guard content.hasSuffix("]") else { throw fail("table header must end with ]") }
        let name = String(content.dropFirst().dropLast().trimmingSpaces())
        guard Self.isBareKey(name) else { throw fail("invalid table name \"\(name)\"") }
        guard !arrayTables.contains(name) else {
          throw fail("[\(name)] follows an array of tables [[\(name)]]: use one or the other")
        }
        guard seenTables.insert(name).inserted else { throw fail("table [\(name)] is defined twice") }
        tables.append(Table(name: name, isArrayElement: false, line: line, entries: []))
      } else {
        guard let equals = content.firstIndex(of: "=") else {
          throw fail("expected `key = value`, `[table]` or a # comment")
        }
        let key = String(content[..<equals].trimmingSpaces())
        guard Self.isBareKey(key) else { throw fail("invalid key \"\(key)\"") }
        let valueText = content[content.index(after: equals)...].trimmingSpaces()
        let value: Value
        do { value = try Self.parseValue(valueText) } catch {
          throw ConfigError(file: file, line: line, key: key, message: error.message)
        }
        if tables[tables.count - 1].entries.contains(where: { $0.key == key }) {
          throw ConfigError(file: file, line: line, key: key, message: "key is set twice in the same table")
        }
        tables[tables.count - 1].entries.append(Entry(key: key, value: value, line: line))
      }
    }
  }

  /// The line without its comment; a # inside a quoted string is kept.
  private static func stripComment(_ line: Substring) -> Substring {
    var quote: Character? = nil
    var escaped = false
    for index in line.indices {
      let c = line[index]
      if let q = quote {
        if escaped {
          escaped = false
        } else if c == "\\" && q == "\"" {
          escaped = true
        } else if c == q {
          quote = nil
        }
      } else if c == "\"" || c == "'" {
        quote = c
      } else if c == "#" {
        return line[..<index]
      }
    }
    return line
  }

  private static func isBareKey(_ key: String) -> Bool {
    !key.isEmpty
      && key.unicodeScalars.allSatisfy {
        ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
          || $0 == "-"
      }
  }

  struct ValueError: Error { var message: String }

  /// A control character TOML does not allow in a string (tab is allowed).
  private static func isControl(_ c: Character) -> Bool {
    c.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }
  }

  /// Digits with single underscores between them: `[0-9](_?[0-9])*`.
  private static func isDigitRun(_ text: Substring) -> Bool {
    guard let first = text.first, first.isASCII, first.isNumber, let last = text.last, last != "_" else {
      return false
    }
    var previousUnderscore = false
    for c in text {
      if c == "_" {
        if previousUnderscore { return false }
        previousUnderscore = true
      } else if c.isASCII && c.isNumber {
        previousUnderscore = false
      } else {
        return false
      }
    }
    return true
  }

  /// TOML's decimal integer: a sign, then 0 or digits without a leading zero.
  private static func isTOMLInteger(_ text: Substring) -> Bool {
    let unsigned = text.first == "+" || text.first == "-" ? text.dropFirst() : text
    return isDigitRun(unsigned) && (unsigned == "0" || unsigned.first != "0")
  }

  /// TOML's float: an integer part, then a fraction, an exponent or both.
  private static func isTOMLFloat(_ text: Substring) -> Bool {
    var mantissa = text
    var exponent: Substring? = nil
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
      mantissa = text[..<e]
      var rest = text[text.index(after: e)...]
      if rest.first == "+" || rest.first == "-" { rest = rest.dropFirst() }
      exponent = rest
    }
    var integer = mantissa
    var fraction: Substring? = nil
    if let dot = mantissa.firstIndex(of: ".") {
      integer = mantissa[..<dot]
      fraction = mantissa[mantissa.index(after: dot)...]
    }
    guard fraction != nil || exponent != nil, isTOMLInteger(integer) else { return false }
    return (fraction.map(isDigitRun) ?? true) && (exponent.map(isDigitRun) ?? true)
  }

  private static func parseValue(_ text: Substring) throws(ValueError) -> Value {
    guard let first = text.first else { throw ValueError(message: "missing value after =") }
    switch first {
    case "\"":
      guard text.count >= 2, text.hasSuffix("\"") else { throw ValueError(message: "unterminated string") }
      var result = ""
      var escaped = false
      for c in text.dropFirst().dropLast() {
        if escaped {
          switch c {
          case "\\": result.append("\\")
          case "\"": result.append("\"")
          case "n": result.append("\n")
          case "t": result.append("\t")
          default: throw ValueError(message: "unsupported escape \\\(c) in string")
          }
          escaped = false
        } else if c == "\\" {
          escaped = true
        } else if c == "\"" {
          throw ValueError(message: "unexpected text after the closing quote")
        } else if Self.isControl(c) {
          throw ValueError(message: "control character in string; write it as an escape")
        } else {
          result.append(c)
        }
      }
      if escaped { throw ValueError(message: "unterminated string") }
      return .string(result)
    case "'":
      guard text.count >= 2, text.hasSuffix("'") else { throw ValueError(message: "unterminated string") }
      let inner = text.dropFirst().dropLast()
      if inner.contains("'") { throw ValueError(message: "unexpected text after the closing quote") }
      if inner.contains(where: Self.isControl) { throw ValueError(message: "control character in string") }
      return .string(String(inner))
    case "[", "{":
      throw ValueError(message: "arrays and inline tables are not used by outlierd.conf")
    default:
      if text == "true" { return .boolean(true) }
      if text == "false" { return .boolean(false) }
      let digits = String(text.filter { $0 != "_" })
      if Self.isTOMLInteger(text), let integer = Int64(digits) { return .integer(integer) }
      if Self.isTOMLFloat(text), let float = Double(digits), float.isFinite { return .float(float) }
      if ["inf", "+inf", "-inf", "nan", "+nan", "-nan"].contains(digits) {
        throw ValueError(message: "\(digits) is not a usable setting")
      }
      // A decimal comma (3,5): a number, written the other way.
      if text.contains(","), Double(text.replacingOccurrences(of: ",", with: ".")) != nil {
        throw ValueError(
          message:
            "cannot read \(text) as a number; write it with a decimal point: \(text.replacingOccurrences(of: ",", with: "."))"
        )
      }
      throw ValueError(message: "cannot read \(text) as a value; quote strings, e.g. \"\(text)\"")
    }
  }
}

extension Substring {
  func trimmingSpaces() -> Substring {
    var s = self
    while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
    while let c = s.last, c == " " || c == "\t" { s.removeLast() }
    return s
  }
}
