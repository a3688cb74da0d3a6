/// An incident as the notifier delivers it: the `incidents` row and its
/// strongest alert (largest |z|).
package struct IncidentRecord: Sendable, Hashable {
  package var id: Int64
  package var series: String
  /// +1 above the band, −1 below.
  package var direction: Int
  package var start: Double
  package var end: Double
  package var alerts: Int
  package var closed: Bool
  package var value: Double?
  package var expected: Double?
  package var lower: Double?
  package var upper: Double?
  package var z: Double?
  package var pValue: Double?
  package var baseline: String?
  /// `warning` or `critical` (`IncidentSeverity`); Alertmanager's label
  /// `severity`.
  package var severity: IncidentSeverity = .warning
  /// What its alerts say: one sample off (`point`) or a series that
  /// stopped varying (`variance`); Alertmanager's label `kind`.
  package var kind: AlertKind = .point

  /// Reads the incidents that are open, newer than `after`, or in `ids`,
  /// oldest first, from the daemon's database.
  static func read(_ db: SQLiteDatabase, after: Int64, orIn ids: [Int64]) throws(SQLiteError)
    -> [IncidentRecord]
  {
    let listed = ids.isEmpty ? "" : " OR i.id IN (\(ids.map(String.init).joined(separator: ",")))"
    // A database not yet migrated to severity (version 10 or older).
    let version = Int(try db.scalarText("PRAGMA user_version") ?? "0") ?? 0
    let severity = version >= 11 ? "i.severity" : "'warning'"
    let kind = version >= 13 ? "i.kind" : "'point'"
    let statement = try db.prepare(
      """
      SELECT i.id, i.series, i.direction, i.start_ts, i.end_ts, i.alerts, i.closed,
             a.value, a.expected, a.lower, a.upper, a.z, a.p_value, a.baseline, \(severity), \(kind)
      FROM incidents i LEFT JOIN alerts a
        ON a.id = (SELECT id FROM alerts WHERE incident_id = i.id ORDER BY abs(z) DESC LIMIT 1)
      WHERE i.closed = 0 OR i.id > ?\(listed)
      ORDER BY i.id
      """
    ).bind(.integer(after))
    var records: [IncidentRecord] = []
    while try statement.step() {
      func number(_ column: Int32) -> Double? { statement.isNull(column) ? nil : statement.double(column) }
      records.append(
        IncidentRecord(
          id: statement.int64(0), series: statement.text(1) ?? "", direction: Int(statement.int64(2)),
          start: statement.double(3), end: statement.double(4), alerts: Int(statement.int64(5)),
          closed: statement.int64(6) != 0, value: number(7), expected: number(8), lower: number(9),
          upper: number(10), z: number(11), pValue: number(12), baseline: statement.text(13),
          severity: IncidentSeverity(rawValue: statement.text(14) ?? "") ?? .warning,
          kind: AlertKind(rawValue: statement.text(15) ?? "") ?? .point))
    }
    return records
  }
}
