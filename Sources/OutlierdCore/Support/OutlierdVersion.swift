import CLinux

/// The release this source is, for `--version`, `status`, the first log
/// line and packages.
public enum OutlierdVersion {
  public static let version = "0.5.0"

  /// The git commit the binary was built from (12 hex digits, `-dirty` when
  /// the tree had changes), when built by scripts/build-release; empty for
  /// a plain `swift build`.
  public static let commit = String(cString: outlierd_commit())

  /// `0.5.0 (commit 0123456789ab)`, or the version alone.
  public static var description: String { commit.isEmpty ? version : "\(version) (commit \(commit))" }
}
