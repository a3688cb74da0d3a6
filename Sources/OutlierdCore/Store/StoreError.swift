import Foundation

package enum StoreError: Error, CustomStringConvertible {
  case calendarMismatch(path: String, differences: [String])
  case newerSchema(path: String, version: Int, supported: Int)
  case corrupt(path: String, detail: String)
  /// A series' track that is not one this outlierd can read (TrackCoding).
  case damagedTrack(path: String, series: String, id: Int64)
  case sqlite(SQLiteError)

  package var description: String {
    switch self {
    case .calendarMismatch(let path, let differences):
      return
        "\(path) was created with a different calendar: \(differences.joined(separator: "; ")). "
        + "Slots would change meaning, so outlierd will not use it; restore the [calendar] settings or point [storage] database at a new file."
    case .newerSchema(let path, let version, let supported):
      return
        "\(path) has schema version \(version), newer than this outlierd supports (\(supported)); upgrade outlierd"
    case .corrupt(let path, let detail):
      return
        "\(path) is damaged (SQLite's quick_check: \(detail)); outlierd will not write into it. Restore it from a backup, or move it aside (with its -wal and -shm files) to start over; `sqlite3 \(ShellWord.quoted(path)) .recover` may save its data"
    case .damagedTrack(let path, let series, let id):
      return
        "\(path): the track of series \(series) (series.id \(id)) is damaged: not one this outlierd can read, and it will not guess. "
        + "To let that series learn its calibration and recent level anew (its slots and history are kept): "
        + "sqlite3 \(ShellWord.quoted(path)) \"UPDATE series SET track = NULL WHERE id = \(id)\" (with outlierd stopped); or restore the database from a backup"
    case .sqlite(let error):
      return error.description
    }
  }

  package var sqliteError: SQLiteError? {
    if case .sqlite(let e) = self { return e }
    return nil
  }
}
