// libFuzzer entry point for the input side: the file check, the line
// splitter and the Graphite line parser. Built by scripts/fuzz with
// -sanitize=fuzzer,address; not part of the package build.

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
      precondition(!sample.series.isEmpty && sample.series.utf8.count <= 255)
    case .failure(let reason)?:
      precondition(!reason.description.isEmpty)
    }
  }
  return 0
}
