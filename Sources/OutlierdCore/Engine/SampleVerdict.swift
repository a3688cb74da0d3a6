/// What judging one sample did.
public struct SampleVerdict: Sendable {
  public var assessment: Assessment
  public var isAlert: Bool
  /// Set when this sample completed a run that reveals a level shift: the
  /// ratio of the new level to the old now in force.
  public var shiftDetected: Double?
  /// Slots of the run before this sample, to be scaled by `shiftIncrement`.
  public var slotsToShift: [Int32] = []
  public var shiftIncrement: Double = 1
}
