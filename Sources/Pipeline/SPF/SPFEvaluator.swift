import Synchronization

#if canImport(Glibc)
internal import Glibc
#endif

/// The outcome of check_host() (RFC 7208 §2.6) with what decided it.
public struct SPFResult: Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable, CaseIterable {
        case none, neutral, pass, fail, softfail, temperror, permerror
    }

    public var code: Code
    /// The domain whose record gave the result (a redirect target where one was followed).
    public var domain: String
    /// The directive that matched, as written ("-all", "include:_spf.example.com"); nil for a
    /// default result, "none" and errors.
    public var mechanism: String?
    /// The exp= explanation, for "fail" only (§6.2).
    public var explanation: String?
    /// Plain words on why: "no SPF record", "DNS lookup limit (10) exceeded", the DNS failure…
    public var reason: String
    /// DNS-querying mechanisms and modifiers counted, and void lookups, over the whole check.
    public var lookups: Int
    public var voidLookups: Int

    public init(code: Code, domain: String, mechanism: String? = nil, explanation: String? = nil, reason: String,
                lookups: Int = 0, voidLookups: Int = 0) {
        self.code = code; self.domain = domain; self.mechanism = mechanism; self.explanation = explanation
        self.reason = reason; self.lookups = lookups; self.voidLookups = voidLookups
    }

    public var description: String {
        var text = "\(code.rawValue) (\(domain): \(reason)"
        if let mechanism { text += "; mechanism \(mechanism)" }
        return text + ")"
    }
}

/// check_host() (RFC 7208 §4) over any `DNSResolving`: pure logic over DNS answers, so it runs
/// the same against `DNSTable` in tests and the caching `LiveDNSResolver` in `roost serve`.
public struct SPFEvaluator: Sendable {
    public let resolver: any DNSResolving
    /// This host's name, for the %{r} macro in explanations.
    public var receiver: String
    public var lookupLimit: Int
    public var voidLookupLimit: Int
    /// §4.6.4: the whole check gives up (temperror) after this long; the RFC asks for at least 20 s.
    public var timeLimit: Duration
    /// Seconds since 1970, for %{t}.
    public var clock: @Sendable () -> Int
    /// Parsed records by their text, shared by copies of this evaluator: the same few records
    /// come back with every message, and parsing is most of a warm-cache check.
    let records = SPFRecordCache()

    public init(resolver: any DNSResolving, receiver: String = "unknown", lookupLimit: Int = 10, voidLookupLimit: Int = 2,
                timeLimit: Duration = .seconds(20), clock: (@Sendable () -> Int)? = nil) {
        self.resolver = resolver; self.receiver = receiver; self.lookupLimit = lookupLimit
        self.voidLookupLimit = voidLookupLimit; self.timeLimit = timeLimit
        self.clock = clock ?? { Int(time(nil)) }
    }

    /// The MAIL FROM identity (§2.4): the reverse-path's domain, or postmaster@HELO for the null
    /// sender `<>`.
    public func checkMailFrom(ip: IPAddress, mailFrom: String, helo: String) async -> SPFResult {
        if mailFrom.isEmpty { return await checkHELO(ip: ip, helo: helo) }
        guard let at = mailFrom.lastIndex(of: "@") else {
            // A reverse-path without a domain: RFC 7208 §4.3 has nothing to check.
            return SPFResult(code: .none, domain: mailFrom, reason: "no domain in the MAIL FROM address")
        }
        return await checkHost(ip: ip, domain: String(mailFrom[mailFrom.index(after: at)...]), sender: mailFrom, helo: helo)
    }

    /// The HELO identity (§2.3): check_host with postmaster@HELO as the sender.
    public func checkHELO(ip: IPAddress, helo: String) async -> SPFResult {
        await checkHost(ip: ip, domain: helo, sender: "postmaster@" + helo, helo: helo)
    }

