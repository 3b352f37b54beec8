// libFuzzer target: the first two bytes pick an event type (little-endian), the rest is decoded as
// its payload. Decoding must throw or succeed, never crash; a decoded event re-encodes and decodes
// to the same value.
import FuzzDriver
import Journal
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 2 else { return 0 }
    let type = UInt16(data[0]) | UInt16(data[1]) << 8
    let payload = UnsafeRawBufferPointer(start: data + 2, count: size - 2)
    guard let event = try? Event.decode(type: type, payload: payload) else { return 0 }
    let again = event.record()
    let redecoded = try? again.payload.withUnsafeBytes { try Event.decode(type: again.type, payload: $0) }
    precondition(redecoded?.record() == again, "re-encoding is not stable")
    return 0
}

runFuzzer(fuzzOne)
