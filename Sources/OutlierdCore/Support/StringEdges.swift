extension String {
  /// The string without its trailing line terminators (`\n`, `\r`).
  func trimmingNewlines() -> String {
    var s = Substring(self)
    while s.last == "\n" || s.last == "\r" { s.removeLast() }
    return String(s)
  }

  /// The string with `0`s in front up to `width` characters (for hex bytes).
  func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
