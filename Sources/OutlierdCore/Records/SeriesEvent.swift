/// Something that happened to a series, as stored in the `events` table: a
/// level shift, going stale, resuming.
package struct SeriesEvent: Sendable, Hashable {
  package var series: String
  package var time: Double
  /// A short stable word: `shift`, `shift_confirmed`, `shift_undone`,
  /// `stale`, `resumed`, `reset`, `feedback`.
  package var kind: String
  package var detail: String
  /// For a level shift's events, the level over the learned pattern.
  package var ratio: Double? = nil
}

extension SeriesEvent {
  /// The event of a level shift suspected (`shift`), confirmed
  /// (`shift_confirmed`) or undone (`shift_undone`) at `time`.
  ///
  /// - Parameters:
  ///   - after: the run of outliers that makes a shift suspected.
  ///   - confirm: how long the new level must hold, from the run's start.
  package init(series: String, time: Double, shift: ShiftChange, after: Int, confirm: Double) {
    self.series = series
    self.time = time
    switch shift {
    case .suspected(let ratio, _):
      self.ratio = ratio
      kind = "shift"
      detail = String(
        format:
          "level at %.3g× the learned pattern after %d outliers in a row; judged against it, and learned if it holds for %@",
        ratio, after, Self.duration(confirm))
    case .confirmed(let ratio):
      self.ratio = ratio
      kind = "shift_confirmed"
      detail = String(
        format: "level held at %.3g× the learned pattern for %@: the slots now expect it", ratio,
        Self.duration(confirm))
    case .undone(let ratio):
      self.ratio = ratio
      kind = "shift_undone"
      detail = String(
        format: "level back at the learned pattern: the %.3g× shift is dropped and was not learned", ratio)
    }
  }

  /// "3h", "90m", "45s".
  static func duration(_ seconds: Double) -> String {
    let whole = Int(seconds.rounded())
    if whole % 3600 == 0 { return "\(whole / 3600)h" }
    if whole % 60 == 0 { return "\(whole / 60)m" }
    return "\(whole)s"
  }
}
