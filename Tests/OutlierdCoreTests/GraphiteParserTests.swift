import Foundation
import Testing

@testable import OutlierdCore

@Suite("Graphite plaintext input")
struct GraphiteParserTests {
  let now = 1_767_225_600.0  // 2026-01-01Z
  var parser: GraphiteLineParser {
    GraphiteLineParser(maxLineLength: 200, maxSeriesNameLength: 40, now: now, maxFuture: 900)
  }

  func parse(_ line: String) -> Result<ParsedSample, LineRejection>? {
    Array(line.utf8).withUnsafeBytes { parser.parse($0) }
  }

  @Test func acceptsGraphiteLines() throws {
    #expect(
      try parse("db.1.latency 12.5 1767225000")?.get()
        == ParsedSample(series: "db.1.latency", value: 12.5, timestamp: 1_767_225_000))
    #expect(
      try parse("  a.b\t-3e2   1767225000.25 ")?.get()
        == ParsedSample(series: "a.b", value: -300, timestamp: 1_767_225_000.25))
    #expect(try parse("x;host=a -0 1767225000")?.get().value == 0)
    #expect(try parse("x 1e100 1767225000")?.get().value == 1e100)
    #expect(try parse("x -1e-100 1767225000")?.get().value == -1e-100)
    #expect(try parse("x 0e400 1767225000")?.get().value == 0)
    #expect(try parse("x 0.1 1767225000")?.get().value == 0.1)
    #expect(
      try parse("x 123456789012345678901234567890 1767225000")?.get().value
        == 123456789012345678901234567890.0)
  }

  @Test func seriesBytesAreExactlyTheDocumentedOnes() {
    let allowed = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-:;=/@+".utf8))
    for byte in 0...255 {
      #expect(GraphiteLineParser.isSeriesByte(UInt8(byte)) == allowed.contains(UInt8(byte)), "byte \(byte)")
    }
  }

  @Test func blankLinesAndCommentsAreSkipped() {
    #expect(parse("") == nil)
    #expect(parse(" \t ") == nil)
    #expect(parse("# a comment 1 2") == nil)
  }

  @Test(arguments: [
    ("a.b 1", "field_count", "found 2"),
    ("a.b 1 2 3", "field_count", "found 4"),
    ("a b 1767225000", "bad_number", "value \"b\""),
    ("a.b nan 1767225000", "bad_number", "value \"nan\""),
    ("a.b inf 1767225000", "bad_number", "value \"inf\""),
    ("a.b 0x10 1767225000", "bad_number", "value \"0x10\""),
    ("a.b 1e 1767225000", "bad_number", "value \"1e\""),
    ("a.b . 1767225000", "bad_number", "value \".\""),
    ("a.b - 1767225000", "bad_number", "value \"-\""),
    ("a.b +. 1767225000", "bad_number", "value \"+.\""),
    ("a.b 1.2.3 1767225000", "bad_number", "value \"1.2.3\""),
    ("a.b --1 1767225000", "bad_number", "value \"--1\""),
    ("a.b 1e999 1767225000", "not_finite", "value \"1e999\" is not finite"),
    ("a.b 1e200 1767225000", "out_of_range", "value \"1e200\" is out of range"),
    ("a.b -1.1e100 1767225000", "out_of_range", "value \"-1.1e100\" is out of range"),
    ("a.b 1e-400 1767225000", "out_of_range", "value \"1e-400\" is out of range"),
    ("a.b 4.9e-324 1767225000", "out_of_range", "value \"4.9e-324\" is out of range"),
    ("a.b 0.9e-100 1767225000", "out_of_range", "value \"0.9e-100\" is out of range"),
    ("a.b 1 1767225000x", "bad_number", "timestamp \"1767225000x\""),
    ("a.b 1 600000000", "too_old", "timestamp 600000000 is before 1990"),
    ("a.b 1 1767226501", "in_future", "timestamp 1767226501 is more than"),
    ("a.b 1 1767225000000", "in_future", "timestamp 1767225000000 is more than"),
    ("a/b\"c 1 1767225000", "bad_series", "'\"' at byte 4"),
    ("a.b* 1 1767225000", "bad_series", "'*' at byte 4"),
    ("ümlaut 1 1767225000", "bad_series", "0xc3 at byte 1"),
    (
      "this.series.name.is.far.too.long.for.the.limit 1 1767225000", "series_too_long",
      "is 46 bytes, over the limit of"
    ),
  ])
  func rejectsWithAReason(line: String, kind: String, says: String) {
    guard case .failure(let reason)? = parse(line) else {
      Issue.record("accepted: \(line)")
      return
    }
    #expect(reason.kind == kind, "\(line): \(reason)")
    // The reason quotes what was wrong, so the producer can find it.
    #expect(reason.description.contains(says), "\(line): \(reason)")
  }

  @Test func overlongLinesAreRejected() {
    let line = "a " + String(repeating: "1", count: 300) + " 1767225000"
    guard case .failure(.lineTooLong(let length, let limit))? = parse(line) else {
      Issue.record("accepted")
      return
    }
    #expect(length == line.utf8.count && limit == 200)
  }

  @Test func linesSplitOnLFAndCRLFWithBOMAndNoFinalNewline() {
    let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("a 1 2\r\n\nb 3 4\nc 5 6".utf8)
    var lines: [(Int, String)] = []
    bytes.withUnsafeBytes { raw in
      SampleFile.forEachLine(in: raw) { number, line in
        lines.append((number, String(decoding: line, as: UTF8.self)))
      }
    }
    #expect(lines.map(\.0) == [1, 2, 3, 4])
    #expect(lines.map(\.1) == ["a 1 2", "", "b 3 4", "c 5 6"])
  }

  @Test func filesWithNulAreNotText() {
    let bytes: [UInt8] = Array("a 1 2\n".utf8) + [0] + Array("b".utf8)
    #expect(bytes.withUnsafeBytes { SampleFile.check($0) } == .notText(nulAt: 6))
    #expect(Array("a 1 2\n".utf8).withUnsafeBytes { SampleFile.check($0) } == nil)
  }
}

