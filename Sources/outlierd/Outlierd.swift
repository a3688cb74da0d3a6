import ArgumentParser
import OutlierdCore

@main
struct Outlierd: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "outlierd",
    abstract: "Seasonal outlier detection for metric samples.")
}
