// libFuzzer entry point for the input side: the file check, the line
// splitter and the Graphite line parser over whole files, and the same
// bytes as a file name (its log form and the names written in rejected/).
// Built by scripts/fuzz with -sanitize=fuzzer,address; not part of the
// package build.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLines(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  let parser = GraphiteLineParser(
    maxLineLength: 4096, maxSeriesNameLength: 255, now: 1_767_571_200, maxFuture: 900)
  _ = SampleFile.check(bytes)
  var lines = 0
  SampleFile.forEachLine(in: bytes) { number, line in
    lines += 1
    precondition(number == lines)
    // The one-pass parse of common lines agrees with the general one.
    if let common = parser.commonLine(line) { precondition(common == parser.parseAnyLine(line)) }
    switch parser.parse(line) {
    case nil: break
    case .success(let sample)?:
      precondition(sample.value.isFinite && sample.timestamp.isFinite)
      precondition(sample.value == 0 || GraphiteLineParser.valueMagnitudes.contains(sample.value.magnitude))
      precondition(!sample.series.isEmpty && sample.series.utf8.count <= 255)
    case .failure(let reason)?:
      // Its reason is one line of the .rejected file.
      precondition(!reason.description.contains("\n") && !reason.kind.isEmpty)
    }
  }
  fuzzName(bytes)
  fuzzStream(bytes)
  return 0
}

/// The relay's line cutter: bytes fed in two pieces give the same lines as
/// fed at once, and every line it passes is whole, bounded and NUL-free.
func fuzzStream(_ bytes: UnsafeRawBufferPointer) {
  var whole = StreamLines(maxLineLength: 64)
  var once: [UInt8] = []
  whole.feed(bytes, into: &once)
  whole.finish(into: &once)
  let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
  var pieces = StreamLines(maxLineLength: 64)
  var twice: [UInt8] = []
  pieces.feed(UnsafeRawBufferPointer(rebasing: bytes[..<cut]), into: &twice)
  pieces.feed(UnsafeRawBufferPointer(rebasing: bytes[cut...]), into: &twice)
  pieces.finish(into: &twice)
  precondition(once == twice && whole.dropped == pieces.dropped)
  precondition(once.isEmpty || once.last == 0x0A)
  for line in once.split(separator: 0x0A) { precondition(line.count <= 64 && !line.contains(0)) }
}

/// A file name (any bytes but `/` and NUL, at most 255 of them, as UTF-8):
/// its escaped form is one line without control characters, and the name
/// outlierd writes for it leaves room for every suffix it adds.
func fuzzName(_ bytes: UnsafeRawBufferPointer) {
  guard bytes.count <= 255, !bytes.contains(0), !bytes.contains(UInt8(ascii: "/")),
    let name = String(validating: bytes, as: UTF8.self)
  else { return }
  let escaped = LogText.escaped(name)
  precondition(!escaped.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
  let fitted = RejectedName.fitting(name)
  precondition(fitted.utf8.count <= RejectedName.keptBytes + 9)
  precondition(!fitted.unicodeScalars.contains { $0.value < 0x20 || $0 == "/" })
  precondition(fitted == name || fitted.contains("~"))
}
