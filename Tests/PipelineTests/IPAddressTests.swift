import Testing
import Pipeline

@Suite struct IPAddressTests {
    @Test func parsesAndPrintsBothFamilies() throws {
        #expect(IPAddress("192.0.2.1")?.description == "192.0.2.1")
        #expect(IPAddress("2001:DB8::1")?.description == "2001:db8::1")
        #expect(IPAddress("::ffff:192.0.2.7")?.unmappedIPv4 == IPAddress("192.0.2.7"))
        #expect(IPAddress("1:0:0:2:0:0:0:3")?.description == "1:0:0:2::3")
        #expect(IPAddress("::")?.description == "::")
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", "::1::2", "12345::", "g::1",
                      "1:2:3:4:5:6:7:8:9", "1.2.3.4:80", ":1", "a.b.c.d"])
    func rejectsMalformedText(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func reverseNamesFollowRFC3596() throws {
        #expect(IPAddress("192.0.2.1")?.reverseDomain == "1.2.0.192.in-addr.arpa")
        let v6 = try #require(IPAddress("2001:db8::567:89ab"))
        #expect(v6.reverseDomain == "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")
    }

    @Test func prefixMatching() throws {
        let ip = try #require(IPAddress("192.0.2.130"))
        #expect(ip.isIn(network: try #require(IPAddress("192.0.2.128")), prefixLength: 25))
        #expect(!ip.isIn(network: try #require(IPAddress("192.0.2.0")), prefixLength: 25))
        #expect(ip.isIn(network: try #require(IPAddress("10.0.0.0")), prefixLength: 0))
        #expect(!ip.isIn(network: try #require(IPAddress("2001:db8::")), prefixLength: 0), "families never match")
        #expect(!ip.isIn(network: ip, prefixLength: 33))
    }
}

@Suite struct DNSTableTests {
    @Test func distinguishesNXDOMAINNodataAndTemporaryFailure() async throws {
        let table = DNSTable(records: ["Example.TEST.": [.a(try #require(IPAddress("192.0.2.1")))]], failing: ["broken.test"])
        #expect(await table.query("example.test", .a) == .records([.a(try #require(IPAddress("192.0.2.1")))], ttl: 300))
        #expect(await table.query("example.test", .mx) == .noRecords)
        #expect(await table.query("missing.test", .a) == .nonexistentDomain)
        guard case .temporaryFailure = await table.query("broken.test", .txt) else {
            Issue.record("a failing name must answer with a temporary failure"); return
        }
    }
}
