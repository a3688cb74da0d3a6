import Foundation

/// What `outlierd plot` draws: observed values, the model's expected value
/// and band at each sample time, and the alerts.
public struct PlotData: Sendable {
  public struct ModelPoint: Sendable {
    public var time: Double
    public var expected: Double
    public var lower: Double
    public var upper: Double

    public init(time: Double, expected: Double, lower: Double, upper: Double) {
      self.time = time
      self.expected = expected
      self.lower = lower
      self.upper = upper
    }
  }

  public struct AlertPoint: Sendable {
    public var time: Double
    public var value: Double
    public var score: Double

    public init(time: Double, value: Double, score: Double) {
      self.time = time
      self.value = value
      self.score = score
    }
  }

  public var title: String
  public var zone: TimeZone
  public var observed: [(time: Double, value: Double)]
  /// Points where the slot could judge; gaps where it could not.
  public var model: [ModelPoint]
  public var alerts: [AlertPoint]

  public init(
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
