import Foundation

/// What the store knows of a series between files.
public struct SeriesState: Sendable, Hashable {
  public var id: Int64
  public var newest: Double
  public var samples: Int64
  public var track = SeriesTrack()

  public init(id: Int64, newest: Double, samples: Int64, track: SeriesTrack = SeriesTrack()) {
    self.id = id
    self.newest = newest
    self.samples = samples
    self.track = track
  }
}
