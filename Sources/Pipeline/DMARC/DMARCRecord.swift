/// A DMARC policy record (RFC 7489 §6.3), from the TXT record at `_dmarc.<domain>`.
public struct DMARCRecord: Hashable, Sendable {
    public enum Policy: String, Hashable, Sendable {
        case none, quarantine, reject

        /// RFC 7489 §6.6.4: a message left out by pct= gets the next less strict policy.
        public var relaxed: Policy {
            switch self {
            case .reject: .quarantine
            case .quarantine, .none: .none
            }
        }
    }

    public enum Alignment: String, Hashable, Sendable {
        case relaxed = "r", strict = "s"
    }

    public var policy: Policy
    /// sp=: for subdomains of the organisational domain; defaults to p=.
    public var subdomainPolicy: Policy?
    public var dkimAlignment: Alignment = .relaxed
    public var spfAlignment: Alignment = .relaxed
    /// pct=: 0–100.
    public var percent: Int = 100
    /// rua= as written (reports are not sent by Roost; kept for the evidence).
    public var aggregateReports: String?

    /// Whether a TXT record is meant as DMARC at all (§6.6.3 step 2: others are discarded).
    public static func isDMARC(_ text: [UInt8]) -> Bool {
        var rest = text[...]
        while let b = rest.first, b == 0x20 || b == 0x09 { rest.removeFirst() }
        guard rest.count >= 2, rest.prefix(1) == [UInt8(ascii: "v")] || rest.prefix(1) == [UInt8(ascii: "V")] else { return false }
        rest.removeFirst()
        while let b = rest.first, b == 0x20 || b == 0x09 { rest.removeFirst() }
        guard rest.first == UInt8(ascii: "=") else { return false }
        rest.removeFirst()
        while let b = rest.first, b == 0x20 || b == 0x09 { rest.removeFirst() }
        guard rest.count >= 6, rest.prefix(6).elementsEqual("DMARC1".utf8) else { return false }
        rest.removeFirst(6)
        while let b = rest.first, b == 0x20 || b == 0x09 { rest.removeFirst() }
        return rest.isEmpty || rest.first == UInt8(ascii: ";")
    }

    /// §6.3: v=DMARC1 first; a bad p= makes the record unusable unless rua= is valid (then p=none,
    /// §6.6.3); bad values of the other tags fall back to their defaults.
    public static func parse(_ text: [UInt8]) -> Result<DMARCRecord, DKIMSignatureError> {
        func fail(_ why: String) -> Result<DMARCRecord, DKIMSignatureError> { .failure(DKIMSignatureError(description: why)) }
        guard isDMARC(text) else { return fail("record is not v=DMARC1") }
        let list: DKIMTagList
        switch DKIMTagList.parse(text) {
        case let .success(parsed): list = parsed
        case let .failure(error): return fail("record syntax: \(error)")
        }
        var tags: [String: String] = [:]
        for tag in list.tags { tags[tag.name.lowercased()] = DKIMTagList.compact(tag.value) }
        let rua = tags["rua"].flatMap { $0.lowercased().hasPrefix("mailto:") ? $0 : nil }
        var record: DMARCRecord
        if let p = tags["p"].flatMap({ Policy(rawValue: $0.lowercased()) }) {
            record = DMARCRecord(policy: p)
        } else if rua != nil {
            record = DMARCRecord(policy: .none)
        } else {
            return fail(tags["p"] == nil ? "record has no p= tag" : "unknown policy p=\(tags["p"]!)")
        }
        record.aggregateReports = rua
        record.subdomainPolicy = tags["sp"].flatMap { Policy(rawValue: $0.lowercased()) }
        if let a = tags["adkim"].flatMap({ Alignment(rawValue: $0.lowercased()) }) { record.dkimAlignment = a }
        if let a = tags["aspf"].flatMap({ Alignment(rawValue: $0.lowercased()) }) { record.spfAlignment = a }
        if let pct = tags["pct"], pct.utf8.count <= 3, let n = Int(pct), (0...100).contains(n) { record.percent = n }
        return .success(record)
    }
}