    /// check_host(<ip>, <domain>, <sender>) (§4).
    public func checkHost(ip: IPAddress, domain: String, sender: String, helo: String) async -> SPFResult {
        let ip = ip.unmappedIPv4 // §5: an IPv4-mapped IPv6 client is an IPv4 client.
        var localPart = "postmaster", senderDomain = domain
        if let at = sender.lastIndex(of: "@") {
            let local = sender[..<at]
            if !local.isEmpty { localPart = String(local) }
            senderDomain = String(sender[sender.index(after: at)...])
        }
        let evaluation = Evaluation(evaluator: self, ip: ip, sender: localPart + "@" + senderDomain, localPart: localPart,
                                    senderDomain: senderDomain, helo: helo)
        var result = await evaluation.checkHost(domain: domain, nested: false)
        result.lookups = evaluation.lookups
        result.voidLookups = evaluation.voidLookups
        return result
    }
}

/// One check_host() run: the counters shared by every include and redirect under it (§4.6.4).
final class Evaluation {
    let evaluator: SPFEvaluator
    let ip: IPAddress
    let sender: String
    let localPart: String
    let senderDomain: String
    let helo: String
    let deadline: ContinuousClock.Instant
    var lookups = 0
    var voidLookups = 0

    init(evaluator: SPFEvaluator, ip: IPAddress, sender: String, localPart: String, senderDomain: String, helo: String) {
        self.evaluator = evaluator; self.ip = ip; self.sender = sender; self.localPart = localPart
        self.senderDomain = senderDomain; self.helo = helo
        deadline = .now + evaluator.timeLimit
    }

    /// How a term's evaluation stops the whole check.
    enum Stop: Error {
        case temperror(String)
        case permerror(String)
    }

    func checkHost(domain rawDomain: String, nested: Bool) async -> SPFResult {
        var domain = rawDomain.lowercased()
        if domain.hasSuffix(".") { domain.removeLast() }
        // §4.3: a malformed or single-label domain has no SPF record to find.
        guard SPFNames.isValidDomain(domain), domain.contains(".") else {
            return SPFResult(code: .none, domain: domain, reason: "not a valid domain name")
        }
        do {
            let record: SPFRecord
            switch try await selectRecord(domain) {
            case .none: return SPFResult(code: .none, domain: domain, reason: "no SPF record")
            case let .some(found): record = found
            }
            return try await evaluate(record, domain: domain, nested: nested)
        } catch let stop as Stop {
            switch stop {
            case let .temperror(reason): return SPFResult(code: .temperror, domain: domain, reason: reason)
            case let .permerror(reason): return SPFResult(code: .permerror, domain: domain, reason: reason)
            }
        } catch {
            return SPFResult(code: .temperror, domain: domain, reason: "\(error)")
        }
    }

    /// §4.4 and §4.5: the one TXT record that starts with "v=spf1".
    private func selectRecord(_ domain: String) async throws -> SPFRecord? {
        let texts: [[UInt8]]
        switch try await query(domain, .txt) {
        case let .records(records, _): texts = records.compactMap(\.joinedText)
        case .noRecords, .nonexistentDomain: return nil
        case let .temporaryFailure(reason): throw Stop.temperror("DNS: \(reason)")
        }
        let spf = texts.filter(SPFRecord.isSPF)
        guard !spf.isEmpty else { return nil }
        guard spf.count == 1 else { throw Stop.permerror("\(spf.count) SPF records at \(domain)") }
        switch evaluator.records.record(for: spf[0]) {
        case let .success(record): return record
        case let .failure(error): throw Stop.permerror("syntax error in the record of \(domain): \(error.description)")
        }
    }

    private func evaluate(_ record: SPFRecord, domain: String, nested: Bool) async throws -> SPFResult {
        for directive in record.directives {
            if directive.mechanism.queriesDNS { try countLookup() }
            guard try await matches(directive.mechanism, domain: domain) else { continue }
            let code = directive.qualifier.result
            var result = SPFResult(code: code, domain: domain, mechanism: directive.text,
                                   reason: "\(ip) \(code == .pass ? "matches" : "matched") \(directive.text)")
            // §6.2: the explanation of the record whose mechanism failed, never an included one's.
            if code == .fail, !nested, let exp = record.explanation {
                result.explanation = await explanation(exp, domain: domain)
            }
            return result
        }
        if let redirect = record.redirect {
            try countLookup()
            let target = try await expandDomain(redirect, domain: domain)
            var result = await checkHost(domain: target, nested: nested)
            // §6.1: a redirect to a domain without a record is a permerror, not none.
            if result.code == .none { result = SPFResult(code: .permerror, domain: target, reason: "redirect to \(target), which has no SPF record") }
            return result
        }
        return SPFResult(code: .neutral, domain: domain, reason: "no mechanism matched \(ip)")
    }

