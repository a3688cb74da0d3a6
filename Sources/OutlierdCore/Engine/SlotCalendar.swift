import Foundation

/// Splits time into a repeating seasonal period (by default one week) of
/// fixed-width slots, following local wall-clock time in one IANA zone.
///
/// A slot is a position on the wall clock, not an offset in absolute time:
/// "Monday 09:00–09:05" is the same slot in winter and in summer. The period
/// is anchored at Monday 1970-01-05 00:00 local time, so a weekly period
/// starts on Monday 00:00 and a daily one at midnight.
///
/// Around a change of daylight saving time the wall clock itself is what
/// decides:
/// - In the skipped hour (spring forward) no instant shows those wall-clock
///   times, so those slots receive no sample that week.
/// - In the repeated hour (fall back) both passes show the same wall-clock
///   times, so those slots receive two samples that week, one from each pass.
package struct SlotCalendar: Sendable, Hashable, CustomStringConvertible {
  /// Length of the seasonal period in seconds.
  package let period: Int
  /// Width of one slot in seconds.
  package let slotWidth: Int
  /// The IANA identifier of the zone whose wall clock slots follow.
  package let timeZoneIdentifier: String
  private let offsets: UTCOffsetTable

  package static let week = 604_800
  package static let day = 86_400
  /// Monday 1970-01-05 00:00, the period's anchor in local seconds.
  static let anchor: Int64 = 4 * 86_400

  package init(period: Int = SlotCalendar.week, slotWidth: Int = 300, timeZone: String = "UTC") throws {
    guard period > 0 else { throw CalendarError.nonPositive("period", period) }
    guard slotWidth > 0 else { throw CalendarError.nonPositive("slot width", slotWidth) }
    guard period % slotWidth == 0 else {
      throw CalendarError.widthDoesNotDividePeriod(slotWidth: slotWidth, period: period)
    }
    guard let zone = TimeZone(identifier: timeZone) else {
      throw CalendarError.unknownTimeZone(timeZone)
    }
    self.period = period
    self.slotWidth = slotWidth
    self.timeZoneIdentifier = timeZone
    self.offsets = UTCOffsetTable(timeZone: zone)
  }

  package var slotCount: Int { period / slotWidth }

  /// Local wall-clock seconds since 1970-01-01 00:00 local for a Unix time.
  @inline(__always)
  package func localSeconds(at unixTime: Double) -> Int64 {
    let seconds = Int64(unixTime.rounded(.down))
    return seconds + offsets.offset(at: seconds)
  }

  /// The slot a Unix time falls in, `0 ..< slotCount`.
  ///
  /// Slot boundaries are whole seconds and zone offsets are whole seconds, so
  /// the fractional part of `unixTime` never changes the slot.
  @inline(__always)
  package func slot(at unixTime: Double) -> Int {
    let local = localSeconds(at: unixTime) - Self.anchor
    let p = Int64(period)
    var position = local % p
    if position < 0 { position += p }
    return Int(position) / slotWidth
  }

  /// Where a slot starts, as an operator reads it: "Mon 09:05" for a weekly
  /// period, "09:05" for a daily one, "+1d 02:30" (from the period's start)
  /// for any other.
  package func label(ofSlot slot: Int) -> String {
    let start = slot * slotWidth
    let (days, rest) = start.quotientAndRemainder(dividingBy: 86_400)
    let clock = String(format: "%02d:%02d", rest / 3600, rest % 3600 / 60)
    let withSeconds = rest % 60 == 0 ? clock : clock + String(format: ":%02d", rest % 60)
    switch period {
    case Self.week:
      let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
      return "\(names[days]) \(withSeconds)"
    case Self.day:
      return withSeconds
    default:
      return days == 0 ? "+\(withSeconds)" : "+\(days)d \(withSeconds)"
    }
  }

  package var description: String {
    "period \(period) s, slot width \(slotWidth) s (\(slotCount) slots), time zone \(timeZoneIdentifier)"
  }

  package static func == (lhs: SlotCalendar, rhs: SlotCalendar) -> Bool {
    lhs.period == rhs.period && lhs.slotWidth == rhs.slotWidth
      && lhs.timeZoneIdentifier == rhs.timeZoneIdentifier
  }

  package func hash(into hasher: inout Hasher) {
    hasher.combine(period)
    hasher.combine(slotWidth)
    hasher.combine(timeZoneIdentifier)
  }
}
