@testable import Pipeline
import Testing

/// The reply reader on hand-made messages: garbage, truncation, compression loops, bad rdata.
@Suite struct DNSWireTests {
    static func encodeName(_ name: String) -> [UInt8] {
        var out: [UInt8] = []
        for label in name.split(separator: ".") { out.append(UInt8(label.utf8.count)); out += Array(label.utf8) }
        return out + [0]
    }

    struct RR { var name: [UInt8]; var type: UInt16; var ttl: UInt32 = 300; var rdata: [UInt8] }

    static func message(flags: UInt16 = 0x8180, question: String = "q.test", qtype: UInt16 = 1,
                        answers: [RR] = [], authority: [RR] = []) -> [UInt8] {
        func u16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
        func u32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
        var out = u16(0x1234) + u16(flags) + u16(1) + u16(UInt16(answers.count)) + u16(UInt16(authority.count)) + u16(0)
        out += encodeName(question) + u16(qtype) + u16(1)
        for rr in answers + authority {
            out += rr.name + u16(rr.type) + u16(1) + u32(rr.ttl) + u16(UInt16(rr.rdata.count)) + rr.rdata
        }
        return out
    }

    /// A pointer to the question name (offset 12).
    static let toQuestion: [UInt8] = [0xc0, 0x0c]

    @Test func readsAnswers() {
        let reply = Self.message(answers: [RR(name: Self.toQuestion, type: 1, ttl: 70, rdata: [192, 0, 2, 1]),
                                           RR(name: Self.toQuestion, type: 1, ttl: 50, rdata: [192, 0, 2, 2])])
        #expect(DNSWire.interpret(reply, name: "q.test", type: .a) == .records([.a(.v4(192, 0, 2, 1)), .a(.v4(192, 0, 2, 2))], ttl: 50))
        let mx = Self.message(qtype: 15, answers: [RR(name: Self.toQuestion, type: 15, rdata: [0, 5] + Self.toQuestion)])
        #expect(DNSWire.interpret(mx, name: "q.test", type: .mx) == .records([.mx(preference: 5, exchange: "q.test")], ttl: 300))
        let txt = Self.message(qtype: 16, answers: [RR(name: Self.toQuestion, type: 16, rdata: [2, 0x61, 0x62, 0, 1, 0x63])])
        #expect(DNSWire.interpret(txt, name: "q.test", type: .txt) == .records([.txt([[0x61, 0x62], [], [0x63]])], ttl: 300))
    }

    @Test func negativeAnswersTakeTheSOAMinimum() {
        let soa = Self.encodeName("ns.test") + Self.encodeName("host.test") + [0, 0, 0, 1] + [0, 0, 0, 2] + [0, 0, 0, 3] + [0, 0, 0, 4] + [0, 0, 0, 40]
        let nx = Self.message(flags: 0x8183, authority: [RR(name: Self.encodeName("test"), type: 6, ttl: 900, rdata: soa)])
        #expect(DNSWire.interpret(nx, name: "q.test", type: .a) == .nonexistentDomain(negativeTTL: 40))
        let nodata = Self.message(authority: [RR(name: Self.encodeName("test"), type: 6, ttl: 20, rdata: soa)])
        #expect(DNSWire.interpret(nodata, name: "q.test", type: .a) == .noRecords(negativeTTL: 20))
        #expect(DNSWire.interpret(Self.message(), name: "q.test", type: .a) == .noRecords(negativeTTL: DNSCache.defaultNegativeTTL))
    }

    @Test func cnameInsideTheReplyIsFollowedAndAnOpenEndIsAskedAgain() {
        let target = Self.encodeName("t.other")
        let followed = Self.message(answers: [RR(name: Self.toQuestion, type: 5, ttl: 30, rdata: target),
                                              RR(name: target, type: 1, rdata: [198, 51, 100, 1])])
        #expect(DNSWire.interpret(followed, name: "q.test", type: .a) == .records([.a(.v4(198, 51, 100, 1))], ttl: 30))
        let open = Self.message(answers: [RR(name: Self.toQuestion, type: 5, ttl: 30, rdata: target)])
        #expect(DNSWire.interpret(open, name: "q.test", type: .a) == .alias("t.other", ttl: 30))
        let loop = Self.message(answers: [RR(name: Self.toQuestion, type: 5, rdata: target),
                                          RR(name: target, type: 5, rdata: Self.toQuestion)])
        guard case .temporaryFailure = DNSWire.interpret(loop, name: "q.test", type: .a) else { Issue.record("CNAME loop"); return }
    }

