import CSQLite

#if canImport(Glibc)
  import Glibc
#endif

/// A connection to one SQLite database. Used from one thread at a time.
package final class SQLiteDatabase {
  let handle: OpaquePointer
  /// The busy timeout set last (`setBusyTimeout`), restored after a
  /// checkpoint that must not wait.
  private var busyTimeout: Int32 = 0

  package init(path: String, readOnly: Bool = false) throws(SQLiteError) {
    var db: OpaquePointer?
    let flags =
      (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
    let rc = sqlite3_open_v2(path, &db, flags, nil)
    guard rc == SQLITE_OK, let db else {
      let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
      sqlite3_close(db)
      throw SQLiteError(code: rc, message: "\(path): \(message)")
    }
    handle = db
    sqlite3_extended_result_codes(db, 1)
  }

  deinit { sqlite3_close_v2(handle) }

  func error(_ code: Int32, _ sql: String? = nil) -> SQLiteError {
    SQLiteError(code: code, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
  }

  /// Runs one or more statements that return no rows.
  package func execute(_ sql: String) throws(SQLiteError) {
    var message: UnsafeMutablePointer<CChar>?
    let rc = sqlite3_exec(handle, sql, nil, nil, &message)
    if rc != SQLITE_OK {
      let text = message.map { String(cString: $0) } ?? "error"
      sqlite3_free(message)
      throw SQLiteError(code: rc, message: text, sql: sql)
    }
  }

  package func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
    var statement: OpaquePointer?
    let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
    guard rc == SQLITE_OK, let statement else { throw error(rc, sql) }
    return SQLiteStatement(database: self, handle: statement, sql: sql)
  }

  package var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

  /// Keeps the -wal and -shm files when the last connection closes
  /// (SQLITE_FCNTL_PERSIST_WAL). A reader that may not write the directory
  /// (a member of the outlierd group) cannot create them, and without them
  /// it cannot open a WAL database at all; with them, read-only, it can.
  package func persistWriteAheadLog() {
    var on: Int32 = 1
    sqlite3_file_control(handle, "main", SQLITE_FCNTL_PERSIST_WAL, &on)
  }

  /// Copies the write-ahead log into the database and truncates it to zero
  /// bytes, without waiting: false (nothing lost, the log stays) when a
  /// reader's open transaction still needs frames of it.
  package func checkpointTruncatingWithoutWaiting() -> Bool {
    sqlite3_busy_handler(handle, nil, nil)
    defer { setBusyTimeout(milliseconds: busyTimeout) }
    var frames: Int32 = 0
    var copied: Int32 = 0
    return sqlite3_wal_checkpoint_v2(handle, "main", SQLITE_CHECKPOINT_TRUNCATE, &frames, &copied)
      == SQLITE_OK
  }

  package var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

  /// Runs `body` in a write transaction (`BEGIN IMMEDIATE`: the write lock
  /// is taken first, so a busy database fails here, not halfway): commits
  /// when it returns, rolls back and rethrows when it, or the commit, throws.
  /// The only place a transaction begins, commits or rolls back; `Store`
  /// and the delivery ledger wrap it with their own bookkeeping.
  package func transaction<Result>(_ body: () throws -> Result) throws -> Result {
    try execute("BEGIN IMMEDIATE")
    do {
      let result = try body()
      try execute("COMMIT")
      return result
    } catch {
      if isInTransaction { try? execute("ROLLBACK") }
      throw error
    }
  }

  /// Waits up to `milliseconds` for another connection's lock, in 10 ms
  /// steps, but gives up at once when SIGTERM or SIGINT is pending: the
  /// daemon blocks them for its signalfd, so a stop requested during a long
  /// lock wait (`busy_timeout` may be an hour) is honoured within a step
  /// instead of after the wait. The statement then fails with SQLITE_BUSY
  /// and its transaction is rolled back, as after any other busy timeout.
  package func setBusyTimeout(milliseconds: Int32) {
    busyTimeout = milliseconds
    let context = UnsafeMutableRawPointer(bitPattern: Int(max(milliseconds, 0)) + 1)
    sqlite3_busy_handler(handle, busyHandler, context)
  }

  /// The first column of the first row of a query, as text.
  package func scalarText(_ sql: String) throws(SQLiteError) -> String? {
    let statement = try prepare(sql)
    return try statement.step() ? statement.text(0) : nil
  }
}
