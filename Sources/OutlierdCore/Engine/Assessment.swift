package enum Assessment: Sendable, Hashable {
  case cannotJudge(CannotJudge)
  case scored(SlotScore)

  package var score: SlotScore? {
    if case .scored(let score) = self { return score }
    return nil
  }
}