    private func countLookup() throws {
        lookups += 1
        if lookups > evaluator.lookupLimit { throw Stop.permerror("more than \(evaluator.lookupLimit) DNS-querying mechanisms") }
    }

    /// A query that answered with nothing (NODATA or NXDOMAIN): the third one is a permerror (§4.6.4).
    private func countVoid(_ result: DNSResult) throws {
        switch result {
        case .noRecords, .nonexistentDomain:
            voidLookups += 1
            if voidLookups > evaluator.voidLookupLimit {
                throw Stop.permerror("more than \(evaluator.voidLookupLimit) lookups with empty answers")
            }
        case .records, .temporaryFailure: break
        }
    }

    private func query(_ name: String, _ type: DNSRecordType) async throws -> DNSResult {
        guard ContinuousClock.now < deadline else { throw Stop.temperror("SPF evaluation took longer than \(evaluator.timeLimit)") }
        // A name no DNS query can carry (a label over 63 bytes, an empty label) exists nowhere.
        guard SPFNames.isValidDomain(name) else { return .nonexistentDomain }
        return await evaluator.resolver.query(name, type)
    }

    private func matches(_ mechanism: SPFRecord.Mechanism, domain: String) async throws -> Bool {
        switch mechanism {
        case .all:
            return true
        case let .ip4(network, prefix), let .ip6(network, prefix):
            return ip.isIn(network: network, prefixLength: prefix)
        case let .include(spec):
            let target = try await expandDomain(spec, domain: domain)
            let inner = await checkHost(domain: target, nested: true)
            switch inner.code {
            case .pass: return true
            case .fail, .softfail, .neutral: return false
            case .temperror: throw Stop.temperror("include:\(target): \(inner.reason)")
            case .permerror: throw Stop.permerror("include:\(target): \(inner.reason)")
            case .none: throw Stop.permerror("include:\(target) has no SPF record")
            }
        case let .a(spec, v4, v6):
            let target = try await target(spec, domain: domain)
            return try await addressMatches(target, ip4Prefix: v4, ip6Prefix: v6, countsVoid: true)
        case let .mx(spec, v4, v6):
            let target = try await target(spec, domain: domain)
            let answer = try await query(target, .mx)
            try countVoid(answer)
            let exchanges: [String]
            switch answer {
            case let .records(records, _):
                exchanges = records.compactMap { if case let .mx(_, exchange) = $0 { exchange } else { nil } }
            case .noRecords, .nonexistentDomain: return false
            case let .temporaryFailure(reason): throw Stop.temperror("DNS: \(reason)")
            }
            // §4.6.4: more than 10 MX names is a permerror.
            guard exchanges.count <= 10 else { throw Stop.permerror("\(target) has more than 10 MX records") }
            for exchange in exchanges where !exchange.isEmpty {
                if try await addressMatches(exchange, ip4Prefix: v4, ip6Prefix: v6, countsVoid: false) { return true }
            }
            return false
        case let .ptr(spec):
            let target = try await target(spec, domain: domain)
            try countVoid(try await pointerAnswer())
            let names = try await validatedNames()
            return names.contains { SPFNames.isSameOrSubdomain($0, of: target) }
        case let .exists(spec):
            let target = try await expandDomain(spec, domain: domain)
            // Always an A query, whatever the client's address family (§5.7).
            let answer = try await query(target, .a)
            try countVoid(answer)
            switch answer {
            case let .records(records, _): return !records.isEmpty
            case .noRecords, .nonexistentDomain: return false
            case let .temporaryFailure(reason): throw Stop.temperror("DNS: \(reason)")
            }
        }
    }

