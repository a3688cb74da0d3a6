/// An incident that opened or closed, for the log.
public struct IncidentNote: Sendable, Hashable {
  public var series: String
  public var incident: SeriesTrack.OpenIncident
  public var kind: AlertKind = .point
}
