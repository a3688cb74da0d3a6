import Foundation
import Testing

@testable import OutlierdCore

/// Operators in the database's group read it with sqlite3 and the CLI
/// whether the daemon runs or not (as real, unprivileged users); others are
/// told "permission denied", with the path.
@Suite("Reader access", .serialized)
struct ReaderAccessTests {
  @Test(.enabled(if: SystemTools.isRoot, "users and ownership need root"))
  func groupMembersReadAStoppedDatabaseAndOthersAreToldWhy() throws {
    let h = try Harness()
    let (member, stranger, group) = ("odt-reader", "odt-stranger", "odt-readers")
    try SystemTools.ensureUsers([member], group: group)
    try SystemTools.shell(
      "id -u \(stranger) >/dev/null 2>&1 || useradd --no-create-home --shell /usr/sbin/nologin \(stranger)")
    let path = h.root + "/day.txt"
    try "r.x 1 1767571200\nr.x 2 1767571500\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(try h.run(["ingest", "--config", h.config, path]).status == 0)
    // The daemon is stopped; the files are the service's: group-readable only.
    try SystemTools.shell(
      "chgrp \(group) \(h.root) \(h.database)* && chmod 0750 \(h.root) && chmod 0640 \(h.database)*")
    let shell = try SystemTools.asUser(member, "sqlite3 \(h.database) 'SELECT count(*) FROM series'")
    #expect(shell.status == 0 && shell.text == "1\n", "\(shell.text)")
    let status = try SystemTools.asUser(
      member, "\(Harness.binaryForOtherUsers) status --database \(h.database) --format csv")
    #expect(status.status == 0 && status.text.contains(",1,2,"), "\(status.text)")
    let refused = try SystemTools.asUser(
      stranger, "\(Harness.binaryForOtherUsers) status --database \(h.database)")
    #expect(
      refused.status != 0 && refused.text.contains("\(h.database): Permission denied"), "\(refused.text)")
  }
}