    private func target(_ spec: MacroString?, domain: String) async throws -> String {
        guard let spec else { return domain }
        return try await expandDomain(spec, domain: domain)
    }

    /// The a mechanism's test, and each MX host's: an address of the client's family within the prefix.
    private func addressMatches(_ name: String, ip4Prefix: Int, ip6Prefix: Int, countsVoid: Bool) async throws -> Bool {
        let type: DNSRecordType = ip.isIPv4 ? .a : .aaaa
        let answer = try await query(name, type)
        if countsVoid { try countVoid(answer) }
        switch answer {
        case let .records(records, _):
            let prefix = ip.isIPv4 ? ip4Prefix : ip6Prefix
            return records.contains { record in
                switch record {
                case let .a(address), let .aaaa(address): ip.isIn(network: address, prefixLength: prefix)
                default: false
                }
            }
        case .noRecords, .nonexistentDomain: return false
        case let .temporaryFailure(reason): throw Stop.temperror("DNS: \(reason)")
        }
    }

    private var validatedNamesCache: [String]?
    private var pointerAnswerCache: DNSResult?

    /// The client's PTR answer, asked once per check (the ptr mechanism and %{p} share it).
    private func pointerAnswer() async throws -> DNSResult {
        if let pointerAnswerCache { return pointerAnswerCache }
        let answer = try await query(ip.reverseDomain, .ptr)
        pointerAnswerCache = answer
        return answer
    }

    /// §5.5: the client's PTR names (the first 10) whose own addresses include the client.
    /// DNS failures here only mean fewer names, never an error.
    private func validatedNames() async throws -> [String] {
        if let validatedNamesCache { return validatedNamesCache }
        let answer = try await pointerAnswer()
        var names: [String] = []
        if case let .records(records, _) = answer {
            let candidates = records.compactMap { if case let .ptr(name) = $0 { name } else { nil } }.prefix(10)
            let type: DNSRecordType = ip.isIPv4 ? .a : .aaaa
            for name in candidates {
                guard case let .records(addresses, _) = try await query(name, type) else { continue }
                let found = addresses.contains { record in
                    switch record {
                    case let .a(address), let .aaaa(address): address == ip
                    default: false
                    }
                }
                if found { names.append(name) }
            }
        }
        validatedNamesCache = names
        return names
    }

    /// %{p}: a validated name, preferring the domain itself or one under it (§7.3).
    private func validatedName(for domain: String) async throws -> String {
        let names = try await validatedNames()
        if let exact = names.first(where: { $0 == domain }) { return exact }
        if let under = names.first(where: { SPFNames.isSameOrSubdomain($0, of: domain) }) { return under }
        return names.first ?? "unknown"
    }

    /// A domain-spec expanded and made a query name: no trailing dot, at most 253 bytes by
    /// dropping labels from the left (§7.3).
    private func expandDomain(_ spec: MacroString, domain: String) async throws -> String {
        var name = try await expand(spec, domain: domain, explanation: false)
        if name.hasSuffix(".") { name.removeLast() }
        while name.utf8.count > 253, let dot = name.firstIndex(of: ".") { name = String(name[name.index(after: dot)...]) }
        return name.lowercased()
    }

    /// §6.2: the exp= text, or nil when anything about it is wrong (DNS error, no or several
    /// TXT records, a syntax error, non-ASCII).
    private func explanation(_ spec: MacroString, domain: String) async -> String? {
        guard let name = try? await expandDomain(spec, domain: domain), SPFNames.isValidDomain(name) else { return nil }
        // Not counted toward any limit: it is looked up once, after the result is known.
        guard case let .records(records, _) = await evaluator.resolver.query(name, .txt) else { return nil }
        let texts = records.compactMap(\.joinedText)
        guard texts.count == 1, texts[0].count <= SPFRecord.maximumLength,
              texts[0].allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else { return nil }
        guard let template = try? MacroString(parsing: String(decoding: texts[0], as: UTF8.self), context: .explanation) else { return nil }
        return try? await expand(template, domain: domain, explanation: true)
    }

