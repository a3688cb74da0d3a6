import Foundation
import Testing

@testable import OutlierdCore

/// Cold start from the second day: the same hour on the previous days of
/// the same kind (`DailyProfile`, `DailyNoise`).
@Suite("Daily profile")
struct DailyProfileTests {
  /// Monday is day 0 of the week; 288 slots a day at 5 minutes.
  @Test func hoursAreBinnedWeekdaysApartFromWeekends() {
    let bin = { (day: Int, slot: Int) in
      DailyProfile.bin(ofSlot: day * 288 + slot, slotsPerDay: 288, weekly: true)
    }
    #expect(bin(0, 0) == 0 && bin(2, 24) == 2 && bin(4, 287) == 23)
    #expect(bin(5, 0) == 24 && bin(6, 24 + 11) == 26 && bin(6, 287) == 47)
    #expect(DailyProfile.bin(ofSlot: 30, slotsPerDay: 288, weekly: false) == nil)
  }

  /// A weekend hour not seen yet borrows the weekday's (a series' first
  /// Saturday); an hour with fewer than six samples is no reference.
  @Test func aReferenceNeedsHalfAnHourOfSamples() {
    var profile = DailyProfile()
    for k in 0..<5 { profile.learn(40 + Double(k), bin: 2) }
    #expect(profile.reference(bin: 2) == nil)
    profile.learn(40, bin: 2)
    #expect(abs(profile.reference(bin: 2)! - 41.666_666) < 1e-5)
    #expect(abs(profile.reference(bin: 26)! - 41.666_666) < 1e-5)
    for _ in 0..<6 { profile.learn(10, bin: 26) }
    #expect(profile.reference(bin: 26) == 10)
    // The mean weighs the last three days' samples of the hour.
    for _ in 0..<200 { profile.learn(80, bin: 2) }
    #expect(abs(profile.reference(bin: 2)! - 80) < 0.1 && profile.reference(bin: 2)! < 80)
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
