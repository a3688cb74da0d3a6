import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One sample of Graphite's plaintext protocol: `<series> <value> <timestamp>`.
public struct ParsedSample: Sendable, Hashable {
  public var series: String
  public var value: Double
  public var timestamp: Double
}
