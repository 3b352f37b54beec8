import Foundation
import Pipeline
import Testing

/// LiveDNSResolver against a real server (Knot on loopback, zones in Tests/Fixtures/dns).
@Suite struct LiveDNSResolverTests {
    func resolver(timeout: Duration = .seconds(2), attempts: Int = 2) async throws -> LiveDNSResolver {
        let server = try await DNSTestServer.shared()
        return LiveDNSResolver(nameservers: [server.server], timeout: timeout, attempts: attempts)
    }

    @Test func addressRecords() async throws {
        let dns = try await resolver()
        let a = await dns.query("host.resolver.test", .a)
        guard case let .records(records, ttl) = a else { Issue.record("A: \(a)"); return }
        #expect(Set(records) == [.a(IPAddress("192.0.2.10")!), .a(IPAddress("192.0.2.11")!)])
        #expect(ttl == 300)
        #expect(await dns.query("Host.Resolver.TEST.", .aaaa) == .records([.aaaa(IPAddress("2001:db8::10")!)], ttl: 300))
    }

    @Test func mailExchangers() async throws {
        let dns = try await resolver()
        let mx = await dns.query("resolver.test", .mx)
        guard case let .records(records, _) = mx else { Issue.record("MX: \(mx)"); return }
        #expect(Set(records) == [.mx(preference: 10, exchange: "mx1.resolver.test"), .mx(preference: 20, exchange: "mx2.other.test")])
    }

    @Test func textRecordsKeepTheirStrings() async throws {
        let dns = try await resolver()
        let txt = await dns.query("text.resolver.test", .txt)
        guard case let .records(records, _) = txt else { Issue.record("TXT: \(txt)"); return }
        #expect(Set(records) == [.txt([Array("v=spf1 ".utf8), Array("ip4:192.0.2.0/24 -all".utf8)]), .txt([Array("second record".utf8)])])
        #expect(records.compactMap(\.joinedText).contains(Array("v=spf1 ip4:192.0.2.0/24 -all".utf8)))
    }

    @Test func pointerRecords() async throws {
        let dns = try await resolver()
        let name = IPAddress("192.0.2.25")!.reverseDomain
        let ptr = await dns.query(name, .ptr)
        guard case let .records(records, _) = ptr else { Issue.record("PTR: \(ptr)"); return }
        #expect(Set(records) == [.ptr("mx1.resolver.test"), .ptr("mail.other.test")])
        #expect(await dns.query(IPAddress("192.0.2.99")!.reverseDomain, .ptr) == .nonexistentDomain)
    }

    @Test func cnameChainsAreFollowed() async throws {
        let dns = try await resolver()
        let chained = await dns.query("alias2.resolver.test", .a)
        guard case let .records(records, _) = chained else { Issue.record("alias2: \(chained)"); return }
        #expect(Set(records) == [.a(IPAddress("192.0.2.10")!), .a(IPAddress("192.0.2.11")!)])
        // Knot answers only the CNAME when its target is in another zone: the resolver asks again.
        let before = dns.upstreamQueryCount
        #expect(await dns.query("outside.resolver.test", .a) == .records([.a(IPAddress("198.51.100.7")!)], ttl: 300))
        #expect(dns.upstreamQueryCount - before == 2)
        // A CNAME to a name without the type is NODATA, not a failure.
        #expect(await dns.query("alias.resolver.test", .mx) == .noRecords)
    }

    @Test func cnameLoopIsATemporaryFailure() async throws {
        let dns = try await resolver()
        let loop = await dns.query("loop1.resolver.test", .a)
        guard case .temporaryFailure = loop else { Issue.record("loop: \(loop)"); return }
    }

    @Test func nxdomainAndNodataAreDistinct() async throws {
        let dns = try await resolver()
        #expect(await dns.query("missing.resolver.test", .a) == .nonexistentDomain)
        #expect(await dns.query("host.resolver.test", .mx) == .noRecords)
        #expect(await dns.query("host.resolver.test", .txt) == .noRecords)
    }

    @Test func truncatedUDPRepliesAreAskedAgainOverTCP() async throws {
        let dns = try await resolver()
        let big = await dns.query("big.resolver.test", .txt)
        guard case let .records(records, _) = big else { Issue.record("big: \(big)"); return }
        #expect(records.count == 7)
    }

