import Foundation
import Testing

@testable import OutlierdCore

@Suite("Configuration file")
struct SettingsTests {
  func parse(_ text: String) throws(ConfigError) -> Settings {
    try Settings(parsing: text, file: "test.conf")
  }

  func error(_ text: String) -> ConfigError? {
    do {
      _ = try parse(text)
      return nil
    } catch { return error }
  }

  @Test func shippedConfigIsValidAndHoldsTheDefaults() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("etc/outlierd.conf")
    let text = try String(contentsOf: url, encoding: .utf8)
    // The shipped file holds the defaults, and no override or maintenance
    // window is in force (an example left active surprised operators).
    #expect(try parse(text) == Settings())
    // Its commented examples are valid once uncommented.
    let examples = text.split(separator: "\n", omittingEmptySubsequences: false)
      .filter { $0.hasPrefix("#   ") }.map { String($0.dropFirst(4)) }.joined(separator: "\n")
    let uncommented = try parse(examples)
    #expect(uncommented.overrides.count == 1 && uncommented.overrides[0].threshold == 5.0)
    #expect(uncommented.maintenance.count == 1)
  }

  /// etc/outlierd.conf documents exactly the keys of `Settings.keys`, each
  /// in its table, and `rendered()` writes exactly them: the one list of
  /// keys drives the parser, the renderer and the shipped documentation.
  @Test func theShippedConfigAndTheRenderedSettingsHoldEveryKeyOnce() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("etc/outlierd.conf")
    let wanted = Set(Settings.keys.map { "\($0.table).\($0.name)" })
    #expect(wanted.count == Settings.keys.count, "a key is listed twice")
    for (what, text) in [
      ("etc/outlierd.conf", try String(contentsOf: url, encoding: .utf8)),
      ("rendered()", Settings().rendered()),
    ] {
      let document = try ConfigDocument(parsing: text, file: what)
      let found = document.tables.filter { !$0.isArrayElement }.flatMap { table in
        table.entries.map { "\(table.name).\($0.key)" }
      }
      #expect(
        Set(found) == wanted && found.count == wanted.count,
        "\(what): missing \(wanted.subtracting(found).sorted()), unknown \(Set(found).subtracting(wanted).sorted())"
      )
    }
  }

  /// Sizes and durations at the extremes are errors that name the key,
  /// never an overflow trap ("9000000000GiB" crashed check-config and the
  /// daemon's reload).
  @Test(arguments: [
    "[storage]\nmax_size = \"9000000000GiB\"",
    "[storage]\nmax_size = \"9223372036854775807KiB\"",
    "[storage]\nmax_size = \"99999999999999999999B\"",
    "[storage]\nmax_size = -1",
    "[input]\nmax_file_size = \"9000000000GiB\"",
    "[storage]\nbusy_timeout = \"1e308w\"",
    "[storage]\nbusy_timeout = \"nan\"",
    "[spool]\nrescan_interval = \"-1s\"",
    "[calendar]\nperiod = \"1e300w\"",
    "[detection]\nincident_gap = \"inf\"",
  ])
  func extremeSizesAndDurationsAreErrors(text: String) {
    let key = String(text.split(separator: "\n")[1].split(separator: " ")[0])
    guard let error = error(text) else {
      Issue.record("accepted: \(text)")
      return
    }
    #expect(error.description.contains(key), "\(error)")
  }

  @Test func readsEveryKind() throws {
    let s = try parse(
      """
      # comment
      [storage]
      database = "/tmp/x.db"   # trailing comment
      [spool]
      directory = '/tmp/spool#1'
      rescan_interval = "2m"
      [input]
      max_file_size = "2MiB"
      max_future = 60
      [calendar]
      period = "1d"
      slot_width = 600
      time_zone = "Europe/Berlin"
      [detection]
      threshold = 3.5
      min_samples = 5
      memory = 12
      learning = "skip"
      [[override]]
      series = "db.*.latency"
      threshold = 6
      [[override]]
      series = "web.*"
      min_samples = 8
      """)
    #expect(s.database == "/tmp/x.db")
    #expect(s.spool == "/tmp/spool#1")
    #expect(s.rescanInterval == 120)
    #expect(s.maxFileSize == 2 << 20)
    #expect(s.maxFuture == 60)
    #expect(s.period == 86_400 && s.slotWidth == 600 && s.timeZone == "Europe/Berlin")
    #expect(s.threshold == 3.5 && s.minSamples == 5 && s.memory == 12 && s.learning == .skip)
    #expect(s.rules(forSeries: "db.7.latency").threshold == 6)
    #expect(s.rules(forSeries: "db.7.latency").minimumSamples == 5)
    #expect(s.rules(forSeries: "web.front").minimumSamples == 8)
    #expect(s.rules(forSeries: "web.front").threshold == 3.5)
    #expect(s.rules(forSeries: "other").memory == 12)
  }

  @Test(
    arguments: [
      ("[detection]\nthreshhold = 4", 2, "detection.threshhold", "unknown key"),
      ("[detection]\nthreshold = \"high\"", 2, "detection.threshold", "expected a number"),
      ("[detection]\nthreshold = -1", 2, "detection.threshold", "must be between"),
      ("[detection]\nmin_samples = 1", 2, "detection.min_samples", "must be between 2"),
      (
        "[detection]\nthreshold_scale = \"z\"", 2, "detection.threshold_scale",
        "must be one of \"normal\", \"t\", got \"z\""
      ),
      (
        "[detection]\nlearning = \"forget\"", 2, "detection.learning",
        "must be one of \"learn\", \"clip\", \"skip\""
      ),
      ("\n\n[calender]\nperiod = 1", 3, nil, "unknown table [calender]"),
      ("[spool]\ndirectory = /tmp", 2, "directory", "quote strings"),
      ("[spool]\nrescan_interval = \"5 parsecs\"", 2, "spool.rescan_interval", "cannot read"),
      ("[spool]\nbatch_files = 0", 2, "spool.batch_files", "must be between"),
      ("[input]\nmax_file_size = \"12 XB\"", 2, "input.max_file_size", "cannot read"),
      ("[detection]\nthreshold = 4\nthreshold = 5", 3, "threshold", "set twice"),
      ("[detection]\nthreshold = [1, 2]", 2, "threshold", "arrays"),
      ("[detection]\n[detection]", 2, nil, "defined twice"),
      ("database = \"/x\"", 1, "database", "unknown key in the top level"),
      ("[spool]\ndirectory = \"/tmp", 2, "directory", "unterminated"),
      ("just words", 1, nil, "expected `key = value`"),
    ] as [(String, Int, String?, String)])
  func errorsNameFileLineAndKey(text: String, line: Int, key: String?, message: String) throws {
    let e = try #require(error(text))
    #expect(e.file == "test.conf")
    #expect(e.line == line, "\(e)")
    #expect(e.key == key, "\(e)")
    #expect(e.message.contains(message), "\(e)")
    #expect(e.description.hasPrefix("test.conf:\(line): "))
  }

  @Test func crossKeyChecks() throws {
    let calendar = try #require(error("[calendar]\nslot_width = 7000"))
    #expect(calendar.key == "calendar" && calendar.message.contains("does not divide"))
    let zone = try #require(error("[calendar]\ntime_zone = \"Europe/Atlantis\""))
    #expect(zone.message.contains("unknown time zone"))
    let unpooled = try #require(error("[detection]\nmin_samples = 2\npool_slots = 1"))
    #expect(unpooled.key == "detection.min_samples" && unpooled.message.contains("needs pooled noise"))
    let memory = try #require(error("[detection]\nmin_samples = 6\nmemory = 4"))
    #expect(memory.key == "detection.memory")
  }

  @Test func renderedSettingsParseBackToTheSame() throws {
    var s = Settings()
    s.timeZone = "America/New_York"
    s.threshold = 5.5
    s.database = "/var/lib/a \"quoted\" name.db"
    s.overrides = [.init(series: "db.*", threshold: 7, minSamples: nil)]
    #expect(try parse(s.rendered()) == s)
  }
}

@Suite("Maintenance windows, parsed")
struct MaintenanceWindowTests {
  @Test func windowsMapToTheirSlotsAndWrapPastSunday() throws {
    let deploy = try #require(MaintenanceWindow(series: "*", weekly: "Mon 20:00-21:00"))
    #expect(deploy.slots(slotWidth: 300, slotCount: 2016) == [240..<252])
    let night = try #require(MaintenanceWindow(series: "*", weekly: "Sun 23:00-01:00"))
    #expect(night.slots(slotWidth: 300, slotCount: 2016) == [2004..<2016, 0..<12])
    // A start between slot boundaries covers the slots that begin inside it.
    let odd = try #require(MaintenanceWindow(series: "*", weekly: "Tue 00:02-00:10"))
    #expect(odd.slots(slotWidth: 300, slotCount: 2016) == [289..<290])
    for bad in ["Sunday 02:00-04:00", "Sun 2:00-4:00", "Sun 02:00", "Sun 02:00-02:00", "Sun 25:00-26:00"] {
      #expect(MaintenanceWindow(series: "*", weekly: bad) == nil, "\(bad)")
    }
  }
}
