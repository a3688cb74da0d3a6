import Foundation
import Testing

@testable import OutlierdCore

/// `outlierd silence`, the real binary, with the notifier's exec hook as
/// the delivery that must (not) happen.
@Suite("Silences")
struct SilenceTests {
  @Test func aSilencedSeriesIsRecordedButNotDeliveredUntilTheSilenceEnds() throws {
    let h = try Harness()
    let out = h.root + "/delivered"
    try FileSystem.makeDirectory(out)
    try ExecHookTests.configure(h, exec: "cat > \(out)/$(date +%s%N).json")
    let add = try h.run([
      "silence", "add", "q.*", "--for", "2h", "--comment", "failover test", "--config", h.config,
    ])
    #expect(add.status == 0 && add.output.hasPrefix("silence #1: q.* until "), "\(add.output)\(add.errors)")
    let list = try h.run(["silence", "list", "--config", h.config])
    #expect(list.output.contains("q.*") && list.output.contains("failover test"), "\(list.output)")

    try h.drop("a.txt", AlertmanagerTests.samples("q.series", 0..<245, spikeAt: 240))
    try h.drop("b.txt", AlertmanagerTests.samples("loud.series", 0..<245, spikeAt: 240))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.query("SELECT count(*) FROM incidents") == [["2"]])
    let pass = try h.run(["notify", "--config", h.config, "--once"])
    #expect(pass.errors.contains("opened under silence #1: recorded, not delivered"), "\(pass.errors)")
    let delivered = try FileManager.default.contentsOfDirectory(atPath: out)
    #expect(delivered.count == 1, "\(delivered)")
    #expect(try String(contentsOfFile: out + "/" + delivered[0], encoding: .utf8).contains("\"loud.series\""))
    let ledger = try SQLiteDatabase(path: h.root + "/notify.db", readOnly: true)
    #expect(
      try ledger.scalarText(
        "SELECT group_concat(state || ':' || coalesce(silence_id, '-'), ' ') FROM deliveries ORDER BY incident_id"
      ) == "silenced:1 firing:-")

    // Ended: the next incident of the series is delivered again.
    #expect(try h.run(["silence", "expire", "1", "--config", h.config]).status == 0)
    #expect(try h.run(["silence", "expire", "1", "--config", h.config]).status != 0)
    try h.drop("c.txt", AlertmanagerTests.samples("q.series", 245..<600, spikeAt: 560))
    #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    #expect(try h.run(["notify", "--config", h.config, "--once"]).status == 0)
    let after = try FileManager.default.contentsOfDirectory(atPath: out).map {
      try String(contentsOfFile: out + "/" + $0, encoding: .utf8)
    }
    #expect(after.filter { $0.contains("\"q.series\"") }.count == 1, "\(after)")
  }
}
