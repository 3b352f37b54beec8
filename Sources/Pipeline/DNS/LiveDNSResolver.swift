internal import CResolv
internal import Dispatch
import Synchronization

#if canImport(Glibc)
internal import Glibc
#endif

/// A nameserver to ask instead of the system's (/etc/resolv.conf): an IPv4 address and port,
/// so tests can point the resolver at a server on loopback. libresolv takes IPv4 servers only.
public struct DNSServerAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16 = 53) {
        self.host = host; self.port = port
    }

    public var description: String { "\(host):\(port)" }
}

/// The resolver the inbound checks share: libresolv queries (`res_nsend`, which retries over
/// TCP when a UDP reply is truncated) on a dispatch queue of its own, so the blocking call never
/// runs on an event loop or Swift's cooperative pool; CNAME chains followed (at most 8 links);
/// answers and negative answers cached for their TTL (negative ones for the SOA minimum,
/// RFC 2308 §5). Every failure to get an answer — timeout, SERVFAIL, REFUSED, network error,
/// malformed or still-truncated reply — is `.temporaryFailure`, never "no record".
public final class LiveDNSResolver: DNSResolving {
    public let nameservers: [DNSServerAddress]?
    public let timeout: Duration
    public let attempts: Int
    let cache: DNSCache
    private let upstream = Mutex(0)
    private let queue = DispatchQueue(label: "roost.dns", attributes: .concurrent)

    /// Longest CNAME chain followed before the answer counts as a failure.
    static let maximumChainLength = 8

    /// `nameservers` nil asks the system resolver's servers. `timeout` is per try and rounds up to
    /// whole seconds (libresolv's unit); `attempts` tries per server.
    public init(nameservers: [DNSServerAddress]? = nil, timeout: Duration = .seconds(5), attempts: Int = 2,
                cacheCapacity: Int = 10_000) {
        self.nameservers = nameservers
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.cache = DNSCache(capacity: cacheCapacity)
    }

    /// How many queries went to a nameserver (cache misses and CNAME follow-ups).
    public var upstreamQueryCount: Int { upstream.withLock { $0 } }

    /// Entries now in the cache (expired ones included until they are swept).
    public var cachedEntryCount: Int { cache.count }

    public func flushCache() { cache.removeAll() }

    public func query(_ name: String, _ type: DNSRecordType) async -> DNSResult {
        guard let asked = DNSName.normalized(name) else { return .nonexistentDomain }
        let key = DNSCache.Key(name: asked, type: type)
        if let hit = cache.lookup(key, now: DNSCache.monotonicNow()) { return hit }

        var current = asked
        var ttl = UInt32.max
        for _ in 0...Self.maximumChainLength {
            let answer = await send(current, type)
            switch answer {
            case let .records(records, recordTTL):
                ttl = min(ttl, recordTTL)
                return cached(.records(records, ttl: ttl), key: key, ttl: ttl)
            case let .noRecords(negativeTTL):
                return cached(.noRecords, key: key, ttl: min(ttl, negativeTTL))
            case let .nonexistentDomain(negativeTTL):
                return cached(.nonexistentDomain, key: key, ttl: min(ttl, negativeTTL))
            case let .alias(target, aliasTTL):
                ttl = min(ttl, aliasTTL)
                current = target
            case let .temporaryFailure(reason):
                return .temporaryFailure(reason)
            }
        }
        return .temporaryFailure("\(asked) \(type): CNAME chain longer than \(Self.maximumChainLength)")
    }

    /// What one raw reply to (name, type) says, as `query` would report it; a CNAME the reply
    /// leaves open comes back as its `.cname` record. For fuzzing and inspecting captured replies.
    public static func decodeReply(_ reply: [UInt8], name: String, type: DNSRecordType) -> DNSResult {
        switch DNSWire.interpret(reply, name: DNSName.normalized(name) ?? name, type: type) {
        case let .records(records, ttl): .records(records, ttl: ttl)
        case let .alias(target, ttl): .records([.cname(target)], ttl: ttl)
        case .noRecords: .noRecords
        case .nonexistentDomain: .nonexistentDomain
        case let .temporaryFailure(reason): .temporaryFailure(reason)
        }
    }

    private func cached(_ result: DNSResult, key: DNSCache.Key, ttl: UInt32) -> DNSResult {
        cache.insert(key, result, ttl: ttl, now: DNSCache.monotonicNow())
        return result
    }

