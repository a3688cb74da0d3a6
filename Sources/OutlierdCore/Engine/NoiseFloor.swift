/// The smallest residual standard error a slot is allowed to have, so that a
/// near-constant series does not raise alerts from float noise:
/// s ≥ max(absolute, relative·|ŷ|).
package struct NoiseFloor: Sendable, Hashable {
  package var relative: Double
  package var absolute: Double

  /// 1e-9 of the level is ten million times the rounding error of a Double
  /// (≈1.1e-16) and far below any real measurement's resolution.
  package static let standard = NoiseFloor(relative: 1e-9, absolute: 0)
  package static let none = NoiseFloor(relative: 0, absolute: 0)

  package init(relative: Double, absolute: Double) {
    self.relative = relative
    self.absolute = absolute
  }
}
