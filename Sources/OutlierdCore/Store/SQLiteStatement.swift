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

  /// Binds parameters 1… in order; resets the statement first.
  @discardableResult
  package func bind(_ values: SQLiteValue...) -> SQLiteStatement {
    bind(values)
  }

  @discardableResult
  package func bind(_ values: [SQLiteValue]) -> SQLiteStatement {
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
  package func step() throws(SQLiteError) -> Bool {
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
  package func withBlob<R>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    let count = Int(sqlite3_column_bytes(handle, column))
    guard count > 0, let pointer = sqlite3_column_blob(handle, column) else {
      return try body(UnsafeRawBufferPointer(start: nil, count: 0))
    }
    return try body(UnsafeRawBufferPointer(start: pointer, count: count))
  }

  /// Binds an integer and a blob, the blob without a copy: it must stay
  /// valid until the statement has run. For the hot upserts.
  package func bind(_ integer: Int64, blob: UnsafeRawBufferPointer) -> SQLiteStatement {
    sqlite3_reset(handle)
    sqlite3_bind_int64(handle, 1, integer)
    sqlite3_bind_blob(handle, 2, blob.baseAddress, Int32(blob.count), nil)
    return self
  }

  package func text(_ column: Int32) -> String? {
    guard let pointer = sqlite3_column_text(handle, column) else { return nil }
    return String(cString: pointer)
  }
}
