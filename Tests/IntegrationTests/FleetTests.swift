import Foundation
import Testing

@testable import OutlierdCore

#if canImport(Glibc)
  import Glibc
#endif

/// Two instances behind a real carbon-c-relay (Debian's), which shards the
/// series by name with jump hash, as docs/fleet.md sets it up: each
/// instance its own config, spool, database and `outlierd relay`.
@Suite(
  "A fleet behind carbon-c-relay", .serialized,
  .enabled(if: FileManager.default.fileExists(atPath: "/usr/bin/carbon-c-relay")))
struct FleetTests {
  static let series = 40
  static let steps = 4 * 2016  // four weeks of five-minute samples
  static let t0 = 1_767_571_200

  /// Line `step` of series `i`: a weekly wave with a spike on a few.
  static func line(_ i: Int, _ step: Int) -> String {
    let wave = 100 + 20 * sin(Double(step % 2016) / 2016 * 2 * .pi) + Double((step * 7 + i) % 5)
    let spike = i % 8 == 0 && (step == 3 * 2016 + 500 + i || step == 4 * 2016 + 700 + i) ? 400.0 : 0
    return "fleet.s\(i) \(wave + spike) \(t0 + step * 300)\n"
  }

  /// The router config of docs/fleet.md for `instances`, in this order.
  static func carbonConfig(_ instances: [(name: String, port: UInt16)]) -> String {
    let members = instances.map { "127.0.0.1:\($0.port)=\($0.name)" }.joined(separator: " ")
    return "cluster outlierd jump_fnv1a_ch \(members);\nmatch * send to outlierd stop;\n"
  }

  /// carbon-c-relay with `instances` behind it, listening on its own port;
  /// the config docs/fleet.md gives.
  static func carbonRelay(_ root: String, instances: [(name: String, port: UInt16)]) throws -> (
    Process, UInt16
  ) {
    try carbonConfig(instances).write(
      toFile: root + "/carbon-c-relay.conf", atomically: true, encoding: .utf8)
    // It also binds the port for UDP and IPv6, which a free IPv4 TCP port
    // does not promise: one that exits at once (its port taken) is started
    // again on another.
    for _ in 0..<3 {
      let (process, port) = try startCarbonRelay(root)
      usleep(1_000_000)
      if process.isRunning { return (process, port) }
    }
    return try startCarbonRelay(root)
  }

  static func startCarbonRelay(_ root: String) throws -> (Process, UInt16) {
    let port = RelayTests.freePort()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/carbon-c-relay")
    // -s: submission mode (no statistics of its own); a queue that holds
    // the whole test's lines while an instance's relay is away.
    process.arguments = ["-f", root + "/carbon-c-relay.conf", "-p", String(port), "-s", "-q", "1000000"]
    // Its log, for a failure's message.
    FileManager.default.createFile(atPath: root + "/carbon-c-relay.log", contents: nil)
    let log = FileHandle(forWritingAtPath: root + "/carbon-c-relay.log")
    process.standardOutput = log
    process.standardError = log
    try process.run()
    return (process, port)
  }

  /// A relay listening on `port`, up (and not some other test's listener
  /// on a port it could not take: it would have exited).
  static func sorted(_ rows: [[String]]) -> [[String]] { rows.sorted { $0.lexicographicallyPrecedes($1) } }

