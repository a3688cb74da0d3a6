import Foundation
import Testing

@testable import OutlierdCore

/// Cold start from the second day: the same time on the previous days of
/// the same kind (`DailyReference`, `DailyNoise`).
@Suite("Daily reference")
struct DailyReferenceTests {
  /// Monday is day 0 of the week; 288 slots a day at 5 minutes.
  @Test func previousDaysAreOfTheSameKindNearestFirst() {
    let perDay = 288
    let at = { (day: Int, slot: Int) in day * perDay + slot }
    // Wednesday 02:00: Tuesday, Monday; yesterday is Tuesday.
    let wednesday = DailyReference.previousDays(ofSlot: at(2, 24), slotsPerDay: perDay)
    #expect(wednesday.same == [at(1, 24), at(0, 24)] && wednesday.yesterday == at(1, 24))
    // Monday: last Friday and Thursday; yesterday is Sunday.
    let monday = DailyReference.previousDays(ofSlot: at(0, 24), slotsPerDay: perDay)
    #expect(monday.same == [at(4, 24), at(3, 24)] && monday.yesterday == at(6, 24))
    // Sunday: Saturday, then last week's Sunday... is not before it within
    // the week's slots: the other weekend day only, twice over none.
    let sunday = DailyReference.previousDays(ofSlot: at(6, 24), slotsPerDay: perDay)
    #expect(sunday.same == [at(5, 24)] && sunday.yesterday == at(5, 24))
    // Saturday: last Sunday; yesterday is Friday.
    let saturday = DailyReference.previousDays(ofSlot: at(5, 24), slotsPerDay: perDay)
    #expect(saturday.same == [at(6, 24)] && saturday.yesterday == at(4, 24))
  }

  /// A disk that grows through the day and is cleaned up every night at
  /// 02:00: in its first week, the cleanup alerts on the first night only,
  /// from the second the same time yesterday expects it; a disk that jumps
  /// by a third on day 5 still alerts. The real binary, default detection.
  @Test func aNightlyCleanupIsExpectedFromTheSecondNight() throws {
    let h = try Harness(detection: "")
    let t0 = 1_767_571_200  // Monday 2026-01-05 00:00Z
    var random = SplitMix64(seed: 31)
    var disk = 60.0
    var lines = ""
    let jump = t0 + 4 * 86_400 + 14 * 3600
    for step in 0..<(7 * 288) {
      let t = t0 + step * 300
      let minute = (t % 86_400) / 60
      if minute == 120 { disk = 40 + random.nextUnit() }
      disk += 0.1 + 0.05 * random.nextUnit()
      let value = disk + (t >= jump && t < jump + 3600 ? 30 : 0)
      lines += "d.disk \(value) \(t)\n"
    }
    try h.drop("a.txt", lines)
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let incidents = try h.query("SELECT start_ts FROM incidents ORDER BY start_ts").map {
      Int(Double($0[0])!)
    }
    let atCleanup = incidents.filter { ($0 % 86_400) / 60 >= 120 && ($0 % 86_400) / 60 < 150 }
    #expect(atCleanup.allSatisfy { $0 < t0 + 86_400 + 3 * 3600 }, "cleanups alerted: \(atCleanup)")
    #expect(incidents.contains { $0 >= jump && $0 < jump + 3600 }, "\(incidents)")
    #expect(incidents.count <= 3, "\(incidents)")
  }
}
