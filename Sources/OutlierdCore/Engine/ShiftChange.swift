/// What a sample did to its series' level shift (docs/detection.md, "Level
/// shifts").
package enum ShiftChange: Sendable, Hashable {
  /// A run of outliers at a steady multiple of the expected values: from
  /// now on the series is judged against `ratio` × its slots' lines, and the
  /// shift is confirmed at `confirmAt` unless the level returns first. The
  /// slots themselves are not changed yet.
  case suspected(ratio: Double, confirmAt: Double)
  /// The new level held until its confirmation time: the caller scales every
  /// slot of the series by `ratio` (this sample's slot included), which
  /// from then on expects the new level by itself.
  case confirmed(ratio: Double)
  /// The level returned before confirmation: the suspected `ratio` is
  /// dropped and the slots, never changed, judge as before.
  case undone(ratio: Double)
}
