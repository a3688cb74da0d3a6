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

}
