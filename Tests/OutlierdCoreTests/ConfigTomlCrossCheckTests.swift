import Foundation
import Testing

@testable import OutlierdCore

/// ConfigDocument, outlierd's reader of a TOML subset, against Python's
/// tomllib on a corpus of documents: what both read must be read the same;
/// what TOML forbids, outlierd must refuse; what TOML allows outside the
/// subset, outlierd must refuse (with a line and a message), never misread.
/// Each document's verdict is checked against tomllib too, so the corpus's
/// labels cannot drift from TOML.
@Suite("Config against tomllib")
struct ConfigTomlCrossCheckTests {
  enum Verdict {
    /// Valid TOML inside the subset: both read it, to the same values.
    case same
    /// Not TOML: both refuse it.
    case invalid
    /// TOML outside the subset: tomllib reads it, outlierd refuses it.
    case outsideSubset
  }

  static let corpus: [(String, Verdict)] = [
    // The shapes outlierd.conf uses.
    ("[spool]\ndirectory = \"/var/spool/outlierd\"\nbatch_files = 64\n", .same),
    ("# only a comment\n", .same),
    ("", .same),
    ("top = 1\n[detection]\nthreshold = 3.5\nleverage = true\ncalibrate = false\n", .same),
    (
      "[[override]]\nseries = \"db.*\"\nthreshold = 5\n[[override]]\nseries = 'web.*'\nmin_samples = 8\n",
      .same
    ),
    ("[detection]\n[[override]]\nseries = \"a\"\n[storage]\ndatabase = \"x\"\n", .same),
    ("[[override]]\n[[override]]\nseries = \"b\"\n", .same),
    ("[ spool ]\n  directory   =   \"/x\"   # trailing comment\n", .same),
    ("[spool]\r\ndirectory = \"/x\"\r\n", .same),
    ("a = \"tab\\tnew\\nquote\\\"back\\\\\"\n", .same),
    ("a = 'C:\\path\\to'\n", .same),
    ("a = \"has # hash\"\nb = 'also # here'\n", .same),
    ("a = \"it's\"\nb = '\"quoted\"'\n", .same),
    ("a = \"\"\nb = ''\n", .same),
    ("a = \"ünïcödé ✓\"\n", .same),
    ("key-with_dash = 1\n1digit = 2\nUPPER = 3\n", .same),
    ("a = 1_000_000\nb = -17\nc = +42\nd = 0\ne = -0\n", .same),
    ("a = 9223372036854775807\nb = -9223372036854775808\n", .same),
    ("a = 1.5\nb = -0.25\nc = 1e3\nd = 2E-2\ne = 6.02e+23\nf = -0.0\ng = 1_000.5\nh = +1.0\n", .same),
    ("a = 3.5 # threshold\n", .same),
    ("a = true\nb = false\n", .same),
    ("a = 1\n\n\n   \n\t\nb = 2\n", .same),
    ("[a]\n[b]\n", .same),
    // Not TOML.
    ("a = 1\na = 2\n", .invalid),
    ("[a]\n[a]\n", .invalid),
    ("[a]\n[[a]]\n", .invalid),
    ("[[a]]\n[a]\n", .invalid),
    ("a =\n", .invalid),
    ("= 1\n", .invalid),
    ("a b = 1\n", .invalid),
    ("a = \"unterminated\n", .invalid),
    ("a = 'unterminated\n", .invalid),
    ("a = \"x\" trailing\n", .invalid),
    ("a = \"bad \\q escape\"\n", .invalid),
    ("a = True\n", .invalid),
    ("a = yes\n", .invalid),
    ("a = bare words\n", .invalid),
    ("[a\nb = 1\n", .invalid),
    ("[[a]\nb = 1\n", .invalid),
    ("a = 1__0\n", .invalid),
    ("a = _1\n", .invalid),
    ("a = 1_\n", .invalid),
    ("a = 012\n", .invalid),
    ("a = 1.\n", .invalid),
    ("a = .5\n", .invalid),
    ("a = 1e\n", .invalid),
    ("a = 1.5.2\n", .invalid),
    ("a = \"ctrl\u{01}char\"\n", .invalid),
    ("ü = 1\n", .invalid),
    ("just words\n", .invalid),
    // TOML, but not the subset outlierd.conf is written in.
    ("a = [1, 2]\n", .outsideSubset),
    ("a = { b = 1 }\n", .outsideSubset),
    ("a = 0x10\n", .outsideSubset),
    ("a = 0o17\n", .outsideSubset),
    ("a = 0b101\n", .outsideSubset),
    ("a = inf\n", .outsideSubset),
    ("a = nan\n", .outsideSubset),
    ("a = 1979-05-27\n", .outsideSubset),
    ("a = \"\"\"multi\nline\"\"\"\n", .outsideSubset),
    ("a = \"\\u00e9\"\n", .outsideSubset),
    ("a.b = 1\n", .outsideSubset),
    ("\"quoted key\" = 1\n", .outsideSubset),
    ("[a.b]\nc = 1\n", .outsideSubset),
    ("a = 9223372036854775808\n", .outsideSubset),
  ]

