import Foundation
import Testing

@testable import OutlierdCore

struct TValue: Decodable, CustomTestStringConvertible {
  var t: Double
  var dof: Double
  var pValue: Double
  var testDescription: String { "t=\(t), dof=\(dof)" }
}

@Suite("Student's t distribution")
struct StudentTTests {
  static let values: [TValue] = (try? loadFixture("student_t.json")) ?? []

  @Test func fixturesLoaded() { #expect(Self.values.count > 90) }

  @Test(arguments: values)
  func twoSidedPValueMatchesMpmath(_ v: TValue) {
    expectClose(StudentT.twoSidedPValue(v.t, degreesOfFreedom: v.dof), v.pValue, relative: 1e-9, "p")
  }

  /// Critical values as printed in statistics tables (two-sided 5 %),
  /// given there to 3 decimals, so the tolerance is the table's.
  @Test(arguments: [(1.0, 12.706), (2, 4.303), (5, 2.571), (30, 2.042), (1000, 1.962)])
  func printedTableQuantiles(dof: Double, t: Double) {
    let p = StudentT.twoSidedPValue(t, degreesOfFreedom: dof)
    #expect(abs(p - 0.05) < 0.05 * 2e-3, "dof \(dof): p(\(t)) = \(p)")
  }

  @Test func cdfIsSymmetricAndMonotone() {
    var previous = 0.0
    for i in -400...400 {
      let t = Double(i) / 20
      let c = StudentT.cdf(t, degreesOfFreedom: 3)
      #expect(c >= previous)
      expectClose(c + StudentT.cdf(-t, degreesOfFreedom: 3), 1, relative: 1e-14, "symmetry")
      previous = c
    }
    #expect(StudentT.cdf(0, degreesOfFreedom: 7) == 0.5)
    // dof 1 is the Cauchy distribution: CDF = 1/2 + atan(t)/π.
    for t in [-50.0, -2, -0.5, 0.3, 1, 7] {
      expectClose(StudentT.cdf(t, degreesOfFreedom: 1), 0.5 + atan(t) / Double.pi, relative: 1e-12, "Cauchy")
    }
  }
}
