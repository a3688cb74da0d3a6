import Foundation

/// Shell-style globs for series names, through fnmatch(3).
public enum Glob {
  public static func matches(_ pattern: String, _ name: String) -> Bool {
    fnmatch(pattern, name, 0) == 0
  }
}
