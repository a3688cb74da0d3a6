/// The smallest residual standard error a slot is allowed to have, so that a
/// near-constant series does not raise alerts from float noise:
/// s ≥ max(absolute, relative·|ŷ|).
public struct NoiseFloor: Sendable, Hashable {
  public var relative: Double
  public var absolute: Double

  /// 1e-9 of the level is ten million times the rounding error of a Double
  /// (≈1.1e-16) and far below any real measurement's resolution.
  public static let standard = NoiseFloor(relative: 1e-9, absolute: 0)
  public static let none = NoiseFloor(relative: 0, absolute: 0)

  public init(relative: Double, absolute: Double) {
    self.relative = relative
    self.absolute = absolute
  }
}
