import CCrypto

/// SHA-256 (FIPS 180-4), for the ledger's content hash of each spool file.
///
/// The ledger uses it to recognise a file it has already applied (a crash
/// between commit and unlink, or a producer sending the same file twice),
/// and operators can compare it with `sha256sum`. It comes from the
/// system's libcrypto (OpenSSL), which uses the CPU's SHA extensions where
/// they exist: about ten times the speed of portable code, and it was 10% of
/// the ingest profile (docs/history/performance-log.md).
package enum SHA256 {
  /// The digest of `bytes` as 64 lowercase hex digits.
  package static func hex(of bytes: UnsafeRawBufferPointer) -> String {
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let done = digest.withUnsafeMutableBufferPointer { out in
      EVP_Digest(bytes.baseAddress, bytes.count, out.baseAddress, &length, EVP_sha256(), nil)
    }
    precondition(done == 1 && length == 32, "libcrypto's SHA-256 failed")
    let digits = Array("0123456789abcdef".utf8)
    var text = [UInt8]()
    text.reserveCapacity(64)
    for byte in digest.prefix(32) {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
  }
}
