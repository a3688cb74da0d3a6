import CLinux

/// The release this source is, for `--version`, `status`, the first log
/// line and packages.
///
/// Versions are MAJOR.MINOR.PATCH. The minor version (or the major) goes
/// up whenever the database schema or the track format changes: a database
/// a release has opened cannot be opened by an older minor version, which
/// refuses it and names both schemas. Releases that keep both formats
/// change only the patch version, and can be swapped back and forth.
/// CHANGELOG.md lists each release with its schema and track format; a
/// test holds the code, the changelog and debian/changelog to this.
package enum OutlierdVersion {
  package static let version = "0.6.0"

  /// The database schema this release writes (`PRAGMA user_version`, one
  /// per migration).
  package static var schema: Int { Schema.migrations.count }

  /// The format of the series' tracks this release writes.
  package static var trackFormat: Int { Int(TrackCoding.version) }

  /// The git commit the binary was built from (12 hex digits, `-dirty` when
  /// the tree had changes), when built by scripts/build-release; empty for
  /// a plain `swift build`.
  package static let commit = String(cString: outlierd_commit())

  /// `0.6.0 (schema 14, track 11, commit 0123456789ab)`, without the commit
  /// for a plain `swift build`.
  package static var description: String {
    "\(version) (schema \(schema), track \(trackFormat)\(commit.isEmpty ? "" : ", commit \(commit)"))"
  }
}
