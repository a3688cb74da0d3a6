import Foundation
import Testing

/// Reads a JSON fixture written by Fixtures/generate.py.
func loadFixture<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
  let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures").appendingPathComponent(name)
  return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
}

/// |actual − expected| ≤ relative·|expected| + absolute.
func expectClose(
  _ actual: Double?, _ expected: Double?, relative: Double = 1e-9, absolute: Double = 0,
  _ what: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
) {
  guard let actual, let expected else {
    #expect(
      actual == nil && expected == nil,
      "\(what()): \(String(describing: actual)) vs \(String(describing: expected))",
      sourceLocation: sourceLocation)
    return
  }
  let tolerance = relative * abs(expected) + absolute
  #expect(
    abs(actual - expected) <= tolerance,
    "\(what()): got \(actual), want \(expected) (error \(abs(actual - expected)), tolerance \(tolerance))",
    sourceLocation: sourceLocation)
}
