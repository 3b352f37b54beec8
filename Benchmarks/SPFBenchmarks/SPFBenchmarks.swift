// SPF per message with a warm DNS cache (issue 13: SPF + reverse DNS + DNSBL ≤ 50 µs on one
// core). A typical record (ip4 + include + ~all) evaluated through the caching LiveDNSResolver
// against the Knot test server (scripts/dns-test-server.sh, zone Tests/Fixtures/dns/spf.test.zone),
// warmed once; then the same evaluations over a fixed DNSTable for the evaluator alone.
// Run: cd Benchmarks && swift package --allow-writing-to-package-directory benchmark --target SPFBenchmarks
import Benchmark
import Foundation
import Pipeline

#if canImport(Glibc)
import Glibc
#endif

let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// Runs scripts/dns-test-server.sh (posix_spawn + waitpid: the script's server daemonizes).
func dnsServer(_ command: String, _ port: UInt16) {
    var pid: pid_t = 0
    let argv = ["/bin/bash", repository + "/scripts/dns-test-server.sh", command, String(port)]
    var cArgv = argv.map { strdup($0) } + [nil]
    defer { cArgv.forEach { free($0) } }
    guard posix_spawn(&pid, "/bin/bash", nil, nil, &cArgv, environ) == 0 else { fatalError("cannot run the DNS test server script") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    if command == "start" && status != 0 { fatalError("scripts/dns-test-server.sh start \(port) failed (is knot installed?)") }
}

let port = UInt16(ProcessInfo.processInfo.environment["SPF_BENCH_DNS_PORT"] ?? "") ?? 35353

/// The clients of a mixed stream: own range, the provider's include (IPv4 and IPv6), strangers.
let clients = ["192.0.2.7", "198.51.100.9", "2001:db8:5::1", "203.0.113.1"].map { IPAddress($0)! }

func typicalTable() -> DNSTable {
    DNSTable(records: [
        "spf.test": [.txt([Array("v=spf1 ip4:192.0.2.0/25 include:_spf.provider.spf.test ~all".utf8)])],
        "_spf.provider.spf.test": [.txt([Array("v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:5::/48 -all".utf8)])],
    ])
}

let benchmarks: @Sendable () -> Void = {
    let config = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        warmupIterations: 100,
        maxDuration: .seconds(5),
        maxIterations: 200_000
    )

    Benchmark("SPF, typical record, LiveDNSResolver warm cache (per message)", configuration: config, closure: { benchmark in
        let resolver = LiveDNSResolver(nameservers: [DNSServerAddress(host: "127.0.0.1", port: port)], timeout: .seconds(2))
        let spf = SPFEvaluator(resolver: resolver)
        for ip in clients {  // warm the cache
            let result = await spf.checkMailFrom(ip: ip, mailFrom: "bob@spf.test", helo: "mail.spf.test")
            precondition(result.code == .pass || result.code == .softfail, "\(result)")
        }
        let warmQueries = resolver.upstreamQueryCount
        benchmark.startMeasurement()
        var i = 0
        for _ in benchmark.scaledIterations {
            blackHole(await spf.checkMailFrom(ip: clients[i & 3], mailFrom: "bob@spf.test", helo: "mail.spf.test"))
            i &+= 1
        }
        benchmark.stopMeasurement()
        precondition(resolver.upstreamQueryCount == warmQueries, "every answer came from the cache")
    }, setup: { dnsServer("start", port) }, teardown: { dnsServer("stop", port) })

    Benchmark("SPF, typical record, DNSTable (evaluator alone, per message)", configuration: config) { benchmark in
        let spf = SPFEvaluator(resolver: typicalTable())
        var i = 0
        for _ in benchmark.scaledIterations {
            blackHole(await spf.checkMailFrom(ip: clients[i & 3], mailFrom: "bob@spf.test", helo: "mail.spf.test"))
            i &+= 1
        }
    }

    Benchmark("SPF stage (MAIL FROM + HELO), LiveDNSResolver warm cache (per message)", configuration: config, closure: { benchmark in
        let resolver = LiveDNSResolver(nameservers: [DNSServerAddress(host: "127.0.0.1", port: port + 2)], timeout: .seconds(2))
        let stage = SPFStage(resolver: resolver)
        let facts = clients.map { InboundFacts(clientIP: $0, helo: "mail.spf.test", mailFrom: "bob@spf.test") }
        for f in facts { _ = await stage.decide(f) }
        benchmark.startMeasurement()
        var i = 0
        for _ in benchmark.scaledIterations {
            blackHole(await stage.decide(facts[i & 3]))
            i &+= 1
        }
        benchmark.stopMeasurement()
    }, setup: { dnsServer("start", port + 2) }, teardown: { dnsServer("stop", port + 2) })
}
