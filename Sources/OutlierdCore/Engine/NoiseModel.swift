import Foundation

/// What a series' noise looks like, learned from its own samples: the
/// statistics that choose its `NoiseFamily`, and that family's spread.
/// Exponentially weighted over about a week of samples (`memory`), so the
/// choice is revisited as the series changes. Plain numbers, kept in the
/// series' track.
///
/// The family is a second opinion on an alert, never a first one: a sample
/// the slots (or the recent level) flag is an alert only if it is also
/// improbable under the family (`normalEquivalent`), at the same threshold.
/// So a queue's ordinary bursts, a latency's log-normal tail and a count's
/// Poisson scatter stop alerting, while what is improbable under both
/// still does.
package struct NoiseModel: Sendable, Hashable, Codable {
  /// Samples learned, up to `memory` (the weights' normaliser).
  package private(set) var samples: Double = 0
  /// The mean of the samples.
  package private(set) var mean: Double = 0
  /// Shares of samples that are exactly 0, and whole numbers.
  package private(set) var zeroShare: Double = 0
  package private(set) var integerShare: Double = 0
  /// Judged samples (with an expected value ŷ) learned.
  package private(set) var judged: Double = 0
  /// E[r²] and E[r³] of the residuals r = y − ŷ, each clipped at 5 of the
  /// spread so far.
  package private(set) var rawSecond: Double = 0
  package private(set) var rawThird: Double = 0
  /// The same on the log scale, d = ln y − ln ŷ (y and ŷ > 0), and how
  /// many samples they hold.
  package private(set) var logSamples: Double = 0
  package private(set) var logSecond: Double = 0
  package private(set) var logThird: Double = 0
  /// E[(y − ŷ)² / ŷ]: a count's dispersion (1 for Poisson).
  package private(set) var dispersion: Double = 0
  /// Bursts: E[ln y] and E[(ln y)²] over samples y > 0, and how many.
  package private(set) var burstSamples: Double = 0
  package private(set) var burstLogMean: Double = 0
  package private(set) var burstLogSecond: Double = 0
  /// P(y > 0 | the sample before was > 0), and how many pairs it holds.
  package private(set) var continuedSamples: Double = 0
  package private(set) var continued: Double = 0
  /// Samples > 0 in a row, up to the last one learned.
  package private(set) var burstLength: Double = 0

  /// Samples that weigh in the statistics: about a week at 5 minutes.
  package static let memory = 2016.0
  /// Samples before a family other than additive may judge: a day.
  package static let minimumSamples = 288.0

  package init() {}

  /// Restores a model saved earlier (the store's binary track), field by
  /// field in `TrackCoding`'s order.
  init(words w: [Double]) {
    precondition(w.count == Self.wordCount)
    samples = w[0]
    mean = w[1]
    zeroShare = w[2]
    integerShare = w[3]
    judged = w[4]
    rawSecond = w[5]
    rawThird = w[6]
    logSamples = w[7]
    logSecond = w[8]
    logThird = w[9]
    dispersion = w[10]
    burstSamples = w[11]
    burstLogMean = w[12]
    burstLogSecond = w[13]
    continuedSamples = w[14]
    continued = w[15]
    burstLength = w[16]
  }

  /// The fields as `init(words:)` takes them.
  var words: [Double] {
    [
      samples, mean, zeroShare, integerShare, judged, rawSecond, rawThird, logSamples, logSecond, logThird,
      dispersion, burstSamples, burstLogMean, burstLogSecond, continuedSamples, continued, burstLength,
    ]
  }
  static let wordCount = 17

  /// The exponentially weighted mean m after learning x as the n-th sample.
  @inline(__always)
  private static func follow(_ m: inout Double, _ x: Double, _ n: Double) { m += (x - m) / n }

  /// Learns one sample, with what the model expected of it when it could
  /// judge (nil while it could not).
  package mutating func learn(_ y: Double, expected: Double?) {
    guard y.isFinite else { return }
    samples = min(samples + 1, Self.memory)
    let weight = 1 / samples
    mean += (y - mean) * weight
    zeroShare += ((y == 0 ? 1 : 0) - zeroShare) * weight
    integerShare += ((y == y.rounded() ? 1 : 0) - integerShare) * weight
    if burstLength > 0 {
      continuedSamples = min(continuedSamples + 1, Self.memory)
      Self.follow(&continued, y > 0 ? 1 : 0, continuedSamples)
    }
    burstLength = y > 0 ? burstLength + 1 : 0
    // The logarithms are learned only where their family is within reach
    // (every series in its first day): they are most of this function's
    // cost, which every sample pays.
    let young = samples < Self.minimumSamples
    if y > 0 && (young || zeroShare >= 0.3) {
      burstSamples = min(burstSamples + 1, Self.memory)
      let size = log(y)
      Self.follow(&burstLogMean, size, burstSamples)
      Self.follow(&burstLogSecond, size * size, burstSamples)
    }
    guard let expected, expected.isFinite else { return }
    judged = min(judged + 1, Self.memory)
    let judgedWeight = 1 / judged
    // Clipped at 5 of the spread so far: an anomaly must not become the
    // noise (the first samples go in whole).
    let r = Self.clip(y - expected, second: rawSecond, warm: judged > 20)
    let r2 = r * r
    rawSecond += (r2 - rawSecond) * judgedWeight
    rawThird += (r2 * r - rawThird) * judgedWeight
    if expected > 0 {
      dispersion += (r2 / max(expected, 0.5) - dispersion) * judgedWeight
    }
    if y > 0 && expected > 0 && (young || (zeroShare < 0.05 && (integerShare < 0.98 || mean >= 10))) {
      logSamples = min(logSamples + 1, Self.memory)
      let d = Self.clip(log(y / expected), second: logSecond, warm: logSamples > 20)
      Self.follow(&logSecond, d * d, logSamples)
      Self.follow(&logThird, d * d * d, logSamples)
    }
  }

  @inline(__always)
  private static func clip(_ x: Double, second: Double, warm: Bool) -> Double {
    // Compared squared: the square root only for the rare clipped value.
    guard warm, second > 0, x * x > 25 * second else { return x }
    let limit = 5 * second.squareRoot()
    return x < 0 ? -limit : limit
  }

  /// E[x³] / E[x²]^1.5.
  private static func skewness(second: Double, third: Double) -> Double {
    second > 0 ? third / (second * second.squareRoot()) : 0
  }

  /// The family the samples so far speak for, for a series that has
  /// (`everNegative`) or has never been negative. Additive until a day of
  /// samples is in.
  package func family(everNegative: Bool) -> NoiseFamily {
    guard samples >= Self.minimumSamples, judged >= Self.minimumSamples / 2 else { return .additive }
    if rawSecond == 0 { return .constant }
    guard !everNegative else { return .additive }
    // Mostly zeros, and far more of them than Poisson counts of the same
    // mean have (e^−mean): a queue's bursts, not a small count's scatter.
    if zeroShare >= 0.5 && zeroShare > exp(-max(mean, 0)) + 0.1 && burstSamples >= 4
      && continuedSamples >= 3
    {
      return .intermittent
    }
    // A count scatters: an integer series that hardly varies is a setting
    // or a level, not Poisson.
    if integerShare >= 0.98 && dispersion >= 0.3 { return .counts }
    if zeroShare < 0.02 && logSamples >= Self.minimumSamples / 2 {
      let raw = Self.skewness(second: rawSecond, third: rawThird)
      let logarithmic = Self.skewness(second: logSecond, third: logThird)
      if raw > 0.5 && abs(logarithmic) < raw - 0.3 { return .multiplicative }
    }
    return .additive
  }

  /// The signed normal-equivalent score of y under `family`, for a sample
  /// the model expected at ŷ: the z whose two-sided normal tail is y's p
  /// under the family. Nil where the family has no opinion of its own
  /// (additive, constant: the slots' score stands) or cannot judge (ŷ ≤ 0
  /// on the log scale). 37.5 at most, as every normal-equivalent score.
  package func normalEquivalent(_ y: Double, expected: Double, family: NoiseFamily) -> Double? {
    switch family {
    case .additive, .constant:
      return nil
    case .multiplicative:
      return logarithmicScore(y, expected: expected)
    case .counts:
      let mean = max(expected, 0)
      let p = CountTail.twoSidedP(y, mean: mean, dispersion: max(dispersion, 1))
      let z = NormalDistribution.twoSidedQuantile(p)
      let counted = y.rounded() >= mean ? z : -z
      // Counts of ten and more that scatter far beyond Poisson often do so
      // by a factor (a day busier than another): their tail is the
      // log-normal's, heavier than the negative binomial's of the same
      // variance. The less extreme of the two judges.
      guard mean >= 10, logSamples >= Self.minimumSamples / 2,
        let logarithmic = logarithmicScore(y, expected: expected)
      else { return counted }
      return abs(logarithmic) < abs(counted) ? logarithmic : counted
    case .intermittent:
      return intermittentScore(y)
    }
  }

  /// z = (ln y − ln ŷ) / σ, σ the spread of the log residuals; nil when
  /// ŷ ≤ 0 or no spread is known.
  func logarithmicScore(_ y: Double, expected: Double) -> Double? {
    guard expected > 0, logSecond > 0 else { return nil }
    guard y > 0 else { return -37.5 }
    return min(max(log(y / expected) / logSecond.squareRoot(), -37.5), 37.5)
  }

  /// A burst's score (`intermittent`): a zero, or a burst smaller than
  /// the series' typical one, is ordinary (0). Otherwise its size's upper
  /// tail p₁ among the bursts (log-normal) and its length's p₂ =
  /// P(a burst lasts this long) = c^(length − 1) combine as two
  /// independent p-values: x = p₁p₂, p = x(1 − ln x). c is the share of
  /// bursts that went on, with half a continuation added to the n pairs
  /// seen, (c·n + ½) / (n + 1): never 0, so that bursts that have always
  /// been single do not make the first double one impossible.
  func intermittentScore(_ y: Double) -> Double {
    guard y > 0, burstSamples > 0 else { return 0 }
    let mean = burstLogMean
    let spread = max(burstLogSecond - mean * mean, 0.01).squareRoot()
    let u = (log(y) - mean) / spread
    let size = u > 0 ? NormalDistribution.twoSidedTail(u) / 2 : 1
    // This sample's burst: the one learned so far, and it.
    let length = burstLength + 1
    let c = (max(continued, 0) * continuedSamples + 0.5) / (continuedSamples + 1)
    let lasting = pow(min(c, 0.999), length - 1)
    let x = size * lasting
    guard x < 1 else { return 0 }
    let p = x > 0 ? min(1, x * (1 - log(x))) : 0
    return NormalDistribution.twoSidedQuantile(max(p, 1e-300))
  }
}
