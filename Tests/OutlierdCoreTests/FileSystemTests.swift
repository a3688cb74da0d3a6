import Foundation
import Testing

@testable import OutlierdCore

#if canImport(Glibc)
  import Glibc
#endif

/// The file helpers every write and every read from a shared directory go
/// through.
@Suite("File system")
struct FileSystemTests {
  static func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "outlierd-fs-" + UUID().uuidString.prefix(8)
    try FileSystem.makeDirectory(path)
    return path
  }

  /// `writeAtomically` wrote through `PATH.tmp`, opened with O_CREAT|O_TRUNC
  /// and no O_NOFOLLOW: a symlink there made it overwrite its target.
  @Test func anAtomicWriteNeverFollowsASymlinkBesideOrAtItsPath() throws {
    let directory = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let victim = directory + "/victim"
    try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
    symlink(victim, directory + "/answer.tmp")
    symlink(victim, directory + "/answer")
    try FileSystem.writeAtomically(directory + "/answer", Array("written\n".utf8))
    #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
    var info = stat()
    #expect(lstat(directory + "/answer", &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
    #expect(try String(contentsOfFile: directory + "/answer", encoding: .utf8) == "written\n")
    // Nothing is left behind but the two planted links' one survivor.
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == [
        "answer", "answer.tmp", "victim",
      ])
  }

  @Test func temporaryNamesAreFreshAndNeverReused() throws {
    let directory = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var names: Set<String> = []
    for _ in 0..<50 {
      let (fd, path) = try FileSystem.createTemporary(besides: directory + "/x")
      close(fd)
      #expect(FileSystem.baseName(path).hasPrefix(".outlierd-") && path.hasSuffix(".tmp"))
      #expect(names.insert(path).inserted)
    }
  }

  /// Reads from shared directories: small regular files only, without
  /// reading what is refused.
  @Test func aSmallFileReadRefusesLinksFIFOsDirectoriesAndLargeFiles() throws {
    let directory = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try "reset a.b\n".write(toFile: directory + "/ok", atomically: false, encoding: .utf8)
    #expect(try FileSystem.readSmallRegularFile(directory + "/ok", limit: 10) == Array("reset a.b\n".utf8))
    #expect(throws: FileSystem.SmallFileRefusal.self) {
      try FileSystem.readSmallRegularFile(directory + "/ok", limit: 9)
    }
    symlink(directory + "/ok", directory + "/link")
    mkfifo(directory + "/fifo", 0o600)
    mkdir(directory + "/dir", 0o700)
    let sparse = open(directory + "/sparse", O_WRONLY | O_CREAT, 0o600)
    ftruncate(sparse, 1 << 31)
    close(sparse)
    for (name, expected) in [
      ("link", "symlink"), ("fifo", "FIFO"), ("dir", "directory"), ("sparse", "2147483648 bytes"),
    ] {
      do {
        _ = try FileSystem.readSmallRegularFile(directory + "/" + name, limit: 4096)
        Issue.record("\(name) was read")
      } catch {
        #expect(error.description.contains(expected), "\(name): \(error)")
      }
    }
  }
}

/// Words for pasting, checked by a real shell.
@Suite("Shell words")
struct ShellWordTests {
}
