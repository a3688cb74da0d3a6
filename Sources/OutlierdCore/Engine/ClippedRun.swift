/// A warming series' current streak of samples off the recent level's
/// model on one side, and the first of them, which their slots learned
/// clipped.
///
/// While the weekly slots warm up, a slot learns a sample that is off the
/// recent level's model clipped towards that level: it may be a spike. But
/// it may be the level that moved (the edge of a daily square wave, a
/// step), and then the clipping is wrong: left so, the slots at every such
/// edge would learn a value between the two levels, week after week, and
/// alert on the true one once they judge. So the streak's first
/// `capacity` clipped samples are kept, and resolved
/// (`ScoringRules.judgeByRecentLevel`):
/// - when the streak reaches `RecentLevel.confirmAfter` samples, the level
///   moved: they are relearned as they were, and the streak's later
///   samples are learned unclipped;
/// - when it ends sooner, those the ending sample sides with (closer to
///   their value than to what was learned: the level's own steps can end a
///   streak before it is long) are relearned, and the others (a burst,
///   after which the series returned) stay clipped.
///
/// To relearn is the caller's work (`SampleVerdict.relearn`): in the slot
/// at `x`, replace `learned` by `value`. Plain numbers, kept in the
/// series' track.
package struct ClippedRun: Sendable, Hashable, Codable {
  /// One sample: its time, what its slot learned (NaN: nothing, for
  /// `learning = "skip"`) and what it would have learned had the level
  /// vouched for it, both in the slots' units (divided by the shift ratio).
  package struct Sample: Sendable, Hashable, Codable {
    package var x: Double
    package var learned: Double
    package var value: Double
  }

  /// The streak's side (+1 above the level, −1 below, 0: no streak) and
  /// length.
  package internal(set) var sign = 0
  package internal(set) var length = 0
  /// The clipped samples held, up to `capacity`.
  package private(set) var count = 0
  package private(set) var first = Sample(x: 0, learned: 0, value: 0)
  package private(set) var second = Sample(x: 0, learned: 0, value: 0)

  /// The most samples held: the streak confirms on its
  /// `confirmAfter`-th.
  package static let capacity = RecentLevel.confirmAfter - 1

  package init() {}

  init(sign: Int, length: Int, count: Int, first: Sample, second: Sample) {
    self.sign = sign
    self.length = length
    self.count = min(max(count, 0), Self.capacity)
    self.first = first
    self.second = second
  }

  /// A streak that holds samples; the relearning a verdict asks for.
  init(holding samples: some Sequence<Sample>) {
    for sample in samples { append(sample) }
  }

  /// The samples held, in time order.
  package var samples: [Sample] { Array([first, second].prefix(count)) }

  /// Whether the streak is long enough to be the level's move.
  var isConfirmed: Bool { length >= RecentLevel.confirmAfter }

  /// Adds a sample; past capacity it is dropped (it cannot happen: the
  /// streak confirms first).
  mutating func append(_ sample: Sample) {
    switch count {
    case 0: first = sample
    case 1: second = sample
    default: return
    }
    count += 1
  }

  /// Forgets the samples held, keeping the streak.
  mutating func removeSamples() { count = 0 }
}
