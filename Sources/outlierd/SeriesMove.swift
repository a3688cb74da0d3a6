import ArgumentParser
import Foundation
import OutlierdCore

/// Opens the configured database for writing, which only works with the
/// daemon stopped: moving series changes what it holds in memory.
private func storeWithDaemonStopped(_ settings: Settings, doing: String) throws -> Store {
  guard FileManager.default.fileExists(atPath: settings.database) else {
    throw badValue("no database at \(settings.database)")
  }
  do {
    let file = try DatabaseFile(path: settings.database)
    return try Store(path: settings.database, calendar: try settings.calendar(), file: file)
  } catch DatabaseFile.Problem.held {
    throw badValue(
      "\(settings.database) is in use by the running daemon; stop it first (systemctl stop outlierd) to \(doing): it holds the series in memory. Files arriving meanwhile wait in the spool."
    )
  }
}

/// A glob, or a file of names (one per line): exactly one of them.
func seriesSelection(glob: String?, names: String?) throws -> Store.Selection {
  switch (glob, names) {
  case (let glob?, nil):
    return .glob(glob)
  case (nil, let file?):
    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
      throw badValue("cannot read \(file)")
    }
    return .names(text.split(separator: "\n").map { String($0) }.filter { !$0.isEmpty })
  default:
    throw badValue("give a glob or --names FILE (one of them)")
  }
}

struct SeriesExport: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write series, with their models, to a file for another instance (series import).",
    discussion: """
      Everything a series judges with (slots, calibration, recent level, noise family, daily \
      profile, level shift), its history and its open incidents with their alerts, exactly, \
      in a checksummed file. Reads the database only: the daemon may keep running. To move \
      series between instances, see docs/fleet.md.

      Example:
        outlierd series export 'web.host7.*' -o host7.series
      """)

  @OptionGroup var options: DatabaseOptions
  @Argument(help: ArgumentHelp("Series to export: a name or a shell glob.", valueName: "glob"))
  var glob: String?
  @Option(
    help: ArgumentHelp("Export the series named in this file, one per line, instead.", valueName: "file"))
  var names: String?
  @Option(name: [.customShort("o"), .long], help: ArgumentHelp("The file to write.", valueName: "file"))
  var output: String

  func run() throws {
    let (reader, _) = try options.reader()
    let db = try SQLiteDatabase(path: reader.path, readOnly: true)
    db.setBusyTimeout(milliseconds: 5000)
    let selection = try seriesSelection(glob: glob, names: names)
    let transfer = try Store.exportSeries(db, path: reader.path, selection)
    guard !transfer.series.isEmpty else {
      throw badValue("no series matches \(glob.map(ShellWord.quoted) ?? names ?? "")")
    }
    try FileSystem.writeAtomically(output, try transfer.encoded())
    print("exported \(transfer.series.count) series to \(output)")
  }
}

struct SeriesImport: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract: "Add series exported by another instance, with their models (daemon stopped).",
    discussion: """
      The series judge here exactly as they would have at home. Refused, with nothing \
      imported: a file that was cut or changed (checksum), another calendar, schema or track \
      format, a series that exists here, a file imported before. Needs the daemon stopped.

      Example:
        sudo systemctl stop outlierd
        sudo -u outlierd outlierd series import host7.series
        sudo systemctl start outlierd
      """)

  @OptionGroup var options: ConfigOption
  @Argument(help: ArgumentHelp("A file written by series export.", valueName: "file"))
  var file: String

  func run() throws {
    let settings = try options.load()
    guard let data = FileManager.default.contents(atPath: file) else {
      throw badValue("cannot read \(file)")
    }
    let bytes = [UInt8](data)
    let transfer: SeriesTransfer
    do {
      transfer = try SeriesTransfer(decoding: bytes, path: file)
    } catch {
      throw badValue("\(error)")
    }
    let store = try storeWithDaemonStopped(settings, doing: "import series")
    do {
      let names = try store.importSeries(
        transfer, file: file, sha256: bytes.withUnsafeBytes { SHA256.hex(of: $0) }, size: bytes.count)
      print("imported \(names.count) series from \(file)")
    } catch let refused as Store.TransferRefused {
      throw badValue(refused.description)
    }
  }
}

struct SeriesDrop: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "drop",
    abstract: "Remove series that moved to another instance (daemon stopped).",
    discussion: """
      Removes each series' model, slots and history, and its open incidents with their \
      alerts (they moved with it); closed incidents and past alerts stay as the record. A \
      series that sends again afterwards starts anew. Export them first. When the glob \
      matches more than one series, --yes must confirm. Needs the daemon stopped.

      Example:
        outlierd series drop 'web.host7.*' --yes
      """)

  @OptionGroup var options: ConfigOption
  @Argument(help: ArgumentHelp("A series name or a shell glob.", valueName: "glob"))
  var glob: String?
  @Option(help: ArgumentHelp("Drop the series named in this file, one per line, instead.", valueName: "file"))
  var names: String?
  @Flag(help: "Drop every series the glob or the file names, when they are more than one.")
  var yes = false

  func run() throws {
    let settings = try options.load()
    let store = try storeWithDaemonStopped(settings, doing: "drop series")
    let selection = try seriesSelection(glob: glob, names: self.names)
    let known = try StoreReader(path: settings.database).seriesList(glob: glob, settings: settings).map(
      \.name)
    var names = known
    if case .names(let listed) = selection { names = Set(listed).intersection(known).sorted() }
    let asked = glob.map(ShellWord.quoted) ?? self.names ?? ""
    guard !names.isEmpty else { throw badValue("no series matches \(asked)") }
    try confirmSeveral(names, matching: asked, verb: "drop", yes: yes)
    try store.transaction {
      for name in names { _ = try store.dropSeries(named: name) }
    }
    print("dropped \(names.count) series")
  }
}
