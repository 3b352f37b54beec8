import Pipeline
import Testing

/// Zone data for the SPF tests: `name: [records]`, where a string is a TXT record (one string)
/// and typed values are other records. Names in `failing` answer every query with a temporary
/// failure (a timeout or SERVFAIL).
struct SPFZone {
    var records: [String: [DNSRecordData]] = [:]
    var failing: Set<String> = []

    mutating func txt(_ name: String, _ texts: String...) { for t in texts { records[name, default: []].append(.txt([Array(t.utf8)])) } }
    mutating func txtBytes(_ name: String, _ strings: [[UInt8]]) { records[name, default: []].append(.txt(strings)) }
    mutating func a(_ name: String, _ addresses: String...) { for a in addresses { records[name, default: []].append(.a(IPAddress(a)!)) } }
    mutating func aaaa(_ name: String, _ addresses: String...) { for a in addresses { records[name, default: []].append(.aaaa(IPAddress(a)!)) } }
    mutating func mx(_ name: String, _ preference: UInt16, _ exchange: String) { records[name, default: []].append(.mx(preference: preference, exchange: exchange)) }
    mutating func ptr(_ ip: String, _ names: String...) {
        for n in names { records[IPAddress(ip)!.reverseDomain, default: []].append(.ptr(n)) }
    }

    var table: DNSTable { DNSTable(records: records, failing: failing) }

    func check(from sender: String, ip: String, helo: String = "mail.example.com", receiver: String = "mx.roost.test",
               now: Int = 1_700_000_000) async -> SPFResult {
        let evaluator = SPFEvaluator(resolver: table, receiver: receiver, clock: { now })
        return await evaluator.checkMailFrom(ip: IPAddress(ip)!, mailFrom: sender, helo: helo)
    }
}

/// One case: who sends from where, and the result expected.
struct SPFCase: CustomTestStringConvertible, Sendable {
    var name: String
    var from: String
    var ip: String
    var expected: SPFResult.Code
    var helo = "mail.example.com"
    var explanation: String?? = .none

    init(_ name: String, _ from: String, _ ip: String, _ expected: SPFResult.Code, helo: String = "mail.example.com",
         explanation: String?? = .none) {
        self.name = name; self.from = from; self.ip = ip; self.expected = expected; self.helo = helo; self.explanation = explanation
    }

    var testDescription: String { name }

    func run(in zone: SPFZone, sourceLocation: SourceLocation = #_sourceLocation) async {
        let result = await zone.check(from: from, ip: ip, helo: helo)
        #expect(result.code == expected, "\(name): \(result)", sourceLocation: sourceLocation)
        if case let .some(wanted) = explanation {
            #expect(result.explanation == wanted, "\(name): explanation \(String(describing: result.explanation))", sourceLocation: sourceLocation)
        }
    }
}
