import Foundation

/// The regularized incomplete beta function I_x(a, b), evaluated by its
/// continued fraction (modified Lentz), switching to the symmetry
/// I_x(a, b) = 1 − I_{1−x}(b, a) where that converges faster.
enum IncompleteBeta {
  static func regularized(a: Double, b: Double, x: Double, oneMinusX: Double) -> Double {
    if x <= 0 { return 0 }
    if oneMinusX <= 0 { return 1 }
    // In typed steps: as one expression it took the type checker 0.8 s.
    let logBeta: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
    let logFront: Double = logBeta + a * log(x) + b * log(oneMinusX)
    if x < (a + 1) / (a + b + 2) {
      return exp(logFront) * continuedFraction(a: a, b: b, x: x) / a
    } else {
      return 1 - exp(logFront) * continuedFraction(a: b, b: a, x: oneMinusX) / b
    }
  }

  private static func continuedFraction(a: Double, b: Double, x: Double) -> Double {
    let tiny = 1e-300
    let epsilon = 1e-16
    let qab = a + b
    let qap = a + 1
    let qam = a - 1
    var c = 1.0
    var d = 1 - qab * x / qap
    if abs(d) < tiny { d = tiny }
    d = 1 / d
    var h = d
    for m in 1...10_000 {
      let m = Double(m)
      let m2 = 2 * m
      var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
      d = 1 + aa * d
      if abs(d) < tiny { d = tiny }
      c = 1 + aa / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      h *= d * c
      aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
      d = 1 + aa * d
      if abs(d) < tiny { d = tiny }
      c = 1 + aa / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      let delta = d * c
      h *= delta
      if abs(delta - 1) < epsilon { break }
    }
    return h
  }
}
