/// A line that was not used, with its number in the file and why, as stored
/// in the `rejections` table and the `.rejected` file.
package struct RejectedLine: Sendable, Hashable {
  package var line: Int
  package var reason: SampleRejection
  /// The line as it was, cut at 1000 bytes.
  package var text: String
}
