/// What the detector does with a sample that was flagged as an outlier.
package enum LearningPolicy: String, Sendable, Hashable, CaseIterable {
  /// Learn the value as it is.
  case learn
  /// Learn the value clipped to 2 standard errors from the line, so one
  /// incident cannot widen the band for the weeks after it.
  case clip
  /// Do not learn it at all.
  case skip
}
