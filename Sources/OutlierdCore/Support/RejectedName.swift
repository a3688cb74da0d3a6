/// Names of the files outlierd writes into rejected/ and processed/, made
/// from a producer's file name, which may be up to 255 bytes and hold any
/// byte but `/` and NUL.
package enum RejectedName {
  /// Bytes of the producer's name kept as they are. The longest suffix
  /// outlierd adds is `.<sha12>.rejected` or `.<seconds>.reason` plus a
  /// numbered `.N`, under 40 bytes, so every name it writes stays under the
  /// 255-byte limit of Linux file systems (temporary files have fixed-length
  /// names of their own: `FileSystem.createTemporary`).
  package static let keptBytes = 160

  /// `name` when it is short and plain; otherwise its escaped form (see
  /// `LogText.escaped`) cut to `keptBytes` at a character boundary, with
  /// `~` and the first 8 hex digits of the SHA-256 of the whole name, so
  /// two long names that share a beginning stay apart.
  package static func fitting(_ name: String) -> String {
    let escaped = LogText.escaped(name)
    if escaped == name && name.utf8.count <= keptBytes { return name }
    var cut = ""
    var bytes = 0
    for character in escaped {
      let size = character.utf8.count
      if bytes + size > keptBytes { break }
      cut.append(character)
      bytes += size
    }
    let digest = Array(name.utf8).withUnsafeBytes { SHA256.hex(of: $0) }
    return cut + "~" + digest.prefix(8)
  }
}
