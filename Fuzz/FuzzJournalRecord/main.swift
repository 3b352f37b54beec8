// libFuzzer target: arbitrary bytes as a journal segment. Walking, CRC checks, decompression and
// event decoding must never crash, hang or read out of bounds (run with ASan: `make fuzz`).
import FuzzDriver
import Journal
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let inspection = SegmentInspection.inspect(bytes)
    if inspection.hasHeader { precondition(inspection.end <= size) }
    return 0
}

runFuzzer(fuzzOne)
