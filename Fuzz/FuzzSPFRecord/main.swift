// libFuzzer target: the SPF record parser (RFC 7208 terms, domain-specs, macro-strings) must
// turn any TXT text into a record or a syntax error, and a parsed record's terms must be
// consistent with its text.
import FuzzDriver
import Pipeline

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // As a record (with the version prepended when missing, so the terms get exercised).
    let text = SPFRecord.isSPF(bytes) ? bytes : Array("v=spf1 ".utf8) + bytes
    if let record = try? SPFRecord(parsing: text) {
        precondition(text.count <= SPFRecord.maximumLength, "oversized record accepted")
        for directive in record.directives {
            precondition(!directive.text.isEmpty && !directive.text.contains(" "), "directive text")
        }
    }
    // As explanation text (exp= TXT) and as a domain-spec's macro-string.
    let string = String(decoding: bytes, as: UTF8.self)
    _ = try? MacroString(parsing: string, context: .explanation)
    _ = try? MacroString(parsing: string, context: .domain)
    return 0
}

runFuzzer(fuzzOne)
