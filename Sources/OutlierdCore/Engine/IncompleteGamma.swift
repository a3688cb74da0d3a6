import Foundation

/// The regularized incomplete gamma functions P(a, x) and Q(a, x) = 1 − P,
/// by their series (x < a + 1) or continued fraction (modified Lentz),
/// each computed directly where it is small, so a far tail keeps its
/// relative precision. For Poisson tails: P(X ≤ k) = Q(k + 1, λ) and
/// P(X ≥ k) = P(k, λ).
enum IncompleteGamma {
  /// P(a, x), the lower one.
  static func lower(a: Double, x: Double) -> Double {
    if x <= 0 { return 0 }
    return x < a + 1 ? series(a: a, x: x) : 1 - continuedFraction(a: a, x: x)
  }

  /// Q(a, x), the upper one.
  static func upper(a: Double, x: Double) -> Double {
    if x <= 0 { return 1 }
    return x < a + 1 ? 1 - series(a: a, x: x) : continuedFraction(a: a, x: x)
  }

  /// e^(−x) x^a / Γ(a), the front both forms share, in log space.
  private static func logFront(a: Double, x: Double) -> Double {
    a * log(x) - x - lgamma(a)
  }

  private static func series(a: Double, x: Double) -> Double {
    var term = 1 / a
    var sum = term
    var n = a
    for _ in 0..<10_000 {
      n += 1
      term *= x / n
      sum += term
      if abs(term) < abs(sum) * 1e-16 { break }
    }
    return min(1, sum * exp(logFront(a: a, x: x)))
  }

  private static func continuedFraction(a: Double, x: Double) -> Double {
    let tiny = 1e-300
    var b = x + 1 - a
    var c = 1 / tiny
    var d = 1 / b
    var h = d
    for i in 1..<10_000 {
      let an = -Double(i) * (Double(i) - a)
      b += 2
      d = an * d + b
      if abs(d) < tiny { d = tiny }
      c = b + an / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      let delta = d * c
      h *= delta
      if abs(delta - 1) < 1e-16 { break }
    }
    return min(1, exp(logFront(a: a, x: x)) * h)
  }
}
