import ArgumentParser
import Foundation
import OutlierdCore

struct Silence: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Mute notifications for series during maintenance: add, list, expire.",
    discussion: """
      A silence holds back the notifier: incidents of matching series that open while it lasts \
      are recorded (in the database and the notifier's ledger) but not delivered while it lasts; \
      one still open when it ends is delivered then. Stored in notify.database; the notifier \
      applies it from its next pass (two seconds).
      """,
    subcommands: [Add.self, List.self, Expire.self])

  struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Silence series matching a glob for a while.",
      discussion: "Example:\n  outlierd silence add 'db.*' --for 2h --comment 'failover test'")

    @OptionGroup var options: ConfigOption
    @Argument(help: "A shell glob on series names, e.g. 'db.*'.")
    var pattern: String
    @Option(
      name: .customLong("for"),
      help: ArgumentHelp("How long (\"90m\", \"2h\", seconds).", valueName: "duration"))
    var duration: String
    @Option(help: "Why, for whoever reads the list.")
    var comment = ""

    func run() throws {
      guard let seconds = Settings.seconds(duration), seconds > 0 else {
        throw badValue("--for \"\(duration)\" is not a duration; write e.g. 90m, 2h or 3600")
      }
      let settings = try options.load()
      let ledger = try DeliveryLedger(path: settings.notifyDatabase)
      let now = Date().timeIntervalSince1970
      let user =
        ProcessInfo.processInfo.environment["SUDO_USER"]
        ?? String(cString: getlogin() ?? strdup("uid \(getuid())"))
      let id = try ledger.addSilence(
        pattern: pattern, starts: now, ends: now + seconds, comment: comment, createdBy: user)
      print(
        "silence #\(id): \(pattern) until \(TimeExpression.format(now + seconds, zone: TimeZone(identifier: settings.timeZone) ?? .gmt))"
      )
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the silences that have not ended.")

    @OptionGroup var options: ConfigOption

    func run() throws {
      let settings = try options.load()
      let ledger = try DeliveryLedger(path: settings.notifyDatabase)
      let zone = TimeZone(identifier: settings.timeZone) ?? .gmt
      let rows = try ledger.silences(endingAfter: Date().timeIntervalSince1970).map {
        s -> [OutputTable.Cell] in
        [
          .integer(s.id), .text(s.pattern), .text(TimeExpression.format(s.starts, zone: zone)),
          .text(TimeExpression.format(s.ends, zone: zone)), .text(s.createdBy), .text(s.comment),
        ]
      }
      print(
        OutputTable(columns: ["id", "pattern", "starts", "ends", "by", "comment"], rows: rows).render(.table),
        terminator: "")
    }
  }

  struct Expire: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "End a silence now.")

    @OptionGroup var options: ConfigOption
    @Argument(help: "The silence's id (see `outlierd silence list`).")
    var id: Int64

    func run() throws {
      let settings = try options.load()
      let ledger = try DeliveryLedger(path: settings.notifyDatabase)
      guard try ledger.expireSilence(id, at: Date().timeIntervalSince1970) else {
        throw badValue("no silence #\(id) that has not ended; see `outlierd silence list`")
      }
      print("silence #\(id) ended")
    }
  }
}
