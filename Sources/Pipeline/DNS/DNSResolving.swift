/// The record types the inbound checks ask for.
public enum DNSRecordType: UInt16, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case a = 1
    case cname = 5
    case ptr = 12
    case mx = 15
    case txt = 16
    case aaaa = 28

    public var description: String {
        switch self {
        case .a: "A"
        case .cname: "CNAME"
        case .ptr: "PTR"
        case .mx: "MX"
        case .txt: "TXT"
        case .aaaa: "AAAA"
        }
    }
}

/// One answer record's data. Names are absolute, lowercase, without the trailing dot.
public enum DNSRecordData: Hashable, Sendable {
    case a(IPAddress)
    case aaaa(IPAddress)
    case mx(preference: UInt16, exchange: String)
    /// The record's character-strings, unjoined (SPF and DKIM join them without separators).
    case txt([[UInt8]])
    case ptr(String)
    case cname(String)
}

/// The outcome of one query. A temporary failure (timeout, SERVFAIL, unreachable server,
/// truncated or garbled reply) is never the same as "no record": checks that meet it must
/// say so (SPF temperror, a tempfail policy), not pass or fail the message.
public enum DNSResult: Hashable, Sendable {
    /// The records of the asked type (CNAMEs already followed) and the smallest TTL among them.
    case records([DNSRecordData], ttl: UInt32)
    /// The name exists but has no record of this type (NODATA).
    case noRecords
    /// NXDOMAIN.
    case nonexistentDomain
    case temporaryFailure(String)
}

/// What every inbound check asks DNS through, so the checks are pure logic over answers and
/// tests can give them a fixed table (`DNSTable`) or a real server on loopback.
public protocol DNSResolving: Sendable {
    func query(_ name: String, _ type: DNSRecordType) async -> DNSResult
}

/// A fixed set of answers: for unit tests of the checks, and for replaying decisions with the
/// answers recorded at the time. Names not listed are NXDOMAIN; listed names without the
/// asked type are NODATA; `failing` names answer with a temporary failure.
public struct DNSTable: DNSResolving {
    public var records: [String: [DNSRecordData]]
    public var failing: Set<String>
    public var ttl: UInt32

    public init(records: [String: [DNSRecordData]] = [:], failing: Set<String> = [], ttl: UInt32 = 300) {
        self.records = [:]
        for (name, data) in records { self.records[Self.normalized(name), default: []] += data }
        self.failing = Set(failing.map(Self.normalized))
        self.ttl = ttl
    }

    public func query(_ name: String, _ type: DNSRecordType) async -> DNSResult {
        let key = Self.normalized(name)
        if failing.contains(key) { return .temporaryFailure("\(key) \(type): SERVFAIL (table)") }
        guard let data = records[key] else { return .nonexistentDomain }
        let matching = data.filter { $0.type == type }
        return matching.isEmpty ? .noRecords : .records(matching, ttl: ttl)
    }

    static func normalized(_ name: String) -> String {
        var name = name.lowercased()
        while name.hasSuffix(".") { name.removeLast() }
        return name
    }
}

extension DNSRecordData {
    public var type: DNSRecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .mx: .mx
        case .txt: .txt
        case .ptr: .ptr
        case .cname: .cname
        }
    }

    /// A TXT record's strings joined, as SPF (RFC 7208 §3.3) and DKIM read them.
    public var joinedText: [UInt8]? {
        guard case let .txt(strings) = self else { return nil }
        return strings.flatMap { $0 }
    }
}
