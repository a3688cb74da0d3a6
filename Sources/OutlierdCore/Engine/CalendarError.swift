import Foundation

package enum CalendarError: Error, Equatable, CustomStringConvertible {
  case nonPositive(String, Int)
  case widthDoesNotDividePeriod(slotWidth: Int, period: Int)
  case unknownTimeZone(String)

  package var description: String {
    switch self {
    case .nonPositive(let what, let value):
      return "\(what) must be a positive number of seconds, got \(value)"
    case .widthDoesNotDividePeriod(let width, let period):
      return
        "slot width \(width) s does not divide the period \(period) s evenly "
        + "(\(period) / \(width) = \(Double(period) / Double(width))); choose a width such as 60, 300 or 900"
    case .unknownTimeZone(let name):
      return "unknown time zone \"\(name)\"; use an IANA name such as UTC, Europe/Berlin or America/New_York"
    }
  }
}