  typealias Entry = [String]

  /// ConfigDocument's reading in tomllib_dump.py's shape.
  static func entries(_ document: ConfigDocument) -> [Entry] {
    var elements: [String: Int] = [:]
    var out: [Entry] = []
    for table in document.tables {
      var element = -1
      if table.isArrayElement {
        element = elements[table.name, default: 0]
        elements[table.name] = element + 1
      }
      for entry in table.entries {
        let (type, value): (String, String)
        switch entry.value {
        case .string(let s): (type, value) = ("string", s)
        case .integer(let i): (type, value) = ("integer", String(i))
        case .float(let d): (type, value) = ("float", String(d))
        case .boolean(let b): (type, value) = ("boolean", b ? "true" : "false")
        }
        out.append([table.name, String(element), entry.key, type, value])
      }
      if table.entries.isEmpty && !table.name.isEmpty {
        out.append([table.name, String(element), "", "table", ""])
      }
    }
    return out
  }

  /// Entries with floats compared as numbers, not as their spelling.
  static func same(_ a: [Entry], _ b: [Entry]) -> Bool {
    a.count == b.count
      && zip(a.sorted { $0.lexicographicallyPrecedes($1) }, b.sorted { $0.lexicographicallyPrecedes($1) })
        .allSatisfy { x, y in
          x[..<4] == y[..<4]
            && (x[3] == "float"
              ? Double(x[4]).map { a in Double(y[4]).map { a == $0 && a.sign == $0.sign } ?? false } ?? false
              : x[4] == y[4])
        }
  }

  @Test func configDocumentReadsWhatTomllibReads() throws {
    let directory = NSTemporaryDirectory() + "outlierd-toml-" + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let paths = Self.corpus.indices.map { directory + "/\($0).toml" }
    for (path, (text, _)) in zip(paths, Self.corpus) {
      try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/toml/tomllib_dump.py").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script] + paths
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let lines = output.split(separator: UInt8(ascii: "\n"))
    try #require(lines.count == Self.corpus.count)

    struct Answer: Decodable {
      var ok: Bool
      var entries: [[Answer.Field]]?
      enum Field: Decodable {
        case text(String)
        case number(Int)
        init(from decoder: Decoder) throws {
          let c = try decoder.singleValueContainer()
          if let n = try? c.decode(Int.self) {
            self = .number(n)
          } else {
            self = .text(try c.decode(String.self))
          }
        }
        var string: String {
          switch self {
          case .text(let s): return s
          case .number(let n): return String(n)
          }
        }
      }
    }
    for (index, (text, verdict)) in Self.corpus.enumerated() {
      let answer = try JSONDecoder().decode(Answer.self, from: Data(lines[index]))
      let shown = text.debugDescription
      let ours = Result { () throws(ConfigError) in try ConfigDocument(parsing: text, file: "\(index).toml") }
      switch verdict {
      case .same:
        #expect(answer.ok, "tomllib refuses \(shown), labelled valid")
        guard case .success(let document) = ours else {
          Issue.record("outlierd refuses \(shown): \(ours)")
          continue
        }
        let theirs = (answer.entries ?? []).map { $0.map(\.string) }
        #expect(
          Self.same(Self.entries(document), theirs),
          "\(shown): outlierd \(Self.entries(document)), tomllib \(theirs)")
      case .invalid, .outsideSubset:
        #expect(answer.ok == (verdict == .outsideSubset), "tomllib's verdict on \(shown) is not \(verdict)")
        guard case .failure(let error) = ours else {
          Issue.record("outlierd reads \(shown), which it must refuse")
          continue
        }
        // A refusal names the line.
        #expect(error.line != nil, "\(shown): \(error)")
      }
    }
  }
}
