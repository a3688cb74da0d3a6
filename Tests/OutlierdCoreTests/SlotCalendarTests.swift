import Foundation
import Testing

@testable import OutlierdCore

struct CalendarCase: Decodable, CustomTestStringConvertible {
  var zone: String
  var period: Int
  var width: Int
  var samples: [[Double]]
  var testDescription: String { "\(zone), period \(period), width \(width)" }
}

@Suite("Slot calendar")
struct SlotCalendarTests {
  static let cases: [CalendarCase] = (try? loadFixture("calendar.json")) ?? []

  @Test func fixturesLoaded() { #expect(Self.cases.count == 20) }

  /// Slots against Python's zoneinfo around every DST change of 2024–2027 in
  /// New York and Berlin, year ends, leap days and random instants.
  @Test(arguments: cases)
  func slotsMatchZoneinfo(_ c: CalendarCase) throws {
    let calendar = try SlotCalendar(period: c.period, slotWidth: c.width, timeZone: c.zone)
    var wrong: [String] = []
    for sample in c.samples where calendar.slot(at: sample[0]) != Int(sample[1]) {
      wrong.append("\(sample[0]) → \(calendar.slot(at: sample[0])), want \(Int(sample[1]))")
    }
    #expect(wrong.isEmpty, "\(wrong.count) of \(c.samples.count) wrong: \(wrong.prefix(5))")
  }

  /// Seconds since the epoch of a local wall-clock time in a zone.
  static func instant(_ text: String, _ zone: String) -> Double {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: zone)
    f.dateFormat = "yyyy-MM-dd HH:mm:ss"
    return f.date(from: text)!.timeIntervalSince1970
  }

  @Test func mondayNineIsOneSlotInWinterAndSummer() throws {
    for zone in ["America/New_York", "Europe/Berlin"] {
      let calendar = try SlotCalendar(timeZone: zone)
      let winter = calendar.slot(at: Self.instant("2026-01-12 09:02:00", zone))
      let summer = calendar.slot(at: Self.instant("2026-07-13 09:02:00", zone))
      #expect(winter == summer)
      #expect(winter == 9 * 12)
      #expect(calendar.label(ofSlot: winter) == "Mon 09:00")
    }
  }

  @Test func repeatedHourFeedsItsSlotsTwice() throws {
    // 2026-11-01 in New York: 01:00–02:00 EDT, then 01:00–02:00 EST again.
    let calendar = try SlotCalendar(timeZone: "America/New_York")
    let firstPass = 1_793_512_800.0 - 3600 + 600  // 01:10 EDT
    let secondPass = firstPass + 3600  // 01:10 EST
    #expect(calendar.slot(at: firstPass) == calendar.slot(at: secondPass))
    #expect(calendar.label(ofSlot: calendar.slot(at: firstPass)) == "Sun 01:10")
  }

  @Test func skippedHourGetsNoSamples() throws {
    // 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST.
    let calendar = try SlotCalendar(timeZone: "Europe/Berlin")
    let jump = Self.instant("2026-03-29 03:00:00", "Europe/Berlin")
    var seen = Set<Int>()
    for t in stride(from: jump - 7200, to: jump + 7200, by: 60) { seen.insert(calendar.slot(at: t)) }
    let sunday = 6 * 288
    for slot in sunday + 24..<sunday + 36 { #expect(!seen.contains(slot), "\(calendar.label(ofSlot: slot))") }
    #expect(seen.contains(sunday + 23) && seen.contains(sunday + 36))
  }

  @Test func yearBoundaryAndLeapDayContinue() throws {
    let calendar = try SlotCalendar(timeZone: "Europe/Berlin")
    // Thursday 2026-12-31 23:55 → Friday 2027-01-01 00:00: consecutive slots.
    let before = calendar.slot(at: Self.instant("2026-12-31 23:55:00", "Europe/Berlin"))
    let after = calendar.slot(at: Self.instant("2027-01-01 00:00:00", "Europe/Berlin"))
    #expect(after == before + 1)
    #expect(calendar.label(ofSlot: after) == "Fri 00:00")
    // Thursday 2024-02-29 exists and is a Thursday.
    let leap = calendar.slot(at: Self.instant("2024-02-29 12:00:00", "Europe/Berlin"))
    #expect(calendar.label(ofSlot: leap) == "Thu 12:00")
    // Sunday 23:55 wraps to Monday 00:00 = slot 0.
    let sunday = calendar.slot(at: Self.instant("2027-01-03 23:55:00", "Europe/Berlin"))
    let monday = calendar.slot(at: Self.instant("2027-01-04 00:00:00", "Europe/Berlin"))
    #expect(sunday == 2015 && monday == 0)
  }

  @Test func dailyPeriod() throws {
    let calendar = try SlotCalendar(period: SlotCalendar.day, slotWidth: 300, timeZone: "UTC")
    #expect(calendar.slotCount == 288)
    #expect(calendar.slot(at: 1_767_225_600) == 0)  // 2026-01-01 00:00Z
    #expect(calendar.slot(at: 1_767_225_600 + 86_399.5) == 287)
    #expect(calendar.label(ofSlot: 287) == "23:55")
  }

  @Test func otherPeriodsThatTheWidthDivides() throws {
    let calendar = try SlotCalendar(period: 7200, slotWidth: 900, timeZone: "UTC")
    #expect(calendar.slotCount == 8)
    // The period is anchored at Monday 1970-01-05 00:00.
    #expect(calendar.slot(at: 4 * 86_400) == 0)
    #expect(calendar.slot(at: 4 * 86_400 + 7200 + 1800) == 2)
    #expect(calendar.slot(at: 4 * 86_400 - 1) == 7)
  }

  @Test func widthsThatDoNotDivideThePeriodAreRejected() {
    #expect(throws: CalendarError.widthDoesNotDividePeriod(slotWidth: 7000, period: 604_800)) {
      try SlotCalendar(slotWidth: 7000)
    }
    #expect(throws: CalendarError.unknownTimeZone("Mars/Olympus")) {
      try SlotCalendar(timeZone: "Mars/Olympus")
    }
    #expect(throws: CalendarError.nonPositive("slot width", 0)) { try SlotCalendar(slotWidth: 0) }
    let message = String(describing: CalendarError.widthDoesNotDividePeriod(slotWidth: 7000, period: 604_800))
    #expect(message.contains("does not divide"))
  }
}

@Suite("Times the CLI prints")
struct TimeRoundTripTests {
  /// `TimeExpression.format` is read back by `parse`, to the second, in
  /// every zone and across DST changes.
  @Test(arguments: ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"])
  func formattedTimesParseBack(zone name: String) throws {
    let zone = try #require(TimeZone(identifier: name))
    var rng = SplitMix64(seed: 5)
    for _ in 0..<2000 {
      let t = Double(rng.next() % 4_000_000_000) + Double(rng.next() % 1000) / 1000
      let text = TimeExpression.format(t, zone: zone)
      #expect(TimeExpression.parse(text, zone: zone) == t.rounded(.down), "\(name): \(t) → \(text)")
    }
  }
}
