import CSQLite
import Foundation
import Testing

@testable import OutlierdCore

@Suite("SQLite statements")
struct SQLiteStatementTests {
  /// A bind SQLite refuses (here a parameter the statement does not have)
  /// fails the statement with SQLite's code, naming the SQL, instead of
  /// running it with a parameter unset; the statement works again after.
  @Test func aRefusedBindFailsTheStatement() throws {
    let db = try SQLiteDatabase(path: ":memory:")
    try db.execute("CREATE TABLE t (a INTEGER, b INTEGER)")
    let insert = try db.prepare("INSERT INTO t VALUES (?, ?)")
    var failure: SQLiteError?
    do {
      try insert.bind(.integer(1), .integer(2), .integer(3)).run()
    } catch {
      failure = error
    }
    #expect(failure?.code == SQLITE_RANGE)
    #expect(failure?.sql == "INSERT INTO t VALUES (?, ?)")
    #expect(try db.scalarText("SELECT count(*) FROM t") == "0")
    try insert.bind(.integer(1), .integer(2)).run()
    try insert.run(7, blob: [1, 2, 3])
    #expect(try db.scalarText("SELECT group_concat(a || ':' || hex(b), ' ') FROM t") == "1:32 7:010203")
  }
}
