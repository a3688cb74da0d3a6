import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One sample of Graphite's plaintext protocol: `<series> <value> <timestamp>`.
package struct ParsedSample: Sendable, Hashable {
  package var series: String
  package var value: Double
  package var timestamp: Double
}
