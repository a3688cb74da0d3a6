/// How the threshold is read.
package enum ThresholdScale: String, Sendable, Hashable, CaseIterable {
  /// On the normal-equivalent scale: an alert is as unlikely as a
  /// |z| > threshold normal event, whatever the degrees of freedom.
  case normal
  /// Directly on |studentized residual|, as the seeds do: the same threshold
  /// is far easier to pass with few samples, whose t tails are heavy.
  case t
}