    func expand(_ string: MacroString, domain: String, explanation: Bool) async throws -> String {
        var out = ""
        for token in string.tokens {
            switch token {
            case let .literal(text):
                out += text
            case let .macro(letter, escaped, rightParts, reversed, delimiters):
                let value: String
                switch letter {
                case "s": value = sender
                case "l": value = localPart
                case "o": value = senderDomain
                case "d": value = domain
                case "i": value = SPFNames.macroAddress(ip)
                case "p": value = try await validatedName(for: domain)
                case "v": value = ip.isIPv4 ? "in-addr" : "ip6"
                case "h": value = helo
                case "c": value = ip.description
                case "r": value = evaluator.receiver
                case "t": value = String(evaluator.clock())
                default: value = ""
                }
                let transformed = SPFNames.transform(value, rightParts: rightParts, reversed: reversed, delimiters: delimiters)
                out += escaped ? SPFNames.urlEscaped(transformed) : transformed
            }
            guard out.utf8.count <= 8192 else { throw Stop.permerror("macro expansion too long") }
        }
        return out
    }
}

enum SPFNames {
    /// A name DNS can carry: labels of 1–63 bytes, at most 253 bytes.
    static func isValidDomain(_ name: String) -> Bool {
        var name = Substring(name)
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0.count <= 63 }
    }

    static func isSameOrSubdomain(_ name: String, of domain: String) -> Bool {
        let name = name.lowercased(), domain = domain.lowercased()
        return name == domain || name.hasSuffix("." + domain)
    }

    /// %{i}: dotted quad, or 32 dot-separated nibbles for IPv6 (§7.3).
    static func macroAddress(_ ip: IPAddress) -> String {
        switch ip {
        case .v4: return ip.description
        case let .v6(bytes):
            let digits = Array("0123456789abcdef")
            var nibbles: [String] = []
            for byte in bytes {
                nibbles.append(String(digits[Int(byte >> 4)]))
                nibbles.append(String(digits[Int(byte & 0x0f)]))
            }
            return nibbles.joined(separator: ".")
        }
    }

    /// §7.3: split on the delimiters (default "."), reverse if asked, keep the right-most parts,
    /// join with ".".
    static func transform(_ value: String, rightParts: Int?, reversed: Bool, delimiters: [Character]) -> String {
        if rightParts == nil && !reversed && (delimiters.isEmpty || delimiters == ["."]) { return value }
        let split = delimiters.isEmpty ? ["."] : Set(delimiters)
        var parts = value.split(omittingEmptySubsequences: false, whereSeparator: { split.contains($0) }).map(String.init)
        if reversed { parts.reverse() }
        if let rightParts, rightParts < parts.count { parts = Array(parts.suffix(rightParts)) }
        return parts.joined(separator: ".")
    }

    /// Uppercase macros are URL-escaped (§7.3): everything but RFC 3986 unreserved characters.
    static func urlEscaped(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            let unreserved = SPFRecord.isAlpha(byte) || SPFRecord.isDigit(byte) || byte == 0x2d || byte == 0x2e || byte == 0x5f || byte == 0x7e
            if unreserved {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = Array("0123456789ABCDEF")
                out += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0x0f)])
            }
        }
        return out
    }
}

/// Parsed SPF records (and syntax errors) by record text. Bounded: emptied when full.
final class SPFRecordCache: Sendable {
    static let capacity = 1024
    private let entries = Mutex<[[UInt8]: Result<SPFRecord, SPFRecord.SyntaxError>]>([:])

    func record(for text: [UInt8]) -> Result<SPFRecord, SPFRecord.SyntaxError> {
        if let hit = entries.withLock({ $0[text] }) { return hit }
        let parsed: Result<SPFRecord, SPFRecord.SyntaxError>
        do { parsed = .success(try SPFRecord(parsing: text)) } catch { parsed = .failure(error) }
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[text] = parsed
        }
        return parsed
    }
}