  static func startRelay(_ h: Harness, port: UInt16) throws -> Process {
    let relay = try h.start(["relay", "--config", h.config, "--listen", "127.0.0.1:\(port)"])
    #expect(
      h.waitFor(seconds: 10) { h.stderr(of: relay).contains("outlierd relay started") },
      "\(h.stderr(of: relay))")
    #expect(relay.isRunning, "\(h.stderr(of: relay))")
    return relay
  }

  /// Every series lands on exactly one instance; a SIGTERM to one relay
  /// while carbon-c-relay is sending to it loses nothing (it reads until
  /// carbon-c-relay closes the connection, and carbon-c-relay keeps what
  /// it could not send for the restarted relay); and the two instances'
  /// alerts together are a single instance's on the same data.
  @Test func twoInstancesShardTheSeriesAndTogetherJudgeAsOne() throws {
    let single = try Harness()
    let a = try Harness(), b = try Harness()
    let relayConfig = "\n[relay]\nflush_interval = \"0.5s\""
    for h in [a, b] { try h.writeConfig(detection: "threshold = 4.0\nmin_samples = 4", input: relayConfig) }
    let portA = RelayTests.freePort(), portB = RelayTests.freePort()
    var relayA = try Self.startRelay(a, port: portA)
    let relayB = try Self.startRelay(b, port: portB)
    defer {
      for relay in [relayA, relayB] where relay.isRunning { kill(relay.processIdentifier, SIGTERM) }
    }
    let (carbon, carbonPort) = try Self.carbonRelay(a.root, instances: [("a", portA), ("b", portB)])
    // Killed: carbon-c-relay waits on a stop for instances that are gone.
    defer { kill(carbon.processIdentifier, SIGKILL) }
    #expect(a.waitFor(seconds: 10) { RelayTests.connect(port: carbonPort).map { close($0) } != nil })
    let carbonLog = { (try? String(contentsOfFile: a.root + "/carbon-c-relay.log", encoding: .utf8)) ?? "" }
    #expect(carbon.isRunning, "carbon-c-relay stopped: \(carbonLog())")
    // Routing before the stream: one line reaches an instance (on a loaded
    // machine carbon-c-relay may take a while to connect), then its file
    // is removed.
    let probe = try #require(RelayTests.connect(port: carbonPort))
    RelayTests.send(probe, Array("probe.ready 1 \(Self.t0)\n".utf8))
    close(probe)
    let routing = a.waitFor(seconds: 60) {
      (RelayTests.spoolLines(a) + RelayTests.spoolLines(b)).contains { $0.hasPrefix("probe.ready") }
    }
    #expect(routing, "carbon-c-relay routes nothing: \(carbonLog())")
    for h in [a, b] {
      for name in h.spoolFiles() { try FileManager.default.removeItem(atPath: h.spool + "/" + name) }
    }

    // The whole stream, time-ordered, in chunks with pauses: about 3 s.
    let fd = try #require(RelayTests.connect(port: carbonPort))
    let chunk = 200
    var stopped = false
    for start in stride(from: 0, to: Self.steps, by: chunk) {
      let text = (start..<min(start + chunk, Self.steps)).map { step in
        (0..<Self.series).map { Self.line($0, step) }.joined()
      }.joined()
      RelayTests.send(fd, Array(text.utf8))
      usleep(60_000)
      // Mid-stream: instance a's relay is stopped, and started again.
      if !stopped && start >= Self.steps / 3 {
        stopped = true
        kill(relayA.processIdentifier, SIGTERM)
        relayA.waitUntilExit()
        #expect(relayA.terminationStatus == 0)
        relayA = try Self.startRelay(a, port: portA)
      }
    }
    close(fd)
    let total = Self.series * Self.steps
    let arrived = a.waitFor(seconds: 60) {
      RelayTests.spoolLines(a).count + RelayTests.spoolLines(b).count >= total
    }
    usleep(1_500_000)  // anything beyond the total would be a duplicate
    for relay in [relayA, relayB] {
      kill(relay.processIdentifier, SIGTERM)
      relay.waitUntilExit()
    }
    let linesA = RelayTests.spoolLines(a), linesB = RelayTests.spoolLines(b)
    #expect(
      arrived && linesA.count + linesB.count == total,
      "\(linesA.count) + \(linesB.count) of \(total); carbon-c-relay: \(carbonLog().suffix(2000)); relays: \(a.stderr(of: relayA).suffix(1000)) \(b.stderr(of: relayB).suffix(1000))"
    )
    let ordered = (0..<Self.steps).flatMap { step in (0..<Self.series).map { Self.line($0, step) } }
    let all = Set(ordered.map { String($0.dropLast()) })
    let missing = all.subtracting(linesA).subtracting(linesB)
    let foreign = Set(linesA).union(linesB).subtracting(all)
    #expect(
      missing.isEmpty && foreign.isEmpty,
      "\(missing.count) lost, e.g. \(Array(missing.prefix(3))); \(foreign.count) changed")

    // Each series on exactly one instance, both used.
    func names(_ lines: [String]) -> Set<String> { Set(lines.map { String($0.prefix { $0 != " " }) }) }
    let onA = names(linesA), onB = names(linesB)
    #expect(onA.isDisjoint(with: onB) && onA.union(onB).count == Self.series)
    #expect(!onA.isEmpty && !onB.isEmpty, "a \(onA.count), b \(onB.count)")

    // The instances judge; so does one instance with everything.
    try single.drop("all.txt", ordered.joined())
    for h in [a, b, single] {
      #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    }
    let alerts = "SELECT series, ts, value, expected, score, p_value FROM alerts ORDER BY series, ts"
    let together = Self.sorted(try a.query(alerts) + b.query(alerts))
    let one = Self.sorted(try single.query(alerts))
    #expect(
      !one.isEmpty && together == one, "\(together.count) alerts from two instances, \(one.count) from one")

    // One view of both: the same rows as the instances' own lists, with an
    // instance column, newest first (series: by name).
    for command in [["alerts"], ["incidents"], ["series"]] {
      let limit = command == ["series"] ? [] : ["--limit", "1000"]
      func rows(_ arguments: [String]) throws -> [String] {
        let result = try a.run(command + arguments + limit + ["--format", "csv"])
        #expect(result.status == 0, "\(result.errors)")
        return Array(result.output.split(separator: "\n").dropFirst().map(String.init))
      }
      let fleet = try rows(["--database", "a=\(a.database)", "--database", "b=\(b.database)"])
      let own =
        try rows(["--database", a.database]).map { "a," + $0 }
        + rows(["--database", b.database]).map { "b," + $0 }
      #expect(
        fleet.count == own.count && Set(fleet) == Set(own),
        "\(command): \(fleet.count) rows, \(own.count) own")
      #expect(!fleet.isEmpty)
    }
    // status: one row per instance, its own figures.
    let status = try a.run([
      "status", "--format", "jsonl", "--database", "a=\(a.database)", "--database", "b=\(b.database)",
    ])
    let rows = status.output.split(separator: "\n").compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    #expect(
      rows.map { "\($0["instance"] ?? "") \($0["series"] ?? "")" } == ["a \(onA.count)", "b \(onB.count)"],
      "\(status.output)\(status.errors)")

    // A third instance: scripts/reshard moves the series the new config
    // sends to it, with their models, and only those (jump hash moves a
    // third to the new instance, none between the old two).
    let c = try Harness()
    try c.writeConfig(detection: "threshold = 4.0\nmin_samples = 4", input: relayConfig)
    let portC = RelayTests.freePort()
    let relays = [
      try Self.startRelay(a, port: portA), try Self.startRelay(b, port: portB),
      try Self.startRelay(c, port: portC),
    ]
    defer { for relay in relays where relay.isRunning { kill(relay.processIdentifier, SIGTERM) } }
    // The router is restarted with the new config (its queues are empty:
    // everything sent was delivered).
    kill(carbon.processIdentifier, SIGKILL)
    carbon.waitUntilExit()
    let (router, routerPort) = try Self.carbonRelay(
      c.root, instances: [("a", portA), ("b", portB), ("c", portC)])
    defer { kill(router.processIdentifier, SIGKILL) }
    #expect(c.waitFor(seconds: 10) { RelayTests.connect(port: routerPort).map { close($0) } != nil })
    let reshard = try SystemTools.shell(
      "OUTLIERD=\(Harness.binary) \(Harness.packageRoot)/scripts/reshard \(c.root)/carbon-c-relay.conf 127.0.0.1:\(portA)=\(a.config) 127.0.0.1:\(portB)=\(b.config) 127.0.0.1:\(portC)=\(c.config)"
    )
    #expect(reshard.status == 0, "\(reshard.text)")
    func seriesOn(_ h: Harness) throws -> Set<String> {
      Set(try h.query("SELECT name FROM series").map { $0[0] })
    }
    let afterA = try seriesOn(a), afterB = try seriesOn(b), onC = try seriesOn(c)
    #expect(afterA.isSubset(of: onA) && afterB.isSubset(of: onB), "a series moved between the old instances")
    #expect(
      afterA.union(afterB).union(onC).count == Self.series && afterA.union(afterB).isDisjoint(with: onC))
    #expect(
      onC.count >= Self.series / 6 && onC.count <= Self.series / 2, "\(onC.count) of \(Self.series) moved")

    // A fifth week through the router: the three instances judge it as one
    // instance with everything does.
    let fifth = 4 * 2016..<5 * 2016
    #expect(router.isRunning, "carbon-c-relay stopped")
    var routerSocket: Int32?
    _ = c.waitFor(seconds: 20) {
      routerSocket = RelayTests.connect(port: routerPort)
      return routerSocket != nil
    }
    let stream = try #require(
      routerSocket, "carbon-c-relay (running: \(router.isRunning)) takes no connection")
    for start in stride(from: fifth.lowerBound, to: fifth.upperBound, by: chunk) {
      let text = (start..<min(start + chunk, fifth.upperBound)).map { step in
        (0..<Self.series).map { Self.line($0, step) }.joined()
      }.joined()
      RelayTests.send(stream, Array(text.utf8))
    }
    close(stream)
    let arrivedAgain = a.waitFor(seconds: 60) {
      [a, b, c].map { RelayTests.spoolLines($0).count }.reduce(0, +) >= Self.series * fifth.count
    }
    usleep(1_500_000)
    for relay in relays { kill(relay.processIdentifier, SIGTERM); relay.waitUntilExit() }
    #expect(
      arrivedAgain
        && [a, b, c].map { RelayTests.spoolLines($0).count }.reduce(0, +) == Self.series * fifth.count)
    #expect(
      Set(RelayTests.spoolLines(c).map { String($0.prefix { $0 != " " }) }) == onC,
      "c takes its series' lines: \([a, b, c].map { RelayTests.spoolLines($0).count }) \(carbonLog().suffix(3000))"
    )
    try single.drop(
      "fifth.txt", fifth.flatMap { step in (0..<Self.series).map { Self.line($0, step) } }.joined())
    for h in [a, b, c, single] {
      #expect(try h.run(["run", "--config", h.config, "--exit-when-idle"]).status == 0)
    }
    let three = Self.sorted(try a.query(alerts) + b.query(alerts) + c.query(alerts))
    let home = Self.sorted(try single.query(alerts))
    let fifthStart = Double(Self.t0 + fifth.lowerBound * 300)
    let fifthAlerts = home.filter { (Double($0[1]) ?? 0) >= fifthStart }.count
    #expect(
      fifthAlerts > 0 && three == home, "\(three.count) alerts from three instances, \(home.count) from one")
    print(
      "fleet test: series \(onA.count) on a, \(onB.count) on b; \(onC.count) moved to c; \(home.count) alerts either way"
    )
  }
}
