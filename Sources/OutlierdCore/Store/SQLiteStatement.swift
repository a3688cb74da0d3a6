import CSQLite

#if canImport(Glibc)
  import Glibc
#endif

/// A prepared statement, reused across executions.
package final class SQLiteStatement {
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

  /// The first bind that failed since the last reset (SQLITE_RANGE for a
  /// parameter the statement does not have, SQLITE_TOOBIG, SQLITE_NOMEM):
  /// the next `step()` throws it instead of running with a parameter unset.
  private var bindFailure: Int32 = SQLITE_OK

  private func check(_ rc: Int32) {
    if rc != SQLITE_OK && bindFailure == SQLITE_OK { bindFailure = rc }
  }

  /// Binds parameters 1… in order; resets the statement first.
  @discardableResult
  package func bind(_ values: SQLiteValue...) -> SQLiteStatement {
    bind(values)
  }

  @discardableResult
  package func bind(_ values: [SQLiteValue]) -> SQLiteStatement {
    sqlite3_reset(handle)
    bindFailure = SQLITE_OK
    for (offset, value) in values.enumerated() {
      let index = Int32(offset + 1)
      switch value {
      case .null: check(sqlite3_bind_null(handle, index))
      case .integer(let v): check(sqlite3_bind_int64(handle, index, v))
      case .real(let v): check(sqlite3_bind_double(handle, index, v))
      case .text(let v): check(sqlite3_bind_text(handle, index, v, -1, Self.transient))
      case .blob(let v):
        v.withUnsafeBytes {
          check(sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), Self.transient))
        }
      }
    }
    return self
  }

  /// Advances to the next row; false when done.
  package func step() throws(SQLiteError) -> Bool {
    if bindFailure != SQLITE_OK {
      let rc = bindFailure
      bindFailure = SQLITE_OK
      sqlite3_reset(handle)
      throw SQLiteError(
        code: rc, message: "binding a parameter: \(String(cString: sqlite3_errstr(rc)))", sql: sql)
    }
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
  package func run() throws(SQLiteError) {
    while try step() {}
  }

  package var columnCount: Int32 { sqlite3_column_count(handle) }

  package func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
  package func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
  package func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
  package func isBlob(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_BLOB }
  /// The column's bytes, valid only inside `body` (no copy).
  func withBlob<R>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    let count = Int(sqlite3_column_bytes(handle, column))
    guard count > 0, let pointer = sqlite3_column_blob(handle, column) else {
      return try body(UnsafeRawBufferPointer(start: nil, count: 0))
    }
    return try body(UnsafeRawBufferPointer(start: pointer, count: count))
  }

  /// Binds an integer and a blob to parameters 1 and 2 and runs the
  /// statement. The blob is bound without a copy (SQLITE_STATIC), which is
  /// safe because the statement runs, and is reset, while it is borrowed.
  /// For the hot upserts.
  package func run(_ integer: Int64, blob: [UInt8]) throws(SQLiteError) {
    let failure = blob.withUnsafeBytes { (bytes) -> SQLiteError? in
      sqlite3_reset(handle)
      bindFailure = SQLITE_OK
      check(sqlite3_bind_int64(handle, 1, integer))
      check(sqlite3_bind_blob(handle, 2, bytes.baseAddress, Int32(bytes.count), nil))
      defer {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
      }
      do throws(SQLiteError) {
        try run()
        return nil
      } catch {
        return error
      }
    }
    if let failure { throw failure }
  }

  package func text(_ column: Int32) -> String? {
    guard let pointer = sqlite3_column_text(handle, column) else { return nil }
    return String(cString: pointer)
  }

  /// A result column's name.
  package func columnName(_ column: Int32) -> String {
    sqlite3_column_name(handle, column).map { String(cString: $0) } ?? ""
  }

  /// A result column's value, with its storage class.
  package func value(_ column: Int32) -> SQLiteValue {
    switch sqlite3_column_type(handle, column) {
    case SQLITE_INTEGER: return .integer(int64(column))
    case SQLITE_FLOAT: return .real(double(column))
    case SQLITE_TEXT: return .text(text(column) ?? "")
    case SQLITE_BLOB: return .blob(withBlob(column) { Array($0) })
    default: return .null
    }
  }
}
