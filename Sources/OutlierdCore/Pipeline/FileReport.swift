/// What applying one file did.
package struct FileReport: Sendable {
  package var name: String
  package var size: Int
  package var sha256: String
  /// True when the ledger already held this content: nothing was applied.
  package var alreadyApplied = false
  /// True when the ledger held this content with lines that were ahead of
  /// the clock then: it was applied again (`Store.ledgerEntry`).
  package var appliedAgain = false
  /// Lines rejected for a reason time fixes (stamped too far ahead of the
  /// clock): the file may be dropped again later.
  package var laterLines = 0
  package var accepted = 0
  package var newSeries = 0
  package var alerts: [Alert] = []
  /// Every line that was rejected is counted here.
  package var rejectedLines = 0
  /// The first `rejectionDetailLimit` rejected lines, with their text: what
  /// the rejections table and the `.rejected` file hold. A file of bad lines
  /// costs at most this much memory and database, whatever its size.
  package var rejected: [RejectedLine] = []
  package var events: [SeriesEvent] = []
  package var incidentsOpened: [IncidentNote] = []
  package var incidentsClosed: [IncidentNote] = []
  /// Incidents that turned critical (`IncidentSeverity`), opened in this
  /// file or before.
  package var incidentsEscalated: [IncidentNote] = []
  /// The newest accepted sample's time: commit time minus this is the lag.
  package var newestSample: Double?
  /// Samples whose slot could not judge yet (warming up, no spread, …).
  package var unjudged = 0
}

extension FileReport {
  /// Rejected lines of one file kept with their text and reason; the rest
  /// are counted (`rejectedLines`).
  package static let rejectionDetailLimit = 1000

  mutating func reject(_ line: Int, _ reason: SampleRejection, _ text: UnsafeRawBufferPointer) {
    rejectedLines += 1
    if case .unreadable(.timestampInFuture) = reason { laterLines += 1 }
    guard rejected.count < Self.rejectionDetailLimit else { return }
    let cut = UnsafeRawBufferPointer(rebasing: text.prefix(1000))
    rejected.append(RejectedLine(line: line, reason: reason, text: String(decoding: cut, as: UTF8.self)))
  }
}
