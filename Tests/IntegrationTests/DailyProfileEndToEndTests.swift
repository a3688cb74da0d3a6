import Foundation
import Testing

@testable import OutlierdCore

@Suite("Daily profile end to end")
struct DailyProfileEndToEndTests {
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
