import Foundation

/// Rows for an operator: an aligned table for the terminal, CSV for
/// spreadsheets, JSON (an array of objects) for scripts.
package struct OutputTable: Sendable {
  package enum Format: String, CaseIterable, Sendable {
    /// `jsonl`: one JSON object per line, like `journalctl -o json`.
    case table, csv, json, jsonl
  }

  package enum Cell: Sendable, Equatable {
    case text(String)
    case number(Double)
    /// A number shown with all its digits (Unix times): the shortest text
    /// that reads back as the same Double.
    case exact(Double)
    case integer(Int64)
    case null

    var plain: String {
      switch self {
      case .text(let s): return s
      case .number(let d): return Self.integral(d) ?? String(format: "%.6g", d)
      case .exact(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
      case .integer(let i): return String(i)
      case .null: return ""
      }
    }

    var json: String {
      switch self {
      case .text(let s): return OutputTable.jsonString(s)
      case .number(let d): return d.isFinite ? Self.integral(d) ?? "\(d)" : "null"
      case .exact(let d): return d.isFinite ? Cell.exact(d).plain : "null"
      case .integer(let i): return String(i)
      case .null: return "null"
      }
    }

    /// A whole number as an integer (a count, seconds: `5`, not `5.0` or
    /// `2.91e+07`); nil for any other.
    static func integral(_ d: Double) -> String? {
      d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : nil
    }

    var isNumeric: Bool {
      switch self {
      case .number, .exact, .integer: return true
      default: return false
      }
    }
  }

  package var columns: [String]
  package var rows: [[Cell]]

  package init(columns: [String], rows: [[Cell]] = []) {
    self.columns = columns
    self.rows = rows
  }

  package func render(_ format: Format) -> String {
    switch format {
    case .table: return table()
    case .csv: return csv()
    case .json: return json()
    case .jsonl: return rows.map { object($0) + "\n" }.joined()
    }
  }

  func table() -> String {
    let cells = rows.map { $0.map(\.plain) }
    var widths = columns.map(\.count)
    for row in cells { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    func line(_ values: [String], numeric: [Bool]) -> String {
      values.enumerated().map { i, v in
        let pad = String(repeating: " ", count: widths[i] - v.count)
        return numeric[i] ? pad + v : v + pad
      }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }
    // A column is right-aligned when every value in it is a number.
    let numericColumns = columns.indices.map { i in
      !rows.isEmpty && rows.allSatisfy { $0[i].isNumeric || $0[i] == .null }
    }
    var out = [
      line(columns, numeric: numericColumns),
      line(widths.map { String(repeating: "-", count: $0) }, numeric: numericColumns),
    ]
    for row in cells { out.append(line(row, numeric: numericColumns)) }
    return out.joined(separator: "\n") + "\n"
  }

  func csv() -> String {
    func quote(_ s: String) -> String {
      s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
        ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
    var out = columns.map(quote).joined(separator: ",") + "\n"
    for row in rows {
      out +=
        row.map { cell -> String in
          if case .number(let d) = cell { return Cell.integral(d) ?? "\(d)" }
          return quote(cell.plain)
        }.joined(separator: ",") + "\n"
    }
    return out
  }

  /// One row as a JSON object.
  func object(_ row: [Cell]) -> String {
    "{" + zip(columns, row).map { "\(Self.jsonString($0)): \($1.json)" }.joined(separator: ", ") + "}"
  }

  func json() -> String {
    let objects = rows.map(object)
    return "[\n" + objects.map { "  " + $0 }.joined(separator: ",\n") + (objects.isEmpty ? "]\n" : "\n]\n")
  }

  static func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case let c where c.value < 0x20: out += String(format: "\\u%04x", c.value)
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
