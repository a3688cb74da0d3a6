import Foundation

/// What the store knows of a series between files.
package struct SeriesState: Sendable, Hashable {
  package var id: Int64
  package var newest: Double
  package var samples: Int64
  package var track = SeriesTrack()

  package init(id: Int64, newest: Double, samples: Int64, track: SeriesTrack = SeriesTrack()) {
    self.id = id
    self.newest = newest
    self.samples = samples
    self.track = track
  }
}
