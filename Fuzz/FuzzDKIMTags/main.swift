// libFuzzer target: the tag=value parsers of DKIM-Signature fields, DKIM key records and DMARC
// records, and the Authentication-Results authserv-id reader, must survive any bytes in
// bounded time and keep their promises (bounded tag counts, no empty names, bounded values).
import FuzzDriver
import Pipeline

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if case let .success(list) = DKIMTagList.parse(bytes) {
        precondition(list.tags.count <= DKIMTagList.maxTags)
        precondition(list.tags.allSatisfy { !$0.name.isEmpty && $0.value.utf8.count <= bytes.count })
        precondition(Set(list.tags.map(\.name)).count == list.tags.count, "duplicates are refused")
    }
    if case let .success(signature) = DKIMSignature.parse(bytes) {
        precondition(signature.signedHeaders.contains("from"))
        precondition(signature.bodyHash.count == 32)
        precondition(signature.identityDomain == signature.domain || signature.identityDomain.hasSuffix("." + signature.domain))
        precondition(signature.signedHeaders.count <= DKIMSignature.maxSignedHeaders)
    }
    _ = DKIMSignature.identifiers(of: bytes)
    _ = DKIMKeyRecord.parse(bytes)
    if case let .success(record) = DMARCRecord.parse(bytes) {
        precondition((0...100).contains(record.percent))
    }
    if let id = AuthenticationResults.authservID(of: bytes) {
        precondition(!id.isEmpty)
    }
    // Domains made of the input: the suffix list never traps and stays within the name.
    let text = String(decoding: bytes.prefix(300), as: UTF8.self)
    let organizational = PublicSuffixList.shared.organizationalDomain(of: text)
    precondition(organizational.utf8.count <= text.lowercased().utf8.count)
    return 0
}

runFuzzer(fuzzOne)
