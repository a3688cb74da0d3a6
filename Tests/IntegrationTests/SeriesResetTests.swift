import Foundation
import Testing

@testable import OutlierdCore

#if canImport(Glibc)
  import Glibc
#endif

/// `outlierd series reset`, the real binary: applied by itself when no
/// daemon runs, by the daemon when one does; the series learns anew.
@Suite("Series reset")
struct SeriesResetTests {
  static func seriesRow(_ h: Harness, _ name: String) throws -> [String] {
    let csv = try h.run(["series", name, "--format", "csv", "--config", h.config]).output.split(
      separator: "\n")
    return csv.count > 1
      ? csv[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init) : []
  }

  /// A glob resets every matching series (a re-provisioned host's), and
  /// asks for --yes when it matches more than one. (A glob was taken as
  /// one series' name before: "no series named web.h7.*".)
  @Test func aGlobResetsEveryMatchingSeriesOnceConfirmed() throws {
    let h = try Harness()
    for name in ["web.h7.cpu", "web.h7.mem", "web.h8.cpu"] {
      try h.drop(name + ".txt", AlertmanagerTests.samples(name, 0..<100, spikeAt: -1))
    }
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    let unconfirmed = try h.run(["series", "reset", "web.h7.*", "--config", h.config])
    #expect(
      unconfirmed.status == 64 && unconfirmed.errors.contains("2 series match 'web.h7.*'")
        && unconfirmed.errors.contains("web.h7.cpu") && unconfirmed.errors.contains("add --yes"),
      "\(unconfirmed.errors)")
    #expect(try h.query("SELECT count(*) FROM events") == [["0"]])
    let confirmed = try h.run(["series", "reset", "web.h7.*", "--yes", "--config", h.config])
    #expect(confirmed.status == 0, "\(confirmed.output)\(confirmed.errors)")
    #expect(
      try h.query("SELECT series FROM events WHERE kind = 'reset' ORDER BY series") == [
        ["web.h7.cpu"], ["web.h7.mem"],
      ])
    let none = try h.run(["series", "reset", "db.*", "--config", h.config])
    #expect(none.status == 64 && none.errors.contains("no series matches"), "\(none.errors)")
  }

  @Test func aResetSeriesLearnsAnewWithOrWithoutTheDaemon() throws {
    let h = try Harness()
    try h.drop("a.txt", AlertmanagerTests.samples("reset.a", 0..<245, spikeAt: 240))
    try h.drop("b.txt", AlertmanagerTests.samples("reset.b", 0..<576, spikeAt: -1))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(
      try Self.seriesRow(h, "reset.a").prefix(6) == [
        "reset.a", "245", "0", "245", "2026-01-05 20:20:00 +00:00", "incident",
      ])

    // No daemon: applied here.
    let here = try h.run(["series", "reset", "reset.a", "--config", h.config])
    #expect(
      here.status == 0 && here.output == "reset reset.a: model dropped; it learns anew\n",
      "\(here.output)\(here.errors)")
    #expect(
      try Self.seriesRow(h, "reset.a").prefix(6) == [
        "reset.a", "0", "0", "0", "2026-01-05 20:20:00 +00:00", "ok",
      ])
    #expect(try h.query("SELECT closed FROM incidents WHERE series = 'reset.a'") == [["1"]])
    #expect(try h.query("SELECT kind FROM events WHERE series = 'reset.a'") == [["reset"]])
    let unknown = try h.run(["series", "reset", "no.such", "--config", h.config])
    #expect(unknown.status == 1 && unknown.output == "no series named no.such\n")

    // With the daemon: it applies the request, and keeps no stale copy of
    // the series' blocks in its cache.
    let daemon = try h.start(["run", "--config", h.config])
    defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGTERM) } }
    try h.drop("c.txt", AlertmanagerTests.samples("reset.b", 576..<577, spikeAt: -1))
    #expect(h.waitFor(seconds: 10) { h.spoolFiles().isEmpty })
    #expect(try Self.seriesRow(h, "reset.b")[1] == "577")
    let there = try h.run(["series", "reset", "reset.b", "--config", h.config])
    #expect(
      there.status == 0 && there.output == "reset reset.b: model dropped; it learns anew\n",
      "\(there.output)\(there.errors)")
    try h.drop("d.txt", AlertmanagerTests.samples("reset.b", 577..<578, spikeAt: -1))
    #expect(h.waitFor(seconds: 10) { h.spoolFiles().isEmpty })
    // One sample since the reset, in one slot: nothing of its old blocks came back.
    let after = try Self.seriesRow(h, "reset.b")
    #expect(after.prefix(4) == ["reset.b", "1", "0", "1"], "\(after)")
    kill(daemon.processIdentifier, SIGTERM)
    daemon.waitUntilExit()
    #expect(h.stderr(of: daemon).contains("reset reset.b: model dropped; it learns anew"))
  }
}
