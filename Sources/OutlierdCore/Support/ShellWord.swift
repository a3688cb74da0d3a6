import Foundation

/// Text made safe for the commands outlierd prints for operators to paste
/// (an alert's `plot` annotation, the fixes error messages suggest): a
/// series name is a producer's text, and a name such as `x;/tmp/pwn.sh;y`
/// must stay one argument, not become a command.
package enum ShellWord {
  /// `text` as one POSIX shell word: as it is when it holds only characters
  /// no shell treats specially, else in single quotes, with each `'` written
  /// as `'\''`.
  package static func quoted(_ text: String) -> String {
    let plain =
      !text.isEmpty
      && text.utf8.allSatisfy { byte in
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
          UInt8(ascii: "0")...UInt8(ascii: "9"):
          return true
        default:
          return "._-/:@%+,=".utf8.contains(byte)
        }
      }
    if plain { return text }
    return "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
  }

  /// A file name made from `text` that stays in the current directory:
  /// `/` becomes `_`, and a name that would be `.` or `..` or start with
  /// `-` (an option) gets a `_` in front.
  package static func fileName(_ text: String) -> String {
    var name = text.replacingOccurrences(of: "/", with: "_")
    if name.hasPrefix("-") || name.hasPrefix(".") { name = "_" + name }
    return name
  }
}
