/// The release this source is, for `--version`, the first log line and
/// packages.
public enum OutlierdVersion {
  public static let version = "0.5.0"
}
