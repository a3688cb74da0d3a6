import ArgumentParser
import Foundation
import OutlierdCore

struct Silence: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Mute notifications for series during maintenance: add, list, expire.",
    discussion: """
      A silence holds back the notifiers: incidents of matching series that open while it lasts \
      are recorded (in the database and each notifier's ledger) but not delivered while it lasts; \
      one still open when it ends is delivered then. Silences are kept in the daemon's database, \
      so one holds back every notifier (Alertmanager and exec hooks alike); with the daemon \
      running, add and expire go to it through control/ (root, or the outlierd-admins group). \
      The notifiers apply a silence from their next pass (two seconds).
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
      for (what, text) in [("the pattern", pattern), ("--comment", comment)]
      where text.contains(where: { $0 == "\t" || $0.isNewline }) {
        throw badValue("\(what) may not hold tabs or line breaks")
      }
      let user =
        ProcessInfo.processInfo.environment["SUDO_USER"]
        ?? String(cString: getlogin() ?? strdup("uid \(getuid())"))
      try ask(
        .silence(pattern: pattern, seconds: seconds, comment: comment, by: user), options: options,
        success: "silence #")
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the silences that have not ended.")

    @OptionGroup var options: ConfigOption

    func run() throws {
      let settings = try options.load()
      let zone = TimeZone(identifier: settings.timeZone) ?? .gmt
      let now = Date().timeIntervalSince1970
      var silences = try Store.silences(
        try SQLiteDatabase(path: settings.database, readOnly: true), endingAfter: now)
      // Those a notifier's ledger still holds from before, when readable here.
      if FileManager.default.isReadableFile(atPath: settings.notifyDatabase),
        let ledger = try? DeliveryLedger(path: settings.notifyDatabase)
      {
        silences += try ledger.silences(endingAfter: now)
      }
      let rows = silences.map { s -> [OutputTable.Cell] in
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
      try ask(.expireSilence(id: id), options: options, success: "silence #")
    }
  }
}
