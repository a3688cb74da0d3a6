/// A weekly maintenance window from the config (`[[maintenance]]`): while it
/// lasts, samples of matching series are accepted (history, counts) but the
/// model neither judges nor learns them, so a deploy raises no alert and
/// teaches the model nothing.
package struct MaintenanceWindow: Sendable, Equatable {
  /// A shell glob on series names.
  package var series: String
  /// As written: "Sun 02:00-04:00" (days Mon…Sun, 24-hour times, in the
  /// calendar's time zone; the end may be on the next day: "Sat 23:00-01:00").
  package var weekly: String
  /// Seconds from Monday 00:00 (local) to the start, and the length.
  package var start: Int
  package var length: Int

  static let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

  /// Parses "Sun 02:00-04:00"; nil when it is not of that form.
  package init?(series: String, weekly: String) {
    let parts = weekly.split(separator: " ", omittingEmptySubsequences: true)
    guard parts.count == 2, let day = Self.days.firstIndex(of: String(parts[0])) else { return nil }
    let times = parts[1].split(separator: "-")
    guard times.count == 2, let from = Self.minutes(times[0]), let to = Self.minutes(times[1]), from != to
    else {
      return nil
    }
    self.series = series
    self.weekly = weekly
    start = day * 86_400 + from * 60
    length = ((to - from + 1440) % 1440) * 60
  }

  static func minutes(_ text: Substring) -> Int? {
    let parts = text.split(separator: ":")
    guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h),
      (0..<60).contains(m),
      parts[0].count == 2, parts[1].count == 2
    else { return nil }
    return h * 60 + m
  }

  /// The slots of a weekly calendar it covers: every slot that begins
  /// inside the window, as ranges (two when it wraps past Sunday midnight).
  package func slots(slotWidth: Int, slotCount: Int) -> [Range<Int32>] {
    let first = (start + slotWidth - 1) / slotWidth
    let end = (start + length + slotWidth - 1) / slotWidth
    if end <= slotCount { return [Int32(first)..<Int32(end)] }
    return [Int32(first)..<Int32(slotCount), 0..<Int32(end - slotCount)].filter { !$0.isEmpty }
  }
}
