import Foundation
import Testing

@testable import OutlierdCore

@Suite("File system as a user")
struct FileSystemEndToEndTests {
  @Test func aQuotedWordIsOneArgumentWhateverItHolds() throws {
    let texts = [
      "web.host7.requests", "x;touch PWNED;y", "it's", "''", "a b\tc", "$(id)", "`id`", "a\\b", "*", "-n",
      "~root", "#x", "new\nline", "é", "",
    ]
    for text in texts {
      let result = try SystemTools.shell("printf '%s' \(ShellWord.quoted(text))")
      #expect(result.text == text, "\(ShellWord.quoted(text))")
    }
    #expect(ShellWord.quoted("web.host7.requests") == "web.host7.requests")
    #expect(ShellWord.fileName("../etc/x") == "_.._etc_x" && ShellWord.fileName("-rf") == "_-rf")
  }
}