    private func send(_ name: String, _ type: DNSRecordType) async -> WireAnswer {
        upstream.withLock { $0 += 1 }
        let servers = nameservers, seconds = Self.wholeSeconds(timeout), attempts = attempts
        return await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Self.blockingQuery(name, type, servers: servers, seconds: seconds,
                                                                  attempts: attempts))
            }
        }
    }

    static func wholeSeconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        let rounded = seconds + (attoseconds > 0 ? 1 : 0)
        return Int32(clamping: max(1, rounded))
    }

    /// One query and its reply, on the calling thread (which blocks).
    static func blockingQuery(_ name: String, _ type: DNSRecordType, servers: [DNSServerAddress]?, seconds: Int32,
                              attempts: Int) -> WireAnswer {
        let state = UnsafeMutablePointer<__res_state>.allocate(capacity: 1)
        memset(state, 0, MemoryLayout<__res_state>.size)
        defer { state.deallocate() }
        guard __res_ninit(state) == 0 else { return .temporaryFailure("\(name) \(type): cannot read the resolver configuration") }
        defer { __res_nclose(state) }
        state.pointee.retrans = seconds
        state.pointee.retry = Int32(clamping: attempts)
        // Nonzero makes res_nsend hand back SERVFAIL/REFUSED replies instead of a bare -1, so the
        // reason is exact; it only affects dig-style printing otherwise.
        state.pointee.pfcode = 1
        if let servers {
            guard !servers.isEmpty else { return .temporaryFailure("\(name) \(type): no nameserver configured") }
            var addresses: [sockaddr_in] = []
            for server in servers.prefix(Int(MAXNS)) {
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = server.port.bigEndian
                guard inet_pton(AF_INET, server.host, &address.sin_addr) == 1 else {
                    return .temporaryFailure("\(name) \(type): nameserver \(server.host) is not an IPv4 address")
                }
                addresses.append(address)
            }
            state.pointee.nscount = Int32(addresses.count)
            withUnsafeMutableBytes(of: &state.pointee.nsaddr_list) { raw in
                let list = raw.bindMemory(to: sockaddr_in.self)
                for (i, address) in addresses.enumerated() { list[i] = address }
            }
        }
        var question = [UInt8](repeating: 0, count: Int(NS_PACKETSZ))
        let questionLength = res_nmkquery(state, Int32(ns_o_query.rawValue), name, Int32(ns_c_in.rawValue), Int32(type.rawValue),
                                            nil, 0, nil, &question, Int32(question.count))
        guard questionLength > 0 else { return .nonexistentDomain(negativeTTL: DNSCache.defaultNegativeTTL) }
        var reply = [UInt8](repeating: 0, count: 65_535)
        errno = 0
        let replyLength = res_nsend(state, question, questionLength, &reply, Int32(reply.count))
        guard replyLength > 0 else {
            let code = errno
            let reason = switch code {
            case ETIMEDOUT: "timed out"
            case ECONNREFUSED: "connection refused"
            default: code == 0 ? "no reply" : String(cString: strerror(code))
            }
            let where_ = servers.map { $0.map(\.description).joined(separator: ",") } ?? "system resolver"
            return .temporaryFailure("\(name) \(type): \(reason) (\(where_))")
        }
        return DNSWire.interpret(Array(reply.prefix(Int(replyLength))), name: name, type: type)
    }
}

/// What one reply says about (name, type).
enum WireAnswer: Hashable, Sendable {
    case records([DNSRecordData], ttl: UInt32)
    /// The reply ends in a CNAME whose target it says nothing about: ask for the target.
    case alias(String, ttl: UInt32)
    case noRecords(negativeTTL: UInt32)
    case nonexistentDomain(negativeTTL: UInt32)
    case temporaryFailure(String)
}

enum DNSName {
    /// Lowercase without the trailing dot; nil when the name cannot be asked (empty labels,
    /// a label over 63 bytes, over 253 bytes in all).
    static func normalized(_ name: String) -> String? {
        var name = name.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty, name.utf8.count <= 253 else { return nil }
        for label in name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.count <= 63 else { return nil }
        }
        return name
    }
}

