import Foundation

/// A small, fast, seedable generator (Steele, Lea & Flood's SplitMix64).
package struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64
  package init(seed: UInt64) { state = seed }
  package mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  package mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
  package mutating func nextGaussian() -> Double {
    // Box–Muller; 1 − u keeps the logarithm's argument in (0, 1].
    let u = 1 - nextUnit()
    let v = nextUnit()
    return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
  }
}
