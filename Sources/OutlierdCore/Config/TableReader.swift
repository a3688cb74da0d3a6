import Foundation

/// Typed access to one table's keys; remembers which were read so unknown
/// keys can be reported.
struct TableReader {
  let table: ConfigDocument.Table
  let file: String
  var used: Set<String> = []

  init(table: ConfigDocument.Table, file: String) {
    self.table = table
    self.file = file
  }

  private var qualifiedPrefix: String { table.name.isEmpty ? "" : table.name + "." }

  func error(_ key: String, _ message: String) -> ConfigError {
    let line = table.entries.first { $0.key == key }?.line ?? table.line
    return ConfigError(file: file, line: line, key: qualifiedPrefix + key, message: message)
  }

  private mutating func value(_ key: String) -> ConfigDocument.Value? {
    used.insert(key)
    return table.entries.first { $0.key == key }?.value
  }

  mutating func string(_ key: String) throws(ConfigError) -> String? {
    switch value(key) {
    case nil: return nil
    case .string(let s): return s
    case let other?: throw error(key, "expected a quoted string, got \(other)")
    }
  }

  mutating func boolean(_ key: String) throws(ConfigError) -> Bool? {
    switch value(key) {
    case nil: return nil
    case .boolean(let b): return b
    case let other?: throw error(key, "expected true or false, got \(other)")
    }
  }

  mutating func path(_ key: String) throws(ConfigError) -> String? {
    guard let s = try string(key) else { return nil }
    guard !s.isEmpty else { throw error(key, "must not be empty") }
    return s
  }

  mutating func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
    switch value(key) {
    case nil: return nil
    case .integer(let i):
      guard let v = Int(exactly: i), range.contains(v) else {
        throw error(key, "must be between \(range.lowerBound) and \(range.upperBound), got \(i)")
      }
      return v
    case let other?: throw error(key, "expected a whole number, got \(other)")
    }
  }

  mutating func float(_ key: String, in range: ClosedRange<Double>) throws(ConfigError) -> Double? {
    let v: Double
    switch value(key) {
    case nil: return nil
    case .integer(let i): v = Double(i)
    case .float(let d): v = d
    case .string(let s)? where Double(s.replacingOccurrences(of: ",", with: ".")) != nil:
      throw error(
        key,
        "expected a number, got the string \"\(s)\"; write it unquoted, with a decimal point: \(s.replacingOccurrences(of: ",", with: "."))"
      )
    case let other?: throw error(key, "expected a number, got \(other)")
    }
    guard range.contains(v) else {
      throw error(
        key,
        "must be between \(range.lowerBound.formatted(maxFractionDigits: 6)) and \(range.upperBound.formatted(maxFractionDigits: 6)), got \(v.formatted(maxFractionDigits: 6))"
      )
    }
    return v
  }

  /// Seconds, as a number or a string with a unit: "90s", "5m", "2h", "1d", "1w".
  mutating func duration(_ key: String, in range: ClosedRange<Double>) throws(ConfigError) -> Double? {
    let seconds: Double
    switch value(key) {
    case nil: return nil
    case .integer(let i): seconds = Double(i)
    case .float(let d): seconds = d
    case .string(let s):
      guard let parsed = Self.parseDuration(s) else {
        throw error(
          key, "cannot read \"\(s)\" as a duration; write e.g. 300, \"90s\", \"5m\", \"2h\", \"1d\" or \"1w\""
        )
      }
      seconds = parsed
    case let other?: throw error(key, "expected a duration, got \(other)")
    }
    guard range.contains(seconds) else {
      throw error(
        key,
        "must be between \(range.lowerBound.formatted(maxFractionDigits: 3)) s and \(range.upperBound.formatted(maxFractionDigits: 3)) s, got \(seconds.formatted(maxFractionDigits: 3)) s"
      )
    }
    return seconds
  }

  mutating func durationSeconds(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
    guard let seconds = try duration(key, in: Double(range.lowerBound)...Double(range.upperBound)) else {
      return nil
    }
    guard seconds == seconds.rounded() else { throw error(key, "must be a whole number of seconds") }
    return Int(seconds)
  }

  /// Bytes, as a number or a string with a unit: "512KiB", "64MiB", "1GiB".
  mutating func size(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
    let bytes: Int
    switch value(key) {
    case nil: return nil
    case .integer(let i): bytes = Int(i)
    case .string(let s):
      let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("B", 1)]
      guard let (unit, factor) = units.first(where: { s.hasSuffix($0.0) }),
        let number = Int(s.dropLast(unit.count).trimmingCharacters(in: .whitespaces))
      else {
        throw error(
          key, "cannot read \"\(s)\" as a size; write e.g. 1048576, \"512KiB\", \"64MiB\" or \"1GiB\"")
      }
      // "9000000000GiB" is more bytes than an Int holds: an error, not a trap.
      let (product, overflow) = number.multipliedReportingOverflow(by: factor)
      guard !overflow else {
        throw error(
          key, "\"\(s)\" is too large; must be between \(range.lowerBound) and \(range.upperBound) bytes")
      }
      bytes = product
    case let other?: throw error(key, "expected a size, got \(other)")
    }
    guard range.contains(bytes) else {
      throw error(key, "must be between \(range.lowerBound) and \(range.upperBound) bytes, got \(bytes)")
    }
    return bytes
  }

  static func parseDuration(_ text: String) -> Double? {
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard let last = trimmed.last else { return nil }
    if let factor = units[last], let number = Double(trimmed.dropLast()), number.isFinite {
      return number * factor
    }
    return Double(trimmed).flatMap { $0.isFinite ? $0 : nil }
  }

  func rejectUnusedKeys() throws(ConfigError) {
    for entry in table.entries where !used.contains(entry.key) {
      let header =
        table.name.isEmpty ? "the top level" : table.isArrayElement ? "[[\(table.name)]]" : "[\(table.name)]"
      let known = used.sorted().joined(separator: ", ")
      throw ConfigError(
        file: file, line: entry.line, key: qualifiedPrefix + entry.key,
        message: "unknown key in \(header)" + (known.isEmpty ? "" : "; known keys: \(known)"))
    }
  }
}
