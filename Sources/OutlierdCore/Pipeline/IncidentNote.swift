/// An incident that opened or closed, for the log.
package struct IncidentNote: Sendable, Hashable {
  package var series: String
  package var incident: SeriesTrack.OpenIncident
  package var kind: AlertKind = .point
}
