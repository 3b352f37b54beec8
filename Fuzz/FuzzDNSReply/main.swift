// libFuzzer target: the resolver's reply reader (libresolv's ns_initparse/ns_parserr plus our
// record-data checks and CNAME following) must classify any bytes as records, NODATA,
// NXDOMAIN or a temporary failure, and never read outside the reply.
import FuzzDriver
import Pipeline

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The question the reply is read against comes from the first byte.
    let types: [DNSRecordType] = [.a, .aaaa, .mx, .txt, .ptr, .cname]
    let type = types[Int(bytes[0]) % types.count]
    let result = LiveDNSResolver.decodeReply(Array(bytes.dropFirst()), name: "q.test", type: type)
    if case let .records(records, _) = result {
        precondition(!records.isEmpty, "empty record set reported as records")
        for record in records {
            switch record {
            case let .a(address): precondition(address.isIPv4)
            case let .aaaa(address): precondition(!address.isIPv4)
            case let .txt(strings): precondition(strings.allSatisfy { $0.count <= 255 })
            case .mx, .ptr, .cname: break
            }
        }
    }
    return 0
}

runFuzzer(fuzzOne)
