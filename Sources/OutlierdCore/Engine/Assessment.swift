public enum Assessment: Sendable, Hashable {
  case cannotJudge(CannotJudge)
  case scored(SlotScore)

  public var score: SlotScore? {
    if case .scored(let score) = self { return score }
    return nil
  }
}
