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
