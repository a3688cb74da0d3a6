import Foundation

/// Times as operators type them on the command line.
package enum TimeExpression {
  /// Parses "now", a duration ago ("90m", "24h", "7d", "2w"), Unix seconds,
  /// or an ISO 8601 date or date-time ("2026-03-01", "2026-03-01T09:30",
  /// "2026-03-01 09:30:00+01:00"); a time without an offset is read in
  /// `zone`. Nil for anything else, and for a time outside `validRange`
  /// ("inf", "1e19", "1e300d" ago): every time it returns can be used as a
  /// Unix time by the calendar.
  package static func parse(_ text: String, now: Double = Date().timeIntervalSince1970, zone: TimeZone)
    -> Double?
  {
    guard let time = parseUnchecked(text, now: now, zone: zone), validRange.contains(time) else { return nil }
    return time
  }

  /// 1970-01-01 to 9999-12-31 UTC: the times a command accepts.
  package static let validRange: ClosedRange<Double> = 0...253_402_300_799

  static func parseUnchecked(_ text: String, now: Double, zone: TimeZone) -> Double? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed == "now" { return now }
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
    if let unit = trimmed.last, let factor = units[unit], let amount = Double(trimmed.dropLast()),
      amount >= 0,
      amount.isFinite
    {
      return now - amount * factor
    }
    if let seconds = Double(trimmed), seconds > 100_000_000 { return seconds }
    // "2026-03-01 09:30:00 +01:00", as `format` writes it: the first space
    // separates date and time, a later one the offset.
    var normalized = trimmed
    if let space = normalized.firstIndex(of: " ") { normalized.replaceSubrange(space...space, with: "T") }
    normalized = normalized.replacingOccurrences(of: " ", with: "")
    let formats = [
      "yyyy-MM-dd'T'HH:mm:ssXXXXX", "yyyy-MM-dd'T'HH:mmXXXXX", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm",
      "yyyy-MM-dd",
    ]
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = zone
    for format in formats {
      formatter.dateFormat = format
      if let date = formatter.date(from: normalized) { return date.timeIntervalSince1970 }
    }
    return nil
  }

  /// "2026-03-01 09:30:00 +01:00" in the given zone; `parse` reads it
  /// back (to the second).
  package static func format(_ time: Double, zone: TimeZone) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = zone
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss xxx"
    return formatter.string(from: Date(timeIntervalSince1970: time))
  }
}
