import CSQLite

#if canImport(Glibc)
  import Glibc
#endif

/// An error from SQLite, with its result code and message.
public struct SQLiteError: Error, CustomStringConvertible {
  public var code: Int32
  public var message: String
  public var sql: String?

  public var description: String {
    "SQLite error \(code): \(message)" + (sql.map { " (in: \($0.prefix(120)))" } ?? "")
  }
}

/// A connection to one SQLite database. Used from one thread at a time.
public final class SQLiteDatabase {
  let handle: OpaquePointer

  public init(path: String, readOnly: Bool = false) throws(SQLiteError) {
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
  public func execute(_ sql: String) throws(SQLiteError) {
    var message: UnsafeMutablePointer<CChar>?
    let rc = sqlite3_exec(handle, sql, nil, nil, &message)
    if rc != SQLITE_OK {
      let text = message.map { String(cString: $0) } ?? "error"
      sqlite3_free(message)
      throw SQLiteError(code: rc, message: text, sql: sql)
    }
  }

  public func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
    var statement: OpaquePointer?
    let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
    guard rc == SQLITE_OK, let statement else { throw error(rc, sql) }
    return SQLiteStatement(database: self, handle: statement, sql: sql)
  }

  public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

  /// Keeps the -wal and -shm files when the last connection closes
  /// (SQLITE_FCNTL_PERSIST_WAL). A reader that may not write the directory
  /// (a member of the outlierd group) cannot create them, and without them
  /// it cannot open a WAL database at all; with them, read-only, it can.
  public func persistWriteAheadLog() {
    var on: Int32 = 1
    sqlite3_file_control(handle, "main", SQLITE_FCNTL_PERSIST_WAL, &on)
  }

  public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

  /// Waits up to `milliseconds` for another connection's lock, in 10 ms
  /// steps, but gives up at once when SIGTERM or SIGINT is pending: the
  /// daemon blocks them for its signalfd, so a stop requested during a long
  /// lock wait (`busy_timeout` may be an hour) is honoured within a step
  /// instead of after the wait. The statement then fails with SQLITE_BUSY
  /// and its transaction is rolled back, as after any other busy timeout.
  public func setBusyTimeout(milliseconds: Int32) {
    let context = UnsafeMutableRawPointer(bitPattern: Int(max(milliseconds, 0)) + 1)
    sqlite3_busy_handler(handle, busyHandler, context)
  }

  /// The first column of the first row of a query, as text.
  public func scalarText(_ sql: String) throws(SQLiteError) -> String? {
    let statement = try prepare(sql)
    return try statement.step() ? statement.text(0) : nil
  }
}

/// A prepared statement, reused across executions.
public final class SQLiteStatement {
  unowned let database: SQLiteDatabase
  let handle: OpaquePointer
  let sql: String

  // SQLite copies text bound with this destructor value before returning.
  private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

  init(database: SQLiteDatabase, handle: OpaquePointer, sql: String) {
    self.database = database
    self.handle = handle
    self.sql = sql
  }

  deinit { sqlite3_finalize(handle) }

  /// Binds parameters 1… in order; resets the statement first.
  @discardableResult
  public func bind(_ values: SQLiteValue...) -> SQLiteStatement {
    bind(values)
  }

  @discardableResult
  public func bind(_ values: [SQLiteValue]) -> SQLiteStatement {
    sqlite3_reset(handle)
    for (offset, value) in values.enumerated() {
      let index = Int32(offset + 1)
      switch value {
      case .null: sqlite3_bind_null(handle, index)
      case .integer(let v): sqlite3_bind_int64(handle, index, v)
      case .real(let v): sqlite3_bind_double(handle, index, v)
      case .text(let v): sqlite3_bind_text(handle, index, v, -1, Self.transient)
      case .blob(let v):
        v.withUnsafeBytes {
          _ = sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), Self.transient)
        }
      }
    }
    return self
  }

  /// Advances to the next row; false when done.
  public func step() throws(SQLiteError) -> Bool {
    let rc = sqlite3_step(handle)
    switch rc {
    case SQLITE_ROW: return true
    case SQLITE_DONE:
      sqlite3_reset(handle)
      return false
    default:
      let error = database.error(rc, sql)
      sqlite3_reset(handle)
      throw error
    }
  }

  /// Runs a statement that returns no rows.
  public func run() throws(SQLiteError) {
    while try step() {}
  }

  public var columnCount: Int32 { sqlite3_column_count(handle) }

  public func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
  public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
  public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
  public func isBlob(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_BLOB }
  /// The column's bytes, valid only inside `body` (no copy).
  public func withBlob<R>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    let count = Int(sqlite3_column_bytes(handle, column))
    guard count > 0, let pointer = sqlite3_column_blob(handle, column) else {
      return try body(UnsafeRawBufferPointer(start: nil, count: 0))
    }
    return try body(UnsafeRawBufferPointer(start: pointer, count: count))
  }

  /// Binds an integer and a blob, the blob without a copy: it must stay
  /// valid until the statement has run. For the hot upserts.
  public func bind(_ integer: Int64, blob: UnsafeRawBufferPointer) -> SQLiteStatement {
    sqlite3_reset(handle)
    sqlite3_bind_int64(handle, 1, integer)
    sqlite3_bind_blob(handle, 2, blob.baseAddress, Int32(blob.count), nil)
    return self
  }

  public func text(_ column: Int32) -> String? {
    guard let pointer = sqlite3_column_text(handle, column) else { return nil }
    return String(cString: pointer)
  }
}

public enum SQLiteValue: Sendable, Hashable {
  case null
  case integer(Int64)
  case real(Double)
  case text(String)
  case blob([UInt8])
}

extension SQLiteValue: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByStringLiteral {
  public init(integerLiteral value: Int64) { self = .integer(value) }
  public init(floatLiteral value: Double) { self = .real(value) }
  public init(stringLiteral value: String) { self = .text(value) }
}

/// SQLite's busy handler (see `setBusyTimeout`). The context pointer's
/// address is the timeout in milliseconds plus one (never null).
private func busyHandler(_ context: UnsafeMutableRawPointer?, _ attempts: Int32) -> Int32 {
  let timeout = Int(bitPattern: context) - 1
  guard Int(attempts) * BusyWait.step < timeout, !BusyWait.stopIsPending() else { return 0 }
  usleep(UInt32(BusyWait.step * 1000))
  return 1
}

enum BusyWait {
  /// Milliseconds between attempts to take a lock.
  static let step = 10

  /// Whether SIGTERM or SIGINT waits, blocked, to be read (from the
  /// daemon's signalfd). Reading the pending set does not consume it.
  static func stopIsPending() -> Bool {
    var pending = sigset_t()
    guard sigpending(&pending) == 0 else { return false }
    return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1
  }
}
