/// What judging one sample did.
public struct SampleVerdict: Sendable {
  public var assessment: Assessment
  public var isAlert: Bool
  /// Set when this sample suspected, confirmed or undid a level shift.
  public var shift: ShiftChange?

  public init(assessment: Assessment, isAlert: Bool, shift: ShiftChange? = nil) {
    self.assessment = assessment
    self.isAlert = isAlert
    self.shift = shift
  }
}
