public import MailMessage

/// DMARC (RFC 7489): policy discovery, identifier alignment and the policy to apply, over
/// the SPF and DKIM results already decided. Pure logic over DNS answers and its inputs; the
/// pct= sample is an input too (`DMARCStage` derives it from the message), so replay is stable.
public struct DMARCVerifier: Sendable {
    public var resolver: any DNSResolving
    public var suffixes: PublicSuffixList

    public init(resolver: any DNSResolving, suffixes: PublicSuffixList = .shared) {
        self.resolver = resolver
        self.suffixes = suffixes
    }

    /// The single RFC5322.From domain (§6.6.1), or why there is none.
    public static func fromDomain(of message: Message) -> Result<String, DKIMSignatureError> {
        let fields = message.fields(named: "from")
        guard !fields.isEmpty else { return .failure(DKIMSignatureError(description: "message has no From field")) }
        guard fields.count == 1 else { return .failure(DKIMSignatureError(description: "message has \(fields.count) From fields")) }
        let mailboxes = message.from.flatMap(\.mailboxes)
        guard mailboxes.count == 1 else {
            return .failure(DKIMSignatureError(description: mailboxes.isEmpty ? "From has no address" : "From has \(mailboxes.count) addresses"))
        }
        var domain = (mailboxes[0].domain ?? "").lowercased()
        while domain.hasSuffix(".") { domain.removeLast() }
        guard DKIMSignature.isDomainName(domain) else {
            return .failure(DKIMSignatureError(description: "From has no usable domain"))
        }
        return .success(domain)
    }

    /// - Parameters:
    ///   - spf: the SPF result for the MAIL FROM domain (HELO for the null sender), if SPF ran.
    ///   - sample: 0..<100; the message is subject to the full policy when `sample < pct`.
    public func evaluate(fromDomain: String, spf: (result: String, domain: String)?, dkim: [DKIMResult], sample: Int) async -> DMARCResult {
        var result = DMARCResult(status: .none, fromDomain: fromDomain)
        let organizational = suffixes.organizationalDomain(of: fromDomain)

        // §6.6.3: the From domain's record, else the organisational domain's.
        var found: (record: DMARCRecord, domain: String)?
        for domain in organizational == fromDomain ? [fromDomain] : [fromDomain, organizational] {
            switch await lookup(domain) {
            case let .temporary(why):
                result.status = .temperror
                result.reason = "policy lookup failed: \(why)"
                return result
            case let .unusable(why):
                result.reason = why
                return result
            case .absent:
                continue
            case let .record(record):
                found = (record, domain)
            }
            if found != nil { break }
        }
        guard let (record, policyDomain) = found else {
            result.reason = "no DMARC record for \(fromDomain)" + (organizational == fromDomain ? "" : " or \(organizational)")
            return result
        }
        result.policyDomain = policyDomain
        result.policy = record.policy
        result.subdomainPolicy = record.subdomainPolicy
        result.percent = record.percent

        // §3.1: identifier alignment.
        if let spf {
            result.spfResult = spf.result
            result.spfDomain = spf.domain
            result.spfAligned = spf.result == "pass" && aligned(spf.domain, fromDomain, record.spfAlignment)
        }
        var ignored: [String] = []
        for signature in dkim where signature.status == .pass || signature.status == .policy {
            guard let d = signature.domain, aligned(d, fromDomain, record.dkimAlignment) else { continue }
            // A signature that leaves part of the body unsigned vouches for less than the message.
            if signature.status == .policy || (signature.unsignedBodyBytes ?? 0) > 0 {
                ignored.append("DKIM d=\(d) ignored: body length limit leaves content unsigned")
                continue
            }
            if !result.alignedDKIMDomains.contains(d) { result.alignedDKIMDomains.append(d) }
        }
        if result.spfAligned || !result.alignedDKIMDomains.isEmpty {
            result.status = .pass
            result.reason = ([result.spfAligned ? "SPF aligned" : nil, result.alignedDKIMDomains.isEmpty ? nil : "DKIM aligned"].compactMap { $0 }
                + ignored).joined(separator: "; ")
            return result
        }

        // A temporary error in a check that could have aligned: not the sender's failure yet.
        let spfCouldAlign = spf.map { $0.result == "temperror" && aligned($0.domain, fromDomain, record.spfAlignment) } ?? false
        let dkimCouldAlign = dkim.contains { $0.status == .temperror && $0.domain.map { aligned($0, fromDomain, record.dkimAlignment) } == true }
        if spfCouldAlign || dkimCouldAlign {
            result.status = .temperror
            result.reason = "no aligned pass, and \(spfCouldAlign ? "SPF" : "DKIM") had a temporary error"
            return result
        }

        result.status = .fail
        // §6.3 sp=: for a From domain below the organisational domain whose record was used.
        let requested = policyDomain != fromDomain ? (record.subdomainPolicy ?? record.policy) : record.policy
        let sampled = sample < record.percent
        result.sampled = sampled
        result.disposition = sampled ? requested : requested.relaxed
        var why = ["no aligned SPF or DKIM pass"]
        if let spf, spf.result == "pass", !result.spfAligned { why.append("SPF passed for \(spf.domain), not aligned") }
        why += ignored
        if !sampled { why.append("pct=\(record.percent) left this message out: \(requested.rawValue) lowered to \(result.disposition.rawValue)") }
        result.reason = why.joined(separator: "; ")
        return result
    }

    /// Relaxed: same organisational domain; strict: the same name (RFC 7489 §3.1.1, §3.1.2).
    public func aligned(_ identifier: String, _ fromDomain: String, _ mode: DMARCRecord.Alignment) -> Bool {
        let a = identifier.lowercased(), b = fromDomain.lowercased()
        switch mode {
        case .strict: return a == b
        case .relaxed: return a == b || suffixes.organizationalDomain(of: a) == suffixes.organizationalDomain(of: b)
        }
    }

    enum Lookup {
        case record(DMARCRecord)
        case absent
        case unusable(String)
        case temporary(String)
    }

    func lookup(_ domain: String) async -> Lookup {
        switch await resolver.query("_dmarc." + domain, .txt) {
        case let .temporaryFailure(why): return .temporary(why)
        case .nonexistentDomain, .noRecords: return .absent
        case let .records(records, _):
            let texts = records.compactMap(\.joinedText).filter(DMARCRecord.isDMARC)
            if texts.isEmpty { return .absent }
            // §6.6.3 step 5: more than one record means no DMARC processing.
            if texts.count > 1 { return .unusable("\(texts.count) DMARC records at _dmarc.\(domain)") }
            switch DMARCRecord.parse(texts[0]) {
            case let .success(record): return .record(record)
            // §6.6.3 step 6: an invalid record is as if there were none.
            case let .failure(error): return .unusable("DMARC record at _dmarc.\(domain) unusable: \(error)")
            }
        }
    }
}