/// Reading replies with libresolv's bounded parser (`ns_initparse`/`ns_parserr` reject
/// out-of-bounds lengths and compression loops); record data checked against its rdlength.
enum DNSWire {
    static func interpret(_ reply: [UInt8], name: String, type: DNSRecordType) -> WireAnswer {
        let what = "\(name) \(type)"
        guard reply.count >= Int(NS_HFIXEDSZ) else { return .temporaryFailure("\(what): reply shorter than a header") }
        let flags = UInt16(reply[2]) << 8 | UInt16(reply[3])
        let isResponse = flags & 0x8000 != 0, truncated = flags & 0x0200 != 0
        let rcode = Int(flags & 0x000f)
        guard isResponse else { return .temporaryFailure("\(what): reply is not a response") }
        switch rcode {
        case 0, 3: break
        case 1: return .temporaryFailure("\(what): FORMERR")
        case 2: return .temporaryFailure("\(what): SERVFAIL")
        case 4: return .temporaryFailure("\(what): NOTIMP")
        case 5: return .temporaryFailure("\(what): REFUSED")
        default: return .temporaryFailure("\(what): rcode \(rcode)")
        }
        // res_nsend already asked again over TCP; a reply still truncated is incomplete.
        guard !truncated else { return .temporaryFailure("\(what): truncated reply") }

        return reply.withUnsafeBufferPointer { buffer -> WireAnswer in
            guard let base = buffer.baseAddress else { return .temporaryFailure("\(what): empty reply") }
            let end = base + buffer.count
            var message = ns_msg()
            guard ns_initparse(base, Int32(buffer.count), &message) == 0 else {
                return .temporaryFailure("\(what): malformed reply")
            }
            var rr = ns_rr()
            // The question must be ours (res_nsend checks the id and question too; this is cheap).
            guard message._counts.0 == 1, ns_parserr(&message, ns_s_qd, 0, &rr) == 0,
                  ownerName(rr) == name, rr.type == type.rawValue else {
                return .temporaryFailure("\(what): reply to another question")
            }
            struct Record { var owner: String; var type: UInt16; var ttl: UInt32; var rdata: UnsafePointer<UInt8>; var length: Int }
            var answers: [Record] = []
            let answerCount = Int(message._counts.1)
            answers.reserveCapacity(answerCount)
            for i in 0..<answerCount {
                guard ns_parserr(&message, ns_s_an, Int32(i), &rr) == 0, let rdata = rr.rdata,
                      rdata >= base, rdata + Int(rr.rdlength) <= end else {
                    return .temporaryFailure("\(what): malformed answer record")
                }
                guard rr.rr_class == UInt16(ns_c_in.rawValue) else { continue }
                answers.append(Record(owner: ownerName(rr), type: rr.type, ttl: rr.ttl, rdata: rdata, length: Int(rr.rdlength)))
            }
            var negativeTTL = DNSCache.defaultNegativeTTL
            var sawSOA = false
            for i in 0..<Int(message._counts.2) {
                guard ns_parserr(&message, ns_s_ns, Int32(i), &rr) == 0, let rdata = rr.rdata,
                      rdata >= base, rdata + Int(rr.rdlength) <= end else {
                    return .temporaryFailure("\(what): malformed authority record")
                }
                if rr.type == UInt16(ns_t_soa.rawValue), let minimum = soaMinimum(base, end, rdata, Int(rr.rdlength)) {
                    negativeTTL = min(rr.ttl, minimum, DNSCache.maximumNegativeTTL)
                    sawSOA = true
                }
            }

            var current = name
            var ttl = UInt32.max
            var found: [DNSRecordData] = []
            chain: for _ in 0...LiveDNSResolver.maximumChainLength {
                for record in answers where record.owner == current && record.type == type.rawValue {
                    guard let data = decode(type, base, end, record.rdata, record.length) else {
                        return .temporaryFailure("\(what): malformed \(type) record")
                    }
                    found.append(data)
                    ttl = min(ttl, record.ttl)
                }
                if !found.isEmpty || type == .cname { break chain }
                guard let alias = answers.first(where: { $0.owner == current && $0.type == UInt16(ns_t_cname.rawValue) }) else {
                    break chain
                }
                guard case let .cname(target)? = decode(.cname, base, end, alias.rdata, alias.length) else {
                    return .temporaryFailure("\(what): malformed CNAME record")
                }
                ttl = min(ttl, alias.ttl)
                current = target
                if current == name { return .temporaryFailure("\(what): CNAME loop") }
            }
            if !found.isEmpty { return .records(found, ttl: ttl) }
            if rcode == 3 { return .nonexistentDomain(negativeTTL: min(negativeTTL, ttl)) }
            // A CNAME whose target this reply doesn't describe (another zone): ask for the target.
            if current != name, !sawSOA { return .alias(current, ttl: ttl) }
            return .noRecords(negativeTTL: min(negativeTTL, ttl))
        }
    }

