import Foundation
import Testing

@testable import OutlierdCore

@Suite("Hostile input", .serialized)
struct HostileInputTests {
  static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/bad-files").path

  /// name → (accepted, rejected kinds in line order), or nil when the whole file is refused.
  static let expected: [String: (Int, [String])?] = [
    "empty.txt": (0, []),
    "binary.bin": nil,
    "nul-byte.txt": nil,
    "crlf.txt": (2, []),
    "bom.txt": (2, []),
    "invalid-utf8.txt": (2, ["bad_series"]),
    "extremes.txt": (5, ["not_finite", "out_of_range", "out_of_range", "out_of_range"]),
    "huge-timestamps.txt": (1, ["in_future", "in_future", "too_old", "in_future"]),
    "truncated.txt": (2, ["too_old"]),
    "fields.txt": (1, ["field_count", "field_count"]),
    "hex-nan-inf.txt": (0, Array(repeating: "bad_number", count: 6)),
  ]

  @Test func everyBadFileIsRefusedOrAccountedLineByLine() throws {
    let h = try Harness()
    let names = try FileManager.default.contentsOfDirectory(atPath: Self.corpus).sorted()
    #expect(Set(names) == Set(Self.expected.keys))
    for name in names {
      let result = try h.run(["ingest", "--config", h.config, Self.corpus + "/" + name])
      let rows = try h.query("SELECT id, lines_accepted, lines_rejected FROM files WHERE name = '\(name)'")
      switch Self.expected[name]! {
      case nil:
        #expect(result.status == 2, "\(name)")
        #expect(rows.isEmpty, "\(name) was refused, so it has no ledger row")
        #expect(result.errors.contains("not text"), "\(name): \(result.errors)")
      case let (accepted, kinds)?:
        #expect(result.status == 0, "\(name): \(result.errors)")
        let row = try #require(rows.first, "\(name)")
        #expect(row[1] == "\(accepted)" && row[2] == "\(kinds.count)", "\(name): \(row)")
        let stored = try h.query("SELECT kind FROM rejections WHERE file_id = \(row[0]) ORDER BY line").map {
          $0[0]
        }
        #expect(stored == kinds, "\(name)")
      }
    }
    // ±1e100 (the largest magnitude), -0, 0e5 and 1e-100 (the smallest)
    // are accepted as given; 1e200, 1e-400 and the smallest subnormal are not.
    let reader = try StoreReader(path: h.database)
    for name in ["ext.e", "ext.f", "ext.g"] { #expect(try reader.series(named: name) == nil, "\(name)") }
    for name in ["ext.a", "ext.b", "ext.c", "ext.h", "ext.i"] {
      let id = try #require(try reader.series(named: name)).id
      let history = try reader.history(series: id, from: 0, to: 2e9)
      #expect(history.count == 1, "\(name)")
      if name == "ext.b" { #expect(history.first?.value.sign == .minus && history.first?.value == 0) }
    }
  }

  @Test func aTenMegabyteLineIsRejectedNotRead() throws {
    let h = try Harness()
    let path = h.root + "/long.txt"
    var data = Data("long.a 1 1767571200\n".utf8)
    data.append(Data(repeating: UInt8(ascii: "x"), count: 10 << 20))
    data.append(Data(" 1 1767571200\nlong.a 2 1767571500\n".utf8))
    try data.write(to: URL(fileURLWithPath: path))
    let result = try h.run(["ingest", "--config", h.config, path])
    #expect(result.status == 0)
    #expect(try h.query("SELECT lines_accepted, lines_rejected FROM files") == [["2", "1"]])
    #expect(try h.query("SELECT kind, length(text) FROM rejections") == [["line_too_long", "1000"]])
  }

  /// Values in range whose score squared is finite but 16 times it is
  /// not: a series of values near 1e-100 that vary in their third digit,
  /// then 5e51. Scoring it once read +∞'s binary exponent (Int.max) and
  /// doubled it, and the daemon died on the file at every start (found
  /// 2026-12-02). Now it is an alert like any other.
  @Test func aScoreAtTheEdgeOfTheDoubleRangeIsAnAlertNotACrash() throws {
    let h = try Harness()
    let path = h.root + "/edge.txt"
    let t0 = 1_767_571_200
    var lines = (0..<300).map { "edge.tiny \(1e-100 * (1 + Double($0 % 7) * 1e-3)) \(t0 + 300 * $0)" }
    lines.append("edge.tiny 5e51 \(t0 + 300 * 300)")
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    let result = try h.run(["ingest", "--config", h.config, path])
    #expect(result.status == 0, "\(result.errors)")
    #expect(try h.query("SELECT lines_accepted, lines_rejected, alerts FROM files") == [["301", "0", "1"]])
    #expect(try h.query("SELECT value, baseline FROM alerts") == [["5.0e+51", "recent"]])
  }

  @Test func aVanishedFileIsNotAnError() throws {
    let h = try Harness()
    let settings = try Settings.load(path: h.config)
    let store = try Store(path: h.database, calendar: try settings.calendar())
    let processor = FileProcessor(
      ingestor: try Ingestor(settings: settings, store: store), disposal: .removeFromSpool,
      logger: .init(label: "test"))
    guard case .vanished = try processor.process(path: h.spool + "/gone.txt") else {
      Issue.record("a missing file should be .vanished")
      return
    }
  }

  /// Random lines, biased towards almost-valid ones: the parser never
  /// traps, and every line is skipped (blank, comment), accepted with valid
  /// fields, or rejected with a reason.
  @Test func randomLinesAreAcceptedOrRejectedWithAReason() {
    let kinds: Set = [
      "field_count", "line_too_long", "series_too_long", "bad_series", "bad_number", "not_finite",
      "out_of_range", "too_old", "in_future",
    ]
    let parser = GraphiteLineParser(
      maxLineLength: 120, maxSeriesNameLength: 40, now: 1_767_571_200, maxFuture: 900)
    var rng = SplitMix64(seed: 23)
    let pieces = [
      "a.b", " ", "\t", "1", "-", "+", ".", "e", "E", "5", "0", "nan", "inf", "#", "x", "1767571200",
      "17675712000",
      "\u{FF}", ";", "=", "\0", "1e308", "1e999", "0x1p3", "ü", "\r",
    ].map { Array($0.utf8) }
    var accepted = 0, rejected = 0, skipped = 0
    for _ in 0..<100_000 {
      var line: [UInt8] = []
      if rng.next() % 3 == 0 {
        // Three fields, each from the pieces: often valid, often almost.
        line = pieces[0] + pieces[1] + pieces[Int(rng.next() % 12) + 3] + pieces[1] + pieces[15]
      }
      for _ in 0..<Int(rng.next() % 12) {
        if rng.next() % 5 == 0 {
          // Any byte but LF: a line never holds one (the splitter cuts there).
          let byte = UInt8(truncatingIfNeeded: rng.next())
          line.append(byte == 10 ? 11 : byte)
        } else {
          line += pieces[Int(rng.next() % UInt64(pieces.count))]
        }
      }
      switch line.withUnsafeBytes({ parser.parse($0) }) {
      case nil: skipped += 1
      case .success(let sample)?:
        accepted += 1
        #expect(sample.value.isFinite && sample.timestamp >= GraphiteLineParser.earliestTimestamp)
        #expect(sample.timestamp <= parser.latestTimestamp)
        #expect(!sample.series.isEmpty && sample.series.utf8.allSatisfy(GraphiteLineParser.isSeriesByte))
      case .failure(let reason)?:
        rejected += 1
        // Its reason is one line of the .rejected file, under one kind.
        #expect(!reason.description.contains("\n") && kinds.contains(reason.kind), "\(reason)")
      }
    }
    #expect(accepted > 100 && rejected > 10_000 && skipped > 1000, "\(accepted) \(rejected) \(skipped)")
  }

  @Test func linesAreSplitWithoutLosingAny() {
    var rng = SplitMix64(seed: 29)
    for _ in 0..<2000 {
      let bytes = (0..<Int(rng.next() % 300)).map { _ in
        [UInt8(10), 13, 65, 0xEF, 0xBB, 0xBF, 32][Int(rng.next() % 7)]
      }
      var lines: [[UInt8]] = []
      bytes.withUnsafeBytes { raw in
        SampleFile.forEachLine(in: raw) { number, line in
          #expect(number == lines.count + 1)
          lines.append(Array(line))
        }
      }
      // The same split done plainly: without a leading BOM, cut at every LF,
      // no line after a final LF, and one CR before each LF dropped.
      let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
      var wanted = body.split(separator: 10, omittingEmptySubsequences: false).map { Array($0) }
      if body.last == 10 || body.isEmpty { wanted.removeLast() }
      for i in wanted.indices where wanted[i].last == 13 { wanted[i].removeLast() }
      #expect(lines == wanted, "\(bytes)")
    }
  }
}
