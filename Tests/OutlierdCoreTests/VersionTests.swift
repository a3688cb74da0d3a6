import Foundation
import Testing

@testable import OutlierdCore

/// The version scheme: the minor version goes up with the schema or the
/// track format, and CHANGELOG.md and the Debian changelog say so. Fails
/// when a migration or a track format is added without a release entry.
@Suite("Versions")
struct VersionTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  struct Release: Equatable {
    var version: [Int]
    var schema: Int
    var track: Int
  }

  /// The releases CHANGELOG.md lists, newest first, from headings like
  /// `## 0.6.0 — 2026-12-07 (schema 14, track 11)`.
  static func releases() throws -> [Release] {
    let text = try String(contentsOf: root.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
    let heading = /^## (\d+)\.(\d+)\.(\d+) — \d{4}-\d{2}-\d{2} \(schema (\d+), track (\d+)\)$/
    return text.split(separator: "\n").filter { $0.hasPrefix("## ") }.map { line in
      guard let match = line.wholeMatch(of: heading) else {
        Issue.record("CHANGELOG.md: a release heading not in the form of the others: \(line)")
        return Release(version: [], schema: 0, track: 0)
      }
      return Release(
        version: [Int(match.1)!, Int(match.2)!, Int(match.3)!], schema: Int(match.4)!, track: Int(match.5)!)
    }
  }

  @Test func theChangelogsNewestReleaseIsThisSource() throws {
    let newest = try #require(try Self.releases().first)
    #expect(newest.version.map(String.init).joined(separator: ".") == OutlierdVersion.version)
    #expect(
      newest.schema == OutlierdVersion.schema, "a migration was added: a new minor release and its entry")
    #expect(newest.track == OutlierdVersion.trackFormat, "a track format was added: a new minor release")
    let debian = try String(
      contentsOf: Self.root.appendingPathComponent("scripts/debian/changelog"), encoding: .utf8)
    #expect(debian.hasPrefix("outlierd (\(OutlierdVersion.version)-1) "))
  }

  @Test func aNewSchemaOrTrackFormatIsANewMinorVersion() throws {
    let releases = try Self.releases()
    #expect(releases.count >= 2)
    for (newer, older) in zip(releases, releases.dropFirst()) {
      #expect(
        newer.version.lexicographicallyPrecedes(older.version) == false && newer.version != older.version)
      #expect(newer.schema >= older.schema && newer.track >= older.track)
      let formatsChanged = newer.schema != older.schema || newer.track != older.track
      let minorChanged = newer.version.prefix(2) != older.version.prefix(2)
      #expect(
        !formatsChanged || minorChanged, "\(newer.version) changes a format within \(older.version)'s minor")
    }
  }

  @Test func theVersionLineNamesTheFormats() {
    #expect(
      OutlierdVersion.description.hasPrefix("\(OutlierdVersion.version) (schema \(OutlierdVersion.schema), "))
  }
}
