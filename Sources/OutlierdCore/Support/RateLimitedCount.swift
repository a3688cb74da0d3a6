/// Counts a repeated event for the log without flooding it (journald drops
/// a service's messages past its rate limit, the useful ones with them): the
/// first occurrence is reported at once, later ones as one line with their
/// count at most once per `interval`.
struct RateLimitedCount {
  let interval: Double
  private var message = ""
  private var unreported = 0
  private var nextReport = -Double.infinity

  init(interval: Double) {
    self.interval = interval
  }

  /// Records one occurrence, described by `message` (the latest is kept).
  mutating func add(_ message: String) {
    self.message = message
    unreported += 1
  }

  /// A line to log now, or nil.
  mutating func report(now: Double) -> String? {
    guard unreported > 0, now >= nextReport else { return nil }
    defer {
      unreported = 0
      nextReport = now + interval
    }
    if unreported == 1 { return message }
    return "\(message) (\(unreported) times since the last report)"
  }
}
