/// What applying one file did.
public struct FileReport: Sendable {
  public var name: String
  public var size: Int
  public var sha256: String
  /// True when the ledger already held this content: nothing was applied.
  public var alreadyApplied = false
  public var accepted = 0
  public var newSeries = 0
  public var alerts: [Alert] = []
  /// Every line that was rejected is counted here.
  public var rejectedLines = 0
  /// The first `rejectionDetailLimit` rejected lines, with their text: what
  /// the rejections table and the `.rejected` file hold. A file of bad lines
  /// costs at most this much memory and database, whatever its size.
  public var rejected: [RejectedLine] = []
  public var events: [SeriesEvent] = []
  public var incidentsOpened: [IncidentNote] = []
  public var incidentsClosed: [IncidentNote] = []
  /// Incidents that turned critical (`IncidentSeverity`), opened in this
  /// file or before.
  public var incidentsEscalated: [IncidentNote] = []
  /// The newest accepted sample's time: commit time minus this is the lag.
  public var newestSample: Double?
  /// Samples whose slot could not judge yet (warming up, no spread, …).
  public var unjudged = 0
}

extension FileReport {
  /// Rejected lines of one file kept with their text and reason; the rest
  /// are counted (`rejectedLines`).
  public static let rejectionDetailLimit = 1000

  mutating func reject(_ line: Int, _ reason: SampleRejection, _ text: UnsafeRawBufferPointer) {
    rejectedLines += 1
    guard rejected.count < Self.rejectionDetailLimit else { return }
    let cut = UnsafeRawBufferPointer(rebasing: text.prefix(1000))
    rejected.append(RejectedLine(line: line, reason: reason, text: String(decoding: cut, as: UTF8.self)))
  }
}
