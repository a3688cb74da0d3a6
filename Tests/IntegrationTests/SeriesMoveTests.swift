import Foundation
import Testing

@testable import OutlierdCore

#if canImport(Glibc)
  import Glibc
#endif

/// `outlierd series export`, `import` and `drop`: series moved from one
/// instance to another in the middle of their data judge as they would have
/// at home. The real binary, real databases.
@Suite("Moving series between instances", .serialized)
struct SeriesMoveTests {
  static let t0 = 1_767_571_200
  static let week = 2016

  /// Series `i` at `step`: a weekly wave, noise, and spikes; series 1 has
  /// an incident open across the move (steps 3 weeks − 2 to 3 weeks + 2).
  static func line(_ i: Int, _ step: Int) -> String {
    var value = 100 + 20 * sin(Double(step % week) / Double(week) * 2 * .pi) + Double((step * 7 + i * 3) % 5)
    if step == week * 2 + 300 + 40 * i || step == week * 3 + 500 + 40 * i { value += 300 }
    if i == 1 && abs(step - 3 * week) <= 2 { value += 500 }
    return "move.s\(i) \(value) \(t0 + step * 300)\n"
  }

  static func file(_ series: Range<Int>, _ steps: Range<Int>) -> String {
    steps.map { step in series.map { line($0, step) }.joined() }.joined()
  }

  static let alerts = "SELECT series, ts, value, expected, lower, upper, score, p_value, z, kind FROM alerts"

  static func sorted(_ rows: [[String]]) -> [[String]] { rows.sorted { $0.lexicographicallyPrecedes($1) } }

  @Test func movedSeriesJudgeAsTheyWouldHaveAtHome() throws {
    let single = try Harness(), a = try Harness(), b = try Harness()
    let series = 0..<6
    let moved = ["move.s1", "move.s3", "move.s5"]
    // Three weeks on a (and on the single instance), then s1, s3 and s5 move to b.
    try single.drop("1.txt", Self.file(series, 0..<3 * Self.week))
    try a.drop("1.txt", Self.file(series, 0..<3 * Self.week))
    for h in [single, a, b] {
      #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    }
    #expect(try a.query("SELECT count(*) FROM incidents WHERE series = 'move.s1' AND closed = 0") == [["1"]])

    let file = a.root + "/moved.series"
    let export = try a.run(["series", "export", "move.s[135]", "-o", file, "--config", a.config])
    #expect(export.status == 0 && export.output == "exported 3 series to \(file)\n", "\(export.errors)")
    let imported = try b.run(["series", "import", file, "--config", b.config])
    #expect(
      imported.status == 0 && imported.output == "imported 3 series from \(file)\n", "\(imported.errors)")
    let several = try a.run(["series", "drop", "move.s[135]", "--config", a.config])
    #expect(several.status == 64 && several.errors.contains("add --yes"), "\(several.errors)")
    #expect(try a.run(["series", "drop", "move.s[135]", "--yes", "--config", a.config]).status == 0)
    #expect(
      try a.query("SELECT name FROM series ORDER BY name").map { $0[0] } == ["move.s0", "move.s2", "move.s4"])

