/// Text from outside (file names, symlink targets) made safe to put in a
/// log line or a comment line: one line, and no byte that a reader of the
/// journal or of a rejected file could take for structure.
package enum LogText {
  /// `text` with every control character (C0, DEL, C1) and the backslash
  /// written as an escape (`\n`, `\t`, `\\`, `\x1b`, `\u{85}`), so that the
  /// result is one line whose meaning is unambiguous. journald reads a
  /// leading `<N>` of a line as its priority: a file name with a newline
  /// could otherwise forge a critical entry.
  package static func escaped(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    var result = ""
    result.reserveCapacity(text.utf8.count + 8)
    for scalar in text.unicodeScalars {
      guard needsEscape(scalar) else {
        result.unicodeScalars.append(scalar)
        continue
      }
      switch scalar {
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case "\t": result += "\\t"
      case "\\": result += "\\\\"
      default:
        let hex = String(scalar.value, radix: 16)
        result += scalar.value < 0x80 ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u{\(hex)}"
      }
    }
    return result
  }

  @inline(__always)
  static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || scalar == "\\" || (0x7F...0x9F).contains(scalar.value)
      || scalar == "\u{2028}" || scalar == "\u{2029}"
  }
}
