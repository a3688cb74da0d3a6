/// The database schema as versioned migrations. `PRAGMA user_version` holds
/// the number of migrations applied; each runs in its own transaction.
enum Schema {
  struct Migration: Sendable {
    var sql: String
    /// Data conversion SQL alone cannot do, run after `sql` in the same transaction.
    var convert: (@Sendable (SQLiteDatabase) throws -> Void)? = nil
  }

  /// Every migration, in order: `migrations[i]` takes a database from
  /// version i to i + 1. Append only; a released migration never changes.
  static let migrations: [Migration] = [
    migration1, migration2, migration3, migration4, migration5, migration6, migration7, migration8,
    migration9, migration10, migration11, migration12, migration13, migration14, migration15,
    migration16, migration17, migration18,
  ]
}
