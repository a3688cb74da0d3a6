/// A series a batch touches, with where its last block, pool and history
/// row sit in the working set: consecutive samples of a series mostly hit
/// the same ones, which then cost no hash lookup. Plain data, so reading it
/// per sample copies no references; the series' track is in the batch's
/// `states`, at its `number`.
///
/// A series has three numbers, each for its own table: `id`, its row in
/// the store's `series` table (by which the store finds its slots and
/// history); `number`, its place in the batch's `SeriesIndex` and
/// `states`; and its position in the open batch's `touched` list.
struct TouchedSeries {
  var number: SeriesNumber
  var id: Int64
  var newest: Double
  var samples: Int64
  /// The track has an open incident or is marked stale: the uncommon case
  /// that needs a look before each sample.
  var watched: Bool
  var lastBlock: (block: Int32, index: Int)? = nil
  var lastPool: (block: Int32, index: Int)? = nil
  var lastHour: (hour: Int64, index: Int)? = nil

  init(number: SeriesNumber, id: Int64, newest: Double, samples: Int64, watched: Bool) {
    self.number = number
    self.id = id
    self.newest = newest
    self.samples = samples
    self.watched = watched
  }

  /// Forgets where its blocks, pool and history row were: the working set
  /// spilled them.
  mutating func forgetPlaces() {
    lastBlock = nil
    lastPool = nil
    lastHour = nil
  }
}
