/// The `silences` table: what `outlierd silence` adds and expires (through
/// the daemon when it runs), and what every notifier reads.
extension Store {
  /// Adds a silence; returns its id. Inside a transaction.
  package func addSilence(pattern: String, starts: Double, ends: Double, comment: String, createdBy: String)
    throws(SQLiteError) -> Int64
  {
    try db.prepare("INSERT INTO silences (pattern, starts, ends, comment, created_by) VALUES (?, ?, ?, ?, ?)")
      .bind(.text(pattern), .real(starts), .real(ends), .text(comment), .text(createdBy)).run()
    return db.lastInsertRowID
  }

  /// Ends a silence at `now`; false when there is none with this id that
  /// has not ended. Inside a transaction.
  package func expireSilence(_ id: Int64, at now: Double) throws(SQLiteError) -> Bool {
    try db.prepare("UPDATE silences SET ends = ?1 WHERE id = ?2 AND ends > ?1").bind(.real(now), .integer(id))
      .run()
    return try db.scalarText("SELECT changes()") == "1"
  }

  /// For readers: the silences that have not ended by `since`, newest
  /// first; none in a database the daemon has not migrated yet.
  package static func silences(_ db: SQLiteDatabase, endingAfter since: Double) throws -> [Silence] {
    guard try db.scalarText("SELECT count(*) FROM sqlite_master WHERE name = 'silences'") == "1" else {
      return []
    }
    let s = try db.prepare(
      "SELECT id, pattern, starts, ends, comment, created_by FROM silences WHERE ends > ? ORDER BY id DESC"
    ).bind(.real(since))
    var result: [Silence] = []
    while try s.step() {
      result.append(
        Silence(
          id: s.int64(0), pattern: s.text(1) ?? "", starts: s.double(2), ends: s.double(3),
          comment: s.text(4) ?? "", createdBy: s.text(5) ?? ""))
    }
    return result
  }
}
