import Foundation
import Testing

@testable import OutlierdCore

/// What the operator reads when something is wrong: the file, key or
/// value, and the fix; numbers as numbers. The real binary.
@Suite("Messages")
struct MessageTests {
  @Test func aDecimalCommaIsAnsweredWithThePoint() throws {
    let h = try Harness(detection: "threshold = 3,5")
    let bare = try h.run(["check-config", "--config", h.config])
    #expect(bare.status == 78 && bare.errors.contains("write it with a decimal point: 3.5"), "\(bare.errors)")
    try h.writeConfig(detection: "threshold = \"3,5\"")
    let quoted = try h.run(["check-config", "--config", h.config])
    #expect(
      quoted.status == 78 && quoted.errors.contains("write it unquoted, with a decimal point: 3.5"),
      "\(quoted.errors)")
  }

  @Test func aMissingConfigOrANonDatabaseIsNamedWithTheFix() throws {
    let h = try Harness()
    let missing = try h.run(["status", "--config", h.root + "/nope.conf"])
    #expect(
      missing.status == 78 && missing.errors.contains("nope.conf: no such file; pass --config PATH"),
      "\(missing.errors)")
    #expect(!missing.errors.contains("The operation could not be completed"))
    let directory = try h.run(["status", "--config", h.root])
    #expect(directory.errors.contains("it is a directory"), "\(directory.errors)")
    try "not a database".write(toFile: h.root + "/x.db", atomically: true, encoding: .utf8)
    let notDatabase = try h.run(["status", "--database", h.root + "/x.db"])
    #expect(
      notDatabase.status != 0
        && notDatabase.errors.contains("x.db is not an outlierd database (SQLite: file is not a database)"),
      "\(notDatabase.errors)")
  }

  @Test func aBadTimeSaysWhatToWriteWithoutTheUsage() throws {
    let h = try Harness()
    try h.drop("a.txt", "m.a 1 1767571200\n")
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let bad = try h.run(["alerts", "--since", "yesterdayx", "--config", h.config])
    #expect(bad.status == 64 && bad.errors.contains("--since: cannot read \"yesterdayx\"; write e.g. 24h"))
    #expect(!bad.errors.contains("Usage:"), "\(bad.errors)")
    // Counts and seconds are integers, not 2.9e+07 or 1.0.
    let json = try h.run(["status", "--config", h.config, "--format", "json"]).output
    #expect(json.contains("\"samples\": 1,") && !json.contains("e+07"), "\(json)")
    let csv = try h.run(["status", "--config", h.config, "--format", "csv"]).output
    #expect(!csv.contains("e+07") && !csv.contains(",1.0,"), "\(csv)")
  }

  /// A plot of a range outside the history says so instead of writing an
  /// empty picture, and plot offers no --format (it writes SVG).
  @Test func anEmptyPlotSaysWhy() throws {
    let h = try Harness()
    try h.drop("a.txt", AlertmanagerTests.samples("p.a", 0..<100, spikeAt: -1))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let svg = h.root + "/p.svg"
    let empty = try h.run([
      "plot", "p.a", "--from", "2025-01-01", "--to", "2025-01-08", "-o", svg, "--config", h.config,
    ])
    #expect(
      empty.status == 1 && empty.errors.contains("no samples of p.a from 2025-01-01")
        && empty.errors.contains("its samples are kept from 2026-01-05")
        && empty.errors.contains("history_days"),
      "\(empty.errors)")
    #expect(!FileManager.default.fileExists(atPath: svg))
    #expect(try h.run(["plot", "p.a", "-o", svg, "--config", h.config]).status == 0)
    #expect(FileManager.default.fileExists(atPath: svg))
    #expect(!(try h.run(["plot", "--help"]).output.contains("--format")))
  }

  /// A plot draws each sample's band in the units it was judged in: a
  /// level shift confirmed since rescaled the slots, and the band of the
  /// samples before it is drawn at the old level (it was drawn at the new
  /// one, and the old samples sat far below it with no alert).
  @Test func aPlotDrawsTheBandOfEachSamplesOwnTime() throws {
    let h = try Harness()
    var rng = SplitMix64(seed: 9)
    let t0 = 1_767_571_200
    let shift = t0 + 4 * 604_800 + 2 * 86_400  // a Wednesday in week 5
    var lines = ""
    for s in 0..<(5 * 2016) {
      let t = t0 + s * 300
      let level = t >= shift ? 200.0 : 100.0
      lines += "p.shift \(level + rng.nextGaussian() * 2) \(t)\n"
    }
    try h.drop("a.txt", lines)
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(
      try h.query("SELECT count(*) FROM events WHERE kind = 'shift_confirmed' AND ratio > 1.8") == [["1"]])
    let csv = h.root + "/p.csv"
    let plot = try h.run([
      "plot", "p.shift", "--from", "\(shift - 2 * 86_400)", "--to", "\(shift + 2 * 86_400)", "-o",
      h.root + "/p.svg",
      "--csv", csv, "--config", h.config,
    ])
    #expect(plot.status == 0, "\(plot.errors)")
    let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").dropFirst().map {
      $0.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
    }
    func inside(_ range: Range<Int>) -> (inside: Int, count: Int) {
      let chosen = rows.filter { row in
        guard let time = row[0], let lower = row[3], row[4] != nil else { return false }
        _ = lower
        return range.contains(Int(time))
      }
      return (chosen.filter { $0[1]! >= $0[3]! && $0[1]! <= $0[4]! }.count, chosen.count)
    }
    let before = inside((shift - 2 * 86_400)..<shift)
    let after = inside((shift + 86_400)..<(shift + 2 * 86_400))
    #expect(before.count > 400 && Double(before.inside) >= 0.95 * Double(before.count), "before: \(before)")
    #expect(after.count > 200 && Double(after.inside) >= 0.95 * Double(after.count), "after: \(after)")
  }
}
