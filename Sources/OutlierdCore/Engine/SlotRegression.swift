/// Online simple linear regression of y on x, kept as sufficient statistics
/// in centered form: the total weight, the means of x and y, and the
/// co-moments Cxx = Σw(x−x̄)², Cxy = Σw(x−x̄)(y−ȳ), Cyy = Σw(y−ȳ)².
///
/// The raw-sum form (Σx, Σx², Σxy, …) computes Sxx as Σx² − (Σx)²/n. With x
/// in Unix seconds (≈1.7e9) Σx² is ≈3e18·n while Sxx is ≈1e14, so the
/// subtraction throws away all but a few of the 16 digits a Double has; with
/// y ≈ 1e9 ± 10 the same happens to Syy. The centered update (Welford's,
/// generalised to weights) only ever adds deviations from the running mean
/// and keeps full relative precision. See docs/model.md.
///
/// Weights are frequency weights: a weight of n means n samples, and `weight`
/// is the sample count the t-test uses.
package struct SlotRegression: Sendable, Hashable {
  package private(set) var weight: Double
  /// The first sample's x and y. Means are kept as offsets from them, so
  /// that x − x̄ is computed from two small numbers: with x ≈ 1.7e9 the mean
  /// itself can only be held to ±1.2e-7, which for samples a few seconds
  /// apart is an error of 1e-7 in every deviation; x − x₀ is exact.
  package private(set) var originX: Double
  package private(set) var originY: Double
  /// x̄ − x₀ and ȳ − y₀.
  package private(set) var offsetMeanX: Double
  package private(set) var offsetMeanY: Double
  package private(set) var cxx: Double
  package private(set) var cxy: Double
  package private(set) var cyy: Double

  package init() {
    self.init(weight: 0, originX: 0, originY: 0, offsetMeanX: 0, offsetMeanY: 0, cxx: 0, cxy: 0, cyy: 0)
  }

  /// Restores statistics that were saved earlier (e.g. from the database).
  package init(
    weight: Double, originX: Double, originY: Double, offsetMeanX: Double, offsetMeanY: Double,
    cxx: Double, cxy: Double, cyy: Double
  ) {
    self.weight = weight
    self.originX = originX
    self.originY = originY
    self.offsetMeanX = offsetMeanX
    self.offsetMeanY = offsetMeanY
    self.cxx = cxx
    self.cxy = cxy
    self.cyy = cyy
  }

  package var meanX: Double { originX + offsetMeanX }
  package var meanY: Double { originY + offsetMeanY }

  /// Learns one sample in O(1).
  ///
  /// - Parameter memory: With a finite memory N the slot is plain OLS until
  ///   its weight reaches N; from then on the old statistics are scaled by
  ///   (N−1)/weight before each new sample, so the weight stays N and each
  ///   older sample counts (N−1)/N as much as the next newer one: exponential
  ///   weighting with alpha = 1/N. `.infinity` never forgets.
  @inline(__always)
  package mutating func add(x: Double, y: Double, memory: Double = .infinity) {
    if weight == 0 {
      originX = x
      originY = y
    } else if weight + 1 > memory {
      let decay = (memory - 1) / weight
      weight *= decay
      cxx *= decay
      cxy *= decay
      cyy *= decay
    }
    let newWeight = weight + 1
    let share = 1 / newWeight
    let dx = (x - originX) - offsetMeanX
    let dy = (y - originY) - offsetMeanY
    offsetMeanX += dx * share
    offsetMeanY += dy * share
    // dx·(x − new x̄) = dx²·w/(w+1): the exact co-moment increments.
    let ex = (x - originX) - offsetMeanX
    let ey = (y - originY) - offsetMeanY
    cxx += dx * ex
    cxy += dx * ey
    cyy += dy * ey
    weight = newWeight
  }

  /// Unlearns one sample learned at full weight: the exact reverse of
  /// `add(x:y:)` without forgetting (infinite memory), so `remove` then
  /// `add` replaces a learned value. With a finite memory the sample has
  /// since lost weight and the reverse is approximate. Removing the last
  /// sample leaves an empty slot.
  package mutating func remove(x: Double, y: Double) {
    guard weight > 1 + 1e-9 else {
      self = SlotRegression()
      return
    }
    let n = weight
    let ox = x - originX
    let oy = y - originY
    // add() moved the means by dx/n toward the sample: step back.
    let oldMeanX = offsetMeanX - (ox - offsetMeanX) / (n - 1)
    let oldMeanY = offsetMeanY - (oy - offsetMeanY) / (n - 1)
    let ex = ox - offsetMeanX
    let ey = oy - offsetMeanY
    let dx = ox - oldMeanX
    let dy = oy - oldMeanY
    cxx -= dx * ex
    cxy -= dx * ey
    cyy -= dy * ey
    offsetMeanX = oldMeanX
    offsetMeanY = oldMeanY
    weight = n - 1
  }

  mutating func scaleY(_ r: Double) {
    originY *= r
    offsetMeanY *= r
    cxy *= r
    cyy *= r * r
  }

  /// x − x̄, computed without the rounding of x̄ itself.
  @inline(__always)
  package func deviationX(_ x: Double) -> Double { (x - originX) - offsetMeanX }

  /// Slope of the fitted line; nil while x has no spread.
  package var slope: Double? { cxx > 0 ? cxy / cxx : nil }

  /// The fitted value at x, less y₀ (add `originY` for the value itself);
  /// the mean when x has no spread.
  @inline(__always)
  func predictedOffset(at x: Double) -> Double {
    cxx > 0 ? offsetMeanY + (cxy / cxx) * deviationX(x) : offsetMeanY
  }

  /// The fitted value at x; the mean of y when x has no spread.
  package func predict(at x: Double) -> Double {
    originY + predictedOffset(at: x)
  }

  /// Residual sum of squares Cyy − Cxy²/Cxx. Rounding can leave it slightly
  /// negative for data on a perfect line; it is reported as computed and the
  /// scorer treats ≤ 0 as "no residual variance".
  package var residualSumOfSquares: Double {
    cxx > 0 ? cyy - cxy * (cxy / cxx) : cyy
  }

  /// Share of the variance of y the line explains; nil without spread in x or y.
  package var rSquared: Double? {
    guard cxx > 0, cyy > 0 else { return nil }
    return min(1, max(0, (cxy / cxx) * (cxy / cyy)))
  }
}

extension SlotRegression {
  /// Scales the whole line by r: every past value counts r times as much.
  /// Means and co-moments with y scale by r, Cyy (and so the RSS) by r².
  package mutating func scaleLevel(by r: Double) {
    guard weight > 0, r != 1 else { return }
    scaleY(r)
  }
}