    // The fourth week: the single instance gets all of it, a and b their own.
    try single.drop("2.txt", Self.file(series, 3 * Self.week..<4 * Self.week))
    let rest = (3 * Self.week..<4 * Self.week)
    try a.drop("2.txt", rest.map { step in [0, 2, 4].map { Self.line($0, step) }.joined() }.joined())
    try b.drop("2.txt", rest.map { step in [1, 3, 5].map { Self.line($0, step) }.joined() }.joined())
    for h in [single, a, b] {
      #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    }

    // Every alert, before and after the move, once: a keeps the record of
    // the moved series' closed incidents, b holds their open one.
    let together = Self.sorted(try a.query(Self.alerts) + b.query(Self.alerts))
    let one = Self.sorted(try single.query(Self.alerts))
    #expect(one.count > 6 && together == one, "\(together.count) alerts moved, \(one.count) at home")
    let after = "SELECT count(*) FROM alerts WHERE ts >= \(Self.t0 + 3 * Self.week * 300 + 3 * 300)"
    #expect(try Int(single.query(after)[0][0])! > 0, "no alert after the move: the test would prove little")
    // The incident open across the move is one incident on b, as at home
    // (the closed ones from before the move stay on a, as the record).
    let incidents =
      "SELECT series, start_ts, end_ts, alerts, severity, closed FROM incidents WHERE series = 'move.s1'"
    let there = Self.sorted(try a.query(incidents) + b.query(incidents))
    let home = Self.sorted(try single.query(incidents))
    #expect(try b.query(incidents).first?[1] == String(Double(Self.t0 + (3 * Self.week - 2) * 300)))
    #expect(there == home, "\(there) \(home)")
    // The moved series' counts, newest samples and history are b's now.
    let state =
      "SELECT name, samples, newest_ts FROM series WHERE name IN ('move.s1', 'move.s3', 'move.s5') ORDER BY name"
    #expect(try b.query(state) == single.query(state))
    let plotted = try b.run([
      "plot", "move.s3", "--from", String(Self.t0), "--to", String(Self.t0 + 4 * Self.week * 300), "-o",
      b.root + "/s3.svg", "--csv", b.root + "/s3.csv", "--config", b.config,
    ])
    #expect(plotted.status == 0, "\(plotted.errors)")
    let history = try String(contentsOfFile: b.root + "/s3.csv", encoding: .utf8).split(separator: "\n").count
    #expect(history > 14 * 288, "\(history) rows of history on b")
  }

  @Test func aFileThatCannotBeTrustedOrFitIsRefusedWhole() throws {
    let a = try Harness(), b = try Harness()
    try a.drop("1.txt", Self.file(0..<2, 0..<500))
    #expect(try a.run(["run", "--config", a.config, "--exit-when-idle"]).status == 0)
    let file = a.root + "/moved.series"
    #expect(try a.run(["series", "export", "move.*", "-o", file, "--config", a.config]).status == 0)

    // A byte changed in transit: the checksum says so, nothing imported.
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
    let changed = b.root + "/changed.series"
    bytes[bytes.count - 40] ^= 1
    try Data(bytes).write(to: URL(fileURLWithPath: changed))
    let corrupt = try b.run(["series", "import", changed, "--config", b.config])
    #expect(corrupt.status == 64 && corrupt.errors.contains("checksum does not match"), "\(corrupt.errors)")

    // Another calendar: refused, naming the difference.
    let other = try Harness()
    try other.writeConfig(detection: "threshold = 4.0\nmin_samples = 4", timeZone: "Europe/Paris")
    #expect(try other.run(["run", "--config", other.config, "--exit-when-idle"]).status == 0)
    let zone = try other.run(["series", "import", file, "--config", other.config])
    #expect(
      zone.status == 64 && zone.errors.contains("time_zone UTC, here Europe/Paris"), "\(zone.errors)")
    #expect(try other.query("SELECT count(*) FROM series") == [["0"]])

    // Once, not twice.
    #expect(try b.run(["run", "--config", b.config, "--exit-when-idle"]).status == 0)
    #expect(try b.run(["series", "import", file, "--config", b.config]).status == 0)
    let again = try b.run(["series", "import", file, "--config", b.config])
    #expect(again.status == 64 && again.errors.contains("imported already"), "\(again.errors)")

    // Not into a running daemon, which holds its series in memory.
    let daemon = try b.start(["run", "--config", b.config])
    defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGTERM); daemon.waitUntilExit() } }
    #expect(b.waitFor { b.stderr(of: daemon).contains("started") })
    let busy = try b.run(["series", "drop", "move.s0", "--config", b.config])
    #expect(busy.status == 64 && busy.errors.contains("stop it first"), "\(busy.errors)")
  }
}
