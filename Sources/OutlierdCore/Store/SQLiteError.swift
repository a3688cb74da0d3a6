import CSQLite

#if canImport(Glibc)
  import Glibc
#endif

/// An error from SQLite, with its result code and message.
package struct SQLiteError: Error, CustomStringConvertible {
  package var code: Int32
  package var message: String
  package var sql: String?

  package var description: String {
    "SQLite error \(code): \(message)" + (sql.map { " (in: \($0.prefix(120)))" } ?? "")
  }
}
