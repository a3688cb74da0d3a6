import Foundation

/// What `outlierd plot` draws: observed values, the model's expected value
/// and band at each sample time, and the alerts.
package struct PlotData: Sendable {
  package struct ModelPoint: Sendable {
    package var time: Double
    package var expected: Double
    package var lower: Double
    package var upper: Double

    package init(time: Double, expected: Double, lower: Double, upper: Double) {
      self.time = time
      self.expected = expected
      self.lower = lower
      self.upper = upper
    }
  }

  package struct AlertPoint: Sendable {
    package var time: Double
    package var value: Double
    package var score: Double

    package init(time: Double, value: Double, score: Double) {
      self.time = time
      self.value = value
      self.score = score
    }
  }

  package var title: String
  package var zone: TimeZone
  package var observed: [(time: Double, value: Double)]
  /// Points where the slot could judge; gaps where it could not.
  package var model: [ModelPoint]
  package var alerts: [AlertPoint]

  package init(
    title: String, zone: TimeZone, observed: [(time: Double, value: Double)], model: [ModelPoint],
    alerts: [AlertPoint]
  ) {
    self.title = title
    self.zone = zone
    self.observed = observed
    self.model = model
    self.alerts = alerts
  }
}
