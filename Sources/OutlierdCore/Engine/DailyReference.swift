/// What the same time of day looked like on a series' previous days of the
/// same kind (weekdays for a weekday, weekend days for a weekend day), read
/// from their weekly slots: the mean of those slots' values and how many
/// days it holds. A series whose slot for this week's time is still
/// warming up has, from its second day on, yesterday's slot at that time:
/// a nightly cleanup seen once is expected the next night.
public struct DailyReference: Sendable, Hashable {
  public var mean: Double
  public var days: Int

  public init(mean: Double, days: Int) {
    self.mean = mean
    self.days = days
  }

  /// The slots that hold the same time as `slot` (in a weekly period of
  /// `slotsPerDay` slots a day) on the two nearest previous days of the
  /// same kind (weekday or weekend day), nearest first, and on the day
  /// before, whatever its kind: the last resort for a Saturday, or a
  /// Monday, in a series' first week.
  public static func previousDays(ofSlot slot: Int, slotsPerDay: Int) -> (same: [Int], yesterday: Int) {
    let day = slot / slotsPerDay
    let weekend = day >= 5
    var same: [Int] = []
    for back in 1..<7 where same.count < 2 {
      let previous = (day - back + 7) % 7
      if (previous >= 5) == weekend { same.append(back) }
    }
    let week = 7 * slotsPerDay
    func slotBack(_ days: Int) -> Int { ((slot - days * slotsPerDay) % week + week) % week }
    return (same.map(slotBack), slotBack(1))
  }
}