@Suite("SHA-256")
struct SHA256Tests {
  @Test(arguments: [
    ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
  ])
  func knownVectors(input: String, digest: String) {
    #expect(Array(input.utf8).withUnsafeBytes { SHA256.hex(of: $0) } == digest)
  }

  @Test func millionAs() {
    let whole = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
    #expect(
      whole.withUnsafeBytes { SHA256.hex(of: $0) }
        == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }
}

@Suite("Decimal fast path")
struct DecimalFastPathTests {
  /// The fast path must give exactly what strtod gives, or decline.
  @Test func agreesWithStrtodOnRandomDecimals() {
    var rng = SplitMix64(seed: 17)
    var checked = 0
    for _ in 0..<200_000 {
      let digits = Int(rng.next() % 18) + 1
      var text = rng.next() % 4 == 0 ? "-" : ""
      let point = Int(rng.next() % UInt64(digits + 1))
      for k in 0..<digits {
        if k == point && k > 0 { text += "." }
        text += String(rng.next() % 10)
      }
      let bytes = Array(text.utf8)
      let fast = bytes.withUnsafeBytes { GraphiteLineParser.fastDecimal($0, 0..<bytes.count) }
      guard let fast else { continue }
      let reference = strtod(text, nil)
      #expect(fast.bitPattern == reference.bitPattern, "\(text): \(fast) vs \(reference)")
      checked += 1
    }
    #expect(checked > 100_000)
  }
}

extension DecimalFastPathTests {
  /// Eight digits are recognised and read at once; any other byte at any
  /// place is not taken for a digit.
  @Test func eightDigitsAtOnce() {
    var rng = SplitMix64(seed: 23)
    for _ in 0..<10_000 {
      let text = String(format: "%08llu", rng.next() % 100_000_000)
      let word = Array(text.utf8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
      #expect(GraphiteLineParser.areEightDigits(word))
      #expect(GraphiteLineParser.valueOfEightDigits(word) == UInt64(text))
    }
    for place in 0..<8 {
      for byte in UInt8.min...UInt8.max where !(0x30...0x39).contains(byte) {
        var bytes = Array("12345678".utf8)
        bytes[place] = byte
        #expect(
          !GraphiteLineParser.areEightDigits(bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }))
      }
    }
  }
}

@Suite("Common-line fast path")
struct CommonLineTests {
  /// Lines near the common shape, mutated byte by byte: wherever the one-pass
  /// parse answers, it answers what the general parser does, and it answers
  /// for the common lines.
  @Test func agreesWithTheGeneralParser() {
    let parser = GraphiteLineParser(
      maxLineLength: 80, maxSeriesNameLength: 24, now: 1_767_571_200, maxFuture: 900)
    let bases = [
      "servers.host000.cpu 69.905 1767571200", "a 1 1767571200", "a.b -0.5 1767571200.25",
      "x 12345678901234567 1767571200", "x 1e3 1767571200", "x 1 631152000", "x 1 631151999",
      "x 1 1767572100", "x 1 1767572101", "very.long.series.name.over.24 1 1767571200", "#c 1 2",
    ]
    let alphabet = Array(" \t.-+e0123456789#aZ_/@,\r".utf8)
    var rng = SplitMix64(seed: 5)
    var common = 0
    var compared = 0
    for base in bases {
      for _ in 0..<4000 {
        var bytes = Array(base.utf8)
        for _ in 0..<Int(rng.next() % 3) {
          let at = Int(rng.next() % UInt64(bytes.count + 1))
          let byte = alphabet[Int(rng.next() % UInt64(alphabet.count))]
          switch rng.next() % 3 {
          case 0 where at < bytes.count: bytes[at] = byte
          case 1 where at < bytes.count: bytes.remove(at: at)
          default: bytes.insert(byte, at: at)
          }
        }
        bytes.withUnsafeBytes { line in
          let general = parser.parseAnyLine(line)
          if let fast = parser.commonLine(line) {
            #expect(fast == general, "\(String(decoding: line, as: UTF8.self))")
            compared += 1
          }
          if case .sample = general { common += 1 }
        }
      }
    }
    #expect(compared > 5000)
    #expect(Double(compared) > 0.5 * Double(common))
    // Common lines take the one-pass path.
    for text in ["servers.host000.cpu 69.905 1767571200", "a.b -0.5 1767571200.25", "x 1 631152000"] {
      #expect(Array(text.utf8).withUnsafeBytes { parser.commonLine($0) } != nil, "\(text)")
    }
  }
}
