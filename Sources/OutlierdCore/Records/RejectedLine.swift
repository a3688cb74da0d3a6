/// A line that was not used, with its number in the file and why, as stored
/// in the `rejections` table and the `.rejected` file.
public struct RejectedLine: Sendable, Hashable {
  public var line: Int
  public var reason: SampleRejection
  /// The line as it was, cut at 1000 bytes.
  public var text: String
}
