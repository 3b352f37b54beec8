/// A DKIM key record (RFC 6376 §3.6.1; k=ed25519 from RFC 8463), read from the TXT record at
/// `<selector>._domainkey.<domain>`.
public struct DKIMKeyRecord: Hashable, Sendable {
    /// k=, default "rsa".
    public var keyType: String
    /// p= decoded; empty means the key was revoked (RFC 6376 §3.6.1).
    public var publicKey: [UInt8]
    /// h=: acceptable hash algorithms; nil means all.
    public var hashAlgorithms: [String]?
    /// s=: service types; default "*".
    public var serviceTypes: [String]
    /// t=y: the domain is testing DKIM.
    public var testing: Bool
    /// t=s: i= must use exactly d=, no subdomain.
    public var strictIdentity: Bool

    public var isRevoked: Bool { publicKey.isEmpty }

    public static func parse(_ text: some Collection<UInt8>) -> Result<DKIMKeyRecord, DKIMSignatureError> {
        func fail(_ text: String) -> Result<DKIMKeyRecord, DKIMSignatureError> { .failure(DKIMSignatureError(description: text)) }
        let list: DKIMTagList
        switch DKIMTagList.parse(text) {
        case let .success(parsed): list = parsed
        case let .failure(error): return fail("key record syntax: \(error)")
        }
        // v= is optional, but when present it must be first and DKIM1.
        if let v = list["v"] {
            guard list.tags.first?.name == "v", v == "DKIM1" else { return fail("key record is not v=DKIM1") }
        }
        guard let p = list["p"] else { return fail("key record has no p= tag") }
        guard let key = DKIMBase64.decode(DKIMTagList.compact(p)) else { return fail("key p= is not base64") }
        var record = DKIMKeyRecord(keyType: (list["k"].map(DKIMTagList.compact) ?? "rsa").lowercased(), publicKey: key,
                                   hashAlgorithms: nil, serviceTypes: ["*"], testing: false, strictIdentity: false)
        if let h = list["h"] { record.hashAlgorithms = DKIMTagList.colonList(h).map { $0.lowercased() } }
        if let s = list["s"] { record.serviceTypes = DKIMTagList.colonList(s).map { $0.lowercased() } }
        if let t = list["t"] {
            let flags = DKIMTagList.colonList(t).map { $0.lowercased() }
            record.testing = flags.contains("y")
            record.strictIdentity = flags.contains("s")
        }
        return .success(record)
    }
}
