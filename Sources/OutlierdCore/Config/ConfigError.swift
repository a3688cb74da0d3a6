/// A configuration error that names the file, the line and the key.
package struct ConfigError: Error, Equatable, CustomStringConvertible {
  package var file: String
  package var line: Int?
  package var key: String?
  package var message: String

  package init(file: String, line: Int?, key: String?, message: String) {
    self.file = file
    self.line = line
    self.key = key
    self.message = message
  }

  package var description: String {
    var text = file
    if let line, line > 0 { text += ":\(line)" }
    text += ": "
    if let key { text += "\(key): " }
    return text + message
  }
}