    private static func ownerName(_ rr: ns_rr) -> String {
        var rr = rr
        let text = withUnsafeBytes(of: &rr.name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return normalizedText(text)
    }

    private static func normalizedText(_ text: String) -> String {
        var text = text.lowercased()
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// A possibly compressed name at `at`; nil when it runs outside the reply or is malformed.
    private static func name(_ base: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ at: UnsafePointer<UInt8>,
                             _ limit: UnsafePointer<UInt8>) -> (String, Int)? {
        guard at < limit else { return nil }
        var text = [CChar](repeating: 0, count: Int(NS_MAXDNAME))
        let used = ns_name_uncompress(base, end, at, &text, text.count)
        guard used > 0, at + Int(used) <= limit else { return nil }
        let string = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return (normalizedText(string), Int(used))
    }

    private static func soaMinimum(_ base: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>,
                                   _ rdata: UnsafePointer<UInt8>, _ length: Int) -> UInt32? {
        let limit = rdata + length
        guard let (_, mnameLength) = name(base, end, rdata, limit),
              let (_, rnameLength) = name(base, end, rdata + mnameLength, limit) else { return nil }
        let numbers = rdata + mnameLength + rnameLength
        guard numbers + 20 == limit else { return nil }
        return readUInt32(numbers + 16)
    }

    private static func readUInt32(_ p: UnsafePointer<UInt8>) -> UInt32 {
        UInt32(p[0]) << 24 | UInt32(p[1]) << 16 | UInt32(p[2]) << 8 | UInt32(p[3])
    }

    static func decode(_ type: DNSRecordType, _ base: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>,
                       _ rdata: UnsafePointer<UInt8>, _ length: Int) -> DNSRecordData? {
        let limit = rdata + length
        switch type {
        case .a:
            guard length == 4 else { return nil }
            return .a(.v4(rdata[0], rdata[1], rdata[2], rdata[3]))
        case .aaaa:
            guard length == 16 else { return nil }
            return .aaaa(.v6(Array(UnsafeBufferPointer(start: rdata, count: 16))))
        case .mx:
            guard length >= 3, let (exchange, used) = name(base, end, rdata + 2, limit), used == length - 2 else { return nil }
            return .mx(preference: UInt16(rdata[0]) << 8 | UInt16(rdata[1]), exchange: exchange)
        case .txt:
            var strings: [[UInt8]] = []
            var p = rdata
            while p < limit {
                let count = Int(p[0])
                guard p + 1 + count <= limit else { return nil }
                strings.append(Array(UnsafeBufferPointer(start: p + 1, count: count)))
                p += 1 + count
            }
            guard !strings.isEmpty else { return nil }
            return .txt(strings)
        case .ptr, .cname:
            guard let (target, used) = name(base, end, rdata, limit), used == length else { return nil }
            return type == .ptr ? .ptr(target) : .cname(target)
        }
    }
}

/// Answers kept for their TTL. Bounded: when full, expired entries go first, then the oldest
/// inserted. Times are monotonic nanoseconds, passed in so tests can move the clock.
final class DNSCache: Sendable {
    struct Key: Hashable, Sendable {
        var name: String
        var type: DNSRecordType
    }

    /// Negative answers without an SOA to say how long (RFC 2308 §5 asks for the SOA minimum).
    static let defaultNegativeTTL: UInt32 = 60
    /// RFC 2308 §5: negative answers are kept at most a few hours.
    static let maximumNegativeTTL: UInt32 = 3 * 3600
    /// Nothing is kept longer than a day, whatever the TTL says.
    static let maximumTTL: UInt32 = 86_400

    private struct Entry {
        var result: DNSResult
        var storedAt: UInt64
        var expiresAt: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var order: [Key] = []
        var orderStart = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    static func monotonicNow() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    var count: Int { state.withLock { $0.entries.count } }

    func removeAll() { state.withLock { $0 = State() } }

    /// The cached result with its TTL counted down; nil when absent or expired.
    func lookup(_ key: Key, now: UInt64) -> DNSResult? {
        state.withLock { state -> DNSResult? in
            guard let entry = state.entries[key] else { return nil }
            guard now < entry.expiresAt else {
                state.entries[key] = nil
                return nil
            }
            guard case let .records(records, _) = entry.result else { return entry.result }
            let remaining = (entry.expiresAt - now) / 1_000_000_000
            return .records(records, ttl: UInt32(clamping: remaining))
        }
    }

    func insert(_ key: Key, _ result: DNSResult, ttl: UInt32, now: UInt64) {
        if case .temporaryFailure = result { return }
        let ttl = min(ttl, Self.maximumTTL)
        guard ttl > 0 else { return }
        state.withLock { state in
            if state.entries[key] == nil {
                if state.entries.count >= capacity { Self.makeRoom(&state, capacity: capacity, now: now) }
                state.order.append(key)
                if state.order.count - state.orderStart > 2 * capacity { Self.compact(&state) }
            }
            state.entries[key] = Entry(result: result, storedAt: now, expiresAt: now + UInt64(ttl) * 1_000_000_000)
        }
    }

    private static func makeRoom(_ state: inout State, capacity: Int, now: UInt64) {
        state.entries = state.entries.filter { now < $0.value.expiresAt }
        while state.entries.count >= capacity, state.orderStart < state.order.count {
            let oldest = state.order[state.orderStart]
            state.orderStart += 1
            state.entries[oldest] = nil
        }
        if state.orderStart > state.order.count / 2 { compact(&state) }
    }

    /// Drops keys no longer cached (and repeats) from the insertion order, keeping it about as
    /// long as the table.
    private static func compact(_ state: inout State) {
        var seen = Set<Key>()
        state.order = state.order[state.orderStart...].filter { state.entries[$0] != nil && seen.insert($0).inserted }
        state.orderStart = 0
    }
}
