import Foundation

/// A file that carries series from one instance to another (`outlierd
/// series export` / `import`): everything a series judges with (its track:
/// calibration, recent level, noise model, daily profile, level shift, open
/// incidents; its slots), its history for plots, and the records of its
/// open incidents (their rows, alerts and its events), exactly: numbers
/// travel as their bits.
///
/// The file is one line of header, `outlierd-series-transfer FORMAT
/// sha256=HEX`, then a JSON document whose SHA-256 the header holds. A file
/// that was cut or changed fails the checksum and is refused whole.
package struct SeriesTransfer: Codable, Sendable, Equatable {
  /// The layout of this file; a reader refuses another.
  package static let currentFormat = 1
  static let magic = "outlierd-series-transfer"

  package var format = Self.currentFormat
  /// The release, schema and track format that wrote it: an import needs
  /// the same schema and track format (upgrade both instances first).
  package var version: String
  package var schema: Int
  package var trackFormat: Int
  /// The source's calendar: an import into another calendar is refused,
  /// as slots would mean other times.
  package var period: Int
  package var slotWidth: Int
  package var timeZone: String
  /// The source database's identity (`meta.database_id`), for the record.
  package var source: String
  package var exportedAt: Double
  package var series: [Series]

  package init(
    version: String, schema: Int, trackFormat: Int, period: Int, slotWidth: Int, timeZone: String,
    source: String, exportedAt: Double, series: [Series]
  ) {
    self.version = version
    self.schema = schema
    self.trackFormat = trackFormat
    self.period = period
    self.slotWidth = slotWidth
    self.timeZone = timeZone
    self.source = source
    self.exportedAt = exportedAt
    self.series = series
  }

  package struct Series: Codable, Sendable, Equatable {
    package var name: String
    package var createdAt: Double
    package var newest: Double
    package var samples: Int64
    /// The `series.track` blob (TrackCoding), nil when empty.
    package var track: Data?
    /// The blocks that learned anything, each as stored (`SlotBlock`
    /// encoding: 8 little-endian float64 per slot).
    package var blocks: [Block]
    /// (time, value) pairs, oldest first, as little-endian float64.
    package var history: Data
    /// The open incidents, their alerts, and the series' events, as rows.
    package var incidents: [Row]
    package var alerts: [Row]
    package var events: [Row]
  }

  package struct Block: Codable, Sendable, Equatable {
    package var index: Int
    package var slots: Data
  }

  /// A table row, column by column. Reals travel as their bit patterns.
  package struct Row: Codable, Sendable, Equatable {
    package var columns: [String]
    package var values: [Value]

    package enum Value: Codable, Sendable, Equatable {
      case null
      case integer(Int64)
      case real(UInt64)
      case text(String)
      case blob(Data)

      init(_ value: SQLiteValue) {
        switch value {
        case .null: self = .null
        case .integer(let v): self = .integer(v)
        case .real(let v): self = .real(v.bitPattern)
        case .text(let v): self = .text(v)
        case .blob(let v): self = .blob(Data(v))
        }
      }

      var sqlite: SQLiteValue {
        switch self {
        case .null: return .null
        case .integer(let v): return .integer(v)
        case .real(let v): return .real(Double(bitPattern: v))
        case .text(let v): return .text(v)
        case .blob(let v): return .blob([UInt8](v))
        }
      }
    }

    package subscript(column: String) -> SQLiteValue? {
      columns.firstIndex(of: column).map { values[$0].sqlite }
    }
  }

  package struct Unreadable: Error, CustomStringConvertible {
    package var description: String
  }

  /// The file's bytes: the header line, then the JSON.
  package func encoded() throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let json = [UInt8](try encoder.encode(self))
    let digest = json.withUnsafeBytes { SHA256.hex(of: $0) }
    return Array("\(Self.magic) \(format) sha256=\(digest)\n".utf8) + json
  }

  /// Reads a file written by `encoded()`; what is wrong with it (not such
  /// a file, another format, a checksum that does not match) is named.
  package init(decoding bytes: [UInt8], path: String) throws(Unreadable) {
    guard let newline = bytes.firstIndex(of: 0x0A) else {
      throw Unreadable(description: "\(path): not a series file of `outlierd series export` (no header line)")
    }
    let header = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ")
    guard header.count == 3, header[0] == Self.magic, header[2].hasPrefix("sha256=") else {
      throw Unreadable(description: "\(path): not a series file of `outlierd series export`")
    }
    guard Int(header[1]) == Self.currentFormat else {
      throw Unreadable(
        description:
          "\(path): written in format \(header[1]) of series files; this outlierd reads format \(Self.currentFormat): export again with the same version"
      )
    }
    let json = Array(bytes[(newline + 1)...])
    let digest = json.withUnsafeBytes { SHA256.hex(of: $0) }
    guard "sha256=" + digest == header[2] else {
      throw Unreadable(
        description:
          "\(path): its checksum does not match its content (the file was cut or changed in transit): nothing imported; export it again"
      )
    }
    do {
      self = try JSONDecoder().decode(Self.self, from: Data(json))
    } catch {
      throw Unreadable(description: "\(path): the checksum matches but the content cannot be read: \(error)")
    }
  }
}