    @Test func errorCodesAndTruncationAreTemporary() {
        for (flags, word) in [(UInt16(0x8182), "SERVFAIL"), (0x8185, "REFUSED"), (0x8181, "FORMERR"), (0x8184, "NOTIMP"),
                              (0x8380, "truncated"), (0x0100, "not a response")] {
            let result = DNSWire.interpret(Self.message(flags: flags), name: "q.test", type: .a)
            guard case let .temporaryFailure(reason) = result, reason.contains(word) else {
                Issue.record("flags \(flags): \(result)"); continue
            }
        }
        let other = DNSWire.interpret(Self.message(question: "other.test"), name: "q.test", type: .a)
        guard case .temporaryFailure = other else { Issue.record("another question: \(other)"); return }
    }

    @Test func everyTruncationOfAReplyIsTemporary() {
        let reply = Self.message(answers: [RR(name: Self.toQuestion, type: 16, rdata: [3, 0x61, 0x62, 0x63]),
                                           RR(name: Self.toQuestion, type: 16, rdata: [1, 0x64])], qtypeOverride: 16)
        #expect(DNSWire.interpret(reply, name: "q.test", type: .txt) == .records([.txt([Array("abc".utf8)]), .txt([[0x64]])], ttl: 300))
        for length in 0..<reply.count {
            let result = DNSWire.interpret(Array(reply.prefix(length)), name: "q.test", type: .txt)
            guard case .temporaryFailure = result else { Issue.record("prefix \(length): \(result)"); continue }
        }
    }

    @Test func compressionLoopsAndBadRecordDataAreTemporary() {
        // An answer owner name that points at itself.
        var selfPointer = Self.message()
        let at = selfPointer.count
        selfPointer[7] = 1
        selfPointer += [0xc0, UInt8(at)] + [0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4]
        guard case .temporaryFailure = DNSWire.interpret(selfPointer, name: "q.test", type: .a) else { Issue.record("pointer loop"); return }
        // A CNAME whose rdata points past the end, an A of five bytes, a TXT string longer than its record.
        let bad: [(UInt16, [UInt8], DNSRecordType)] = [(5, [0xc0, 0xff], .a), (1, [1, 2, 3, 4, 5], .a), (16, [9, 0x61], .txt),
                                                       (15, [0, 1], .mx), (28, [1, 2, 3, 4], .aaaa)]
        for (type, rdata, asked) in bad {
            let reply = Self.message(qtype: asked.rawValue, answers: [RR(name: Self.toQuestion, type: type, rdata: rdata)])
            let result = DNSWire.interpret(reply, name: "q.test", type: asked)
            guard case .temporaryFailure = result else { Issue.record("type \(type) rdata \(rdata): \(result)"); continue }
        }
    }

    @Test func garbageNeverCrashes() {
        var generator = SplitMix(seed: 7)
        let valid = Self.message(answers: [RR(name: Self.toQuestion, type: 1, rdata: [192, 0, 2, 1])])
        for round in 0..<3000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int(generator.next() % 200)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            } else {
                bytes = valid
                for _ in 0..<(1 + Int(generator.next() % 4)) {
                    bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
                }
            }
            _ = DNSWire.interpret(bytes, name: "q.test", type: .a)
        }
    }

    @Test func cacheExpiresAndStaysBounded() {
        let cache = DNSCache(capacity: 3)
        let key = DNSCache.Key(name: "a.test", type: .a)
        cache.insert(key, .records([.a(.v4(1, 2, 3, 4))], ttl: 10), ttl: 10, now: 0)
        #expect(cache.lookup(key, now: 4_000_000_000) == .records([.a(.v4(1, 2, 3, 4))], ttl: 6))
        #expect(cache.lookup(key, now: 10_000_000_000) == nil)
        cache.insert(key, .temporaryFailure("x"), ttl: 10, now: 0)
        #expect(cache.lookup(key, now: 0) == nil, "failures are not cached")
        for i in 0..<50 {
            cache.insert(DNSCache.Key(name: "n\(i).test", type: .a), .nonexistentDomain, ttl: 100, now: UInt64(i))
            #expect(cache.count <= 3)
        }
        #expect(cache.lookup(DNSCache.Key(name: "n49.test", type: .a), now: 60) == .nonexistentDomain)
        #expect(cache.lookup(DNSCache.Key(name: "n0.test", type: .a), now: 60) == nil, "oldest evicted")
    }
}

extension DNSWireTests {
    static func message(answers: [RR], qtypeOverride: UInt16) -> [UInt8] { message(qtype: qtypeOverride, answers: answers) }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
