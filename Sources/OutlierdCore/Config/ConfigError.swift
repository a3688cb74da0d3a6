/// A configuration error that names the file, the line and the key.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
  public var file: String
  public var line: Int?
  public var key: String?
  public var message: String

  public init(file: String, line: Int?, key: String?, message: String) {
    self.file = file
    self.line = line
    self.key = key
    self.message = message
  }

  public var description: String {
    var text = file
    if let line, line > 0 { text += ":\(line)" }
    text += ": "
    if let key { text += "\(key): " }
    return text + message
  }
}
