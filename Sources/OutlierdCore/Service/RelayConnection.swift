/// One connection the relay serves.
struct RelayConnection {
  var lines: StreamLines
  /// The peer's address (`GraphiteRelay.host(of:)`).
  var peer: String
  /// When it last sent something, or was accepted.
  var lastRead: Double
}
