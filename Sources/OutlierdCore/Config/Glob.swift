import Foundation

/// Shell-style globs for series names, through fnmatch(3).
package enum Glob {
  package static func matches(_ pattern: String, _ name: String) -> Bool {
    fnmatch(pattern, name, 0) == 0
  }
}
