// Whole inbound pipeline cost per message with a warm DNS cache (issue 13's target: ≤ 50 µs for
// the SPF + reverse DNS + DNSBL decisions on one core). The real LiveDNSResolver asks the local
// test DNS server once per name (cold), then every later message is answered from its cache:
// what is measured is the stages, the cache, the policy and the recorded events' construction.
//
//   scripts/dns-test-server.sh start 45353
//   cd Benchmarks && swift run -c release PipelineCost 45353 [messages, default 200000]
//   scripts/dns-test-server.sh stop 45353
//
// Pinned to one core with `taskset -c 0` for the one-core figure.
import Foundation
import Journal
import Pipeline

#if canImport(Glibc)
import Glibc
#endif

func cpuMicroseconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
}

func wallMicroseconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) * 1e6 + Double(ts.tv_nsec) / 1000
}

let arguments = CommandLine.arguments
guard arguments.count >= 2, let port = UInt16(arguments[1]) else {
    print("usage: PipelineCost DNS-PORT [messages]")
    exit(2)
}
let messages = arguments.count > 2 ? Int(arguments[2]) ?? 200_000 : 200_000

let resolver = LiveDNSResolver(nameservers: [DNSServerAddress(host: "127.0.0.1", port: port)], timeout: .seconds(2), attempts: 2)
var policy = InboundPolicy.standard
policy.actions["dnsbl.listed"] = .score(4000)
var pipeline = InboundPipeline(
    stages: [SenderSyntaxStage(), SenderDomainStage(resolver: resolver), SPFStage(resolver: resolver),
             ReverseDNSStage(resolver: resolver), DNSBLStage(zones: [DNSBLZone(zone: "dnsbl.test", scoreMilli: 4000)], resolver: resolver)],
    policy: policy, trustedNetworks: [])
pipeline.concurrent = ProcessInfo.processInfo.environment["SEQUENTIAL"] == nil
let measured = pipeline
// Clients and senders from Tests/Fixtures/dns: confirmed PTR + SPF pass, listed + no PTR, SPF softfail.
let cases = [
    InboundFacts(clientIP: IPAddress("127.0.0.10"), helo: "mail.pipeline.test", mailFrom: "ann@pass.pipeline.test"),
    InboundFacts(clientIP: IPAddress("127.0.0.20"), helo: "mail.pipeline.test", mailFrom: "ann@pass.pipeline.test"),
    InboundFacts(clientIP: IPAddress("127.0.0.10"), helo: "mail.pipeline.test", mailFrom: "bob@soft.pipeline.test"),
]

// The three decisions the target names, alone: SPF (MAIL FROM and HELO), reverse DNS with
// forward confirmation, one DNSBL zone, one after another, with the same policy and events.
var named = InboundPipeline(
    stages: [SPFStage(resolver: resolver), ReverseDNSStage(resolver: resolver),
             DNSBLStage(zones: [DNSBLZone(zone: "dnsbl.test", scoreMilli: 4000)], resolver: resolver)],
    policy: policy, trustedNetworks: [])
named.concurrent = false
let namedOnly = named

@Sendable func run(_ count: Int, _ measured: InboundPipeline = measured) async -> Int {
    var sink = 0
    for i in 0..<count {
        let verdict = await measured.evaluate(cases[i % cases.count])
        let events = verdict.filterDecisions(context: .system("bench"), received: UInt64(i + 1))
        sink &+= events.count &+ Int(verdict.totalScoreMilli)
    }
    return sink
}

do {
    // Cold: fills the cache; and shows the answers are the expected ones.
    for facts in cases {
        let v = await pipeline.evaluate(facts)
        print("\(facts.clientIP!) <\(facts.mailFrom)>: \(v.action.rawValue) — " + v.decisions.map { "\($0.decision.stage)=\($0.decision.result)" }.joined(separator: " "))
        if v.decisions.contains(where: { $0.decision.result == "temperror" }) {
            print("a temporary DNS failure: is the test DNS server running on port \(port)?")
            exit(1)
        }
    }
    let asked = resolver.upstreamQueryCount
    _ = await run(10_000)  // warm-up
    let cpu0 = cpuMicroseconds(), wall0 = wallMicroseconds()
    let sink = await run(messages)
    let cpu1 = cpuMicroseconds(), wall1 = wallMicroseconds()
    let cpu = (cpu1 - cpu0) / Double(messages), wall = (wall1 - wall0) / Double(messages)
    // Per stage, alone, for where the time goes. The loops run in a nonisolated function: from
    // top-level code every await would hop to the main actor and back (two thread switches).
    @Sendable func perStage(_ stage: any InboundStage) async -> (Double, Int) {
        let c0 = cpuMicroseconds()
        var n = 0
        for i in 0..<20_000 { n &+= await stage.decide(cases[i % cases.count]).rules.count }
        return ((cpuMicroseconds() - c0) / 20_000, n)
    }
    for stage in measured.stages {
        let (perDecision, n) = await perStage(stage)
        print(String(format: "  %@: %.2f µs CPU per decision", stage.name, perDecision) + " (\(n))")
    }
    _ = await run(10_000, namedOnly)
    let named0 = cpuMicroseconds()
    _ = await run(messages, namedOnly)
    print(String(format: "  spf + rdns + dnsbl (the target's decisions) with policy and events: %.2f µs CPU per message",
                 (cpuMicroseconds() - named0) / Double(messages)))
    print(String(format: "%d messages: %.2f µs CPU and %.2f µs wall per message (5 stages + policy + events); upstream queries during the run: %d (sink %d)",
                 messages, cpu, wall, resolver.upstreamQueryCount - asked, sink))
}
