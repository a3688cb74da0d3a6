import Foundation

/// Time as a service loop reads it: the wall clock (Unix seconds, for
/// records and deadlines in the data) and a monotonic count of seconds
/// (for intervals: watchdog, metrics, backoff), which never jumps with the
/// wall clock. Injected into `ServiceLoop`, so that a test drives time
/// instead of sleeping.
package protocol ServiceClock: Sendable {
  var now: Double { get }
  var monotonic: Double { get }
}

/// The system's clocks.
package struct SystemClock: ServiceClock {
  package init() {}
  package var now: Double { Date().timeIntervalSince1970 }
  package var monotonic: Double { SystemdNotifier.monotonic() }
}