    @Test func servfailIsTemporary() async throws {
        let dns = try await resolver()
        let result = await dns.query("anything.servfail.test", .a)
        guard case let .temporaryFailure(reason) = result else { Issue.record("servfail.test: \(result)"); return }
        #expect(reason.contains("SERVFAIL"))
        // Never cached: asking again asks the server again.
        let before = dns.upstreamQueryCount
        _ = await dns.query("anything.servfail.test", .a)
        #expect(dns.upstreamQueryCount == before + 1)
    }

    @Test func refusedIsTemporary() async throws {
        let dns = try await resolver()
        // Knot is authoritative only for its zones and refuses the rest.
        let result = await dns.query("example.invalid", .a)
        guard case let .temporaryFailure(reason) = result else { Issue.record("outside the zones: \(result)"); return }
        #expect(reason.contains("REFUSED"))
    }

    @Test func timeoutIsTemporary() async throws {
        let server = try await DNSTestServer.shared()
        let dns = LiveDNSResolver(nameservers: [server.silentServer], timeout: .seconds(1), attempts: 1)
        let started = ContinuousClock.now
        let result = await dns.query("host.resolver.test", .a)
        guard case let .temporaryFailure(reason) = result else { Issue.record("silent server: \(result)"); return }
        #expect(reason.contains("timed out"), "\(reason)")
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test func unreachableServerIsTemporary() async throws {
        // Port 9 on loopback: nothing listens, the kernel answers "port unreachable".
        let dns = LiveDNSResolver(nameservers: [DNSServerAddress(host: "127.0.0.1", port: 9)], timeout: .seconds(1), attempts: 1)
        let result = await dns.query("host.resolver.test", .a)
        guard case .temporaryFailure = result else { Issue.record("closed port: \(result)"); return }
        let bad = LiveDNSResolver(nameservers: [DNSServerAddress(host: "not-an-address", port: 53)])
        guard case .temporaryFailure = await bad.query("host.resolver.test", .a) else { Issue.record("bad nameserver"); return }
    }

    @Test func secondServerAnswersWhenTheFirstIsSilent() async throws {
        let server = try await DNSTestServer.shared()
        let dns = LiveDNSResolver(nameservers: [server.silentServer, server.server], timeout: .seconds(1), attempts: 1)
        #expect(await dns.query("mx1.resolver.test", .a) == .records([.a(IPAddress("192.0.2.25")!)], ttl: 300))
    }

    @Test func cacheHonoursTTL() async throws {
        let dns = try await resolver()
        let first = await dns.query("short.resolver.test", .a)
        #expect(first == .records([.a(IPAddress("192.0.2.99")!)], ttl: 3))
        let afterFirst = dns.upstreamQueryCount
        let second = await dns.query("SHORT.resolver.test", .a)
        guard case let .records(records, ttl) = second else { Issue.record("cached: \(second)"); return }
        #expect(records == [.a(IPAddress("192.0.2.99")!)] && ttl <= 3)
        #expect(dns.upstreamQueryCount == afterFirst, "served from the cache")
        try await Task.sleep(for: .milliseconds(3_300))
        #expect(await dns.query("short.resolver.test", .a) == .records([.a(IPAddress("192.0.2.99")!)], ttl: 3))
        #expect(dns.upstreamQueryCount == afterFirst + 1, "expired after its TTL, asked again")
    }

    @Test func negativeAnswersAreCachedForTheSOAMinimum() async throws {
        let dns = try await resolver()
        #expect(await dns.query("nothing-here.resolver.test", .a) == .nonexistentDomain)
        let before = dns.upstreamQueryCount
        #expect(await dns.query("nothing-here.resolver.test", .a) == .nonexistentDomain)
        #expect(await dns.query("host.resolver.test", .mx) == .noRecords)
        #expect(await dns.query("host.resolver.test", .mx) == .noRecords)
        #expect(dns.upstreamQueryCount == before + 1)
    }

    @Test func systemResolverConfigurationIsRead() async throws {
        // nil nameservers: /etc/resolv.conf. Whatever it points at, an unqueryable name never
        // reaches it and the call returns without hanging.
        let dns = LiveDNSResolver(nameservers: nil, timeout: .seconds(1), attempts: 1)
        #expect(await dns.query("a..b", .a) == .nonexistentDomain)
        #expect(dns.upstreamQueryCount == 0)
    }
}
