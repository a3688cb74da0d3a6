import Foundation
import Testing

@testable import OutlierdCore

/// `outlierd demo`, what a newcomer runs first: it says which incident
/// found each injected anomaly, and those are all found and critical,
/// while none of the others (the generated noise's) pages.
@Suite("Demo")
struct DemoTests {
  @Test func theDemoSaysWhichIncidentFoundEachInjectedAnomaly() throws {
    let h = try Harness()
    let result = try h.run(["demo", "--directory", h.root + "/demo"])
    #expect(result.status == 0, "\(result.errors)")
    let found = result.output.split(separator: "\n").filter { $0.hasPrefix("  demo.") }
    #expect(found.count == 15, "\(result.output)")
    #expect(found.allSatisfy { $0.contains("(critical)") }, "\(result.output)")
    #expect(!result.output.contains("missed"))
    #expect(result.output.contains("other incidents (0 critical)"), "\(result.output)")
  }
}
