import Pipeline
import Testing
@testable import roost

@Suite struct ConfigurationTests {
    func parse(_ text: String) throws -> Configuration {
        try ConfigurationFile.parse(text, file: "test.toml", hostname: "mx.example.org")
    }

    func mistake(_ text: String) -> ConfigurationError? {
        do { _ = try parse(text); return nil } catch let e as ConfigurationError { return e } catch { return nil }
    }

    @Test func emptyFileGivesTheDefaults() throws {
        let c = try parse("")
        #expect(c == Configuration.defaults(hostname: "mx.example.org"))
        #expect(c.listeners.map(\.port) == [25, 587, 465, 143, 993, 110, 995, 4190])
        #expect(c.listeners.first { $0.proto == .imaps }?.tls == .implicit)
    }

    /// The template `roost init` writes uses every documented key, and parses.
    @Test func everyDocumentedKeyParses() throws {
        let text = ConfigTemplate.render(hostname: "mail.example.org", domain: "example.org", data: "/srv/roost",
                                         certificate: "/srv/roost/tls/cert.pem", key: "/srv/roost/tls/key.pem")
        let c = try parse(text)
        #expect(c.hostname == "mail.example.org")
        #expect(c.dataDirectory == "/srv/roost")
        #expect(c.domains == ["example.org"])
        #expect(c.tls == .init(certificate: "/srv/roost/tls/cert.pem", key: "/srv/roost/tls/key.pem"))
        #expect(c.listeners.map(\.proto) == [.smtp, .submission, .submissions, .imaps])
        #expect(c.listeners[2] == .init(proto: .submissions, address: "0.0.0.0", port: 465, tls: .implicit))
        #expect(c.limits == .init(messageSize: 52_428_800, connectionsTotal: 500, connectionsPerIP: 20,
                                  idleTimeoutSeconds: 600, authFailuresPerIP: 10, authRefusalSeconds: 900))
        #expect(c.logging == .init(level: "info", format: .console))
        #expect(c.metrics == .init(enabled: true, address: "127.0.0.1", port: 9464))
        // Non-default values for each key.
        let other = try parse("""
            hostname = "a.example"
            [limits]
            message_size = 2048
            connections_total = 3
            connections_per_ip = 2
            idle_timeout = 30
            auth_failures_per_ip = 4
            auth_refusal = 60
            [logging]
            level = "debug"
            format = "json"
            [metrics]
            enabled = false
            address = "::1"
            port = 9000
            """)
        #expect(other.limits == .init(messageSize: 2048, connectionsTotal: 3, connectionsPerIP: 2, idleTimeoutSeconds: 30,
                                      authFailuresPerIP: 4, authRefusalSeconds: 60))
        #expect(other.logging == .init(level: "debug", format: .json))
        #expect(other.metrics == .init(enabled: false, address: "::1", port: 9000))
    }

    @Test func unknownKeyIsReportedWithItsLineAndAHint() {
        let e = mistake("""
            hostname = "mail.example.org"

            [limits]
            message_sise = 1000
            """)
        #expect(e?.line == 4)
        #expect(e?.key == "limits.message_sise")
        #expect(e?.message == "unknown key")
        #expect(e?.hint == "did you mean `message_size`?")
        #expect(e?.description.hasPrefix("test.toml:4: limits.message_sise: unknown key") == true)
    }

    @Test func unknownTopLevelKeyAndSection() {
        #expect(mistake("colour = \"blue\"")?.line == 1)
        let e = mistake("hostname = \"x.example\"\n[smtp]\nport = 25\n")
        #expect(e?.key == "smtp" && e?.line == 2)
    }

    @Test func badValuesNameKeyAndLine() {
        let wrongType = mistake("[limits]\nconnections_total = \"many\"\n")
        #expect(wrongType?.line == 2 && wrongType?.message.contains("whole number") == true)
        let range = mistake("[metrics]\nport = 70000\n")
        #expect(range?.line == 2 && range?.hint == "allowed: 1…65535")
        let level = mistake("[logging]\n\nlevel = \"loud\"\n")
        #expect(level?.line == 3 && level?.hint?.contains("warning") == true)
        let domain = mistake("domains = [\"exa mple.org\"]")
        #expect(domain?.line == 1 && domain?.message.contains("not a valid domain name") == true)
        let ip = mistake("[metrics]\naddress = \"localhost\"\n")
        #expect(ip?.line == 2 && ip?.message.contains("not an IP address") == true)
        let bool = mistake("[metrics]\nenabled = \"yes\"\n")
        #expect(bool?.message.contains("true or false") == true)
    }

    @Test func listenerMistakesPointAtTheirEntry() {
        let text = """
            [[listeners]]
            protocol = "smtp"
            port = 2525

            [[listeners]]
            protocol = "imap"
            port = 2525
            """
        let clash = mistake(text)
        #expect(clash?.line == 7 && clash?.message.contains("already used by the smtp listener") == true)
        let unknown = mistake("[[listeners]]\nprotocol = \"gopher\"\n")
        #expect(unknown?.line == 2 && unknown?.hint?.contains("submissions") == true)
        let missing = mistake("[[listeners]]\nport = 25\n")
        #expect(missing?.line == 1 && missing?.message.contains("needs `protocol`") == true)
        let tls = mistake("[[listeners]]\nprotocol = \"smtp\"\n\n[[listeners]]\nprotocol = \"imap\"\ntls = \"maybe\"\n")
        #expect(tls?.line == 6 && tls?.key == "listeners.tls (entry 2)")
        let extra = mistake("[[listeners]]\nprotocol = \"smtp\"\nportt = 25\n")
        #expect(extra?.line == 3 && extra?.hint == "did you mean `port`?")
    }

    @Test func syntaxErrorsCarryTheParsersLine() {
        let e = mistake("hostname = \"a\"\n[limits\nmessage_size = 5\n")
        #expect(e?.line == 2)
        #expect(e?.message.hasPrefix("not valid TOML") == true)
    }

    @Test func plaintextAuthOnlyWithLoopbackListeners() throws {
        #expect(try parse("").allowsPlaintextAuthentication == false)
        let loopback = try parse("""
            [tls]
            plaintext_auth_on_loopback = true
            [[listeners]]
            protocol = "imap"
            address = "127.0.0.1"
            port = 1143
            tls = "none"
            [[listeners]]
            protocol = "pop3"
            address = "::1"
            """)
        #expect(loopback.allowsPlaintextAuthentication)
        // Without listeners, all standard ones are on 0.0.0.0: refused.
        let everywhere = mistake("[tls]\nplaintext_auth_on_loopback = true\n")
        #expect(everywhere?.key == "tls.plaintext_auth_on_loopback")
        #expect(everywhere?.message.contains("0.0.0.0") == true)
        let oneOpen = mistake("""
            [tls]
            plaintext_auth_on_loopback = true
            [[listeners]]
            protocol = "smtp"
            address = "127.0.0.1"
            [[listeners]]
            protocol = "imap"
            address = "192.0.2.1"
            """)
        #expect(oneOpen?.message.contains("imap listener is on 192.0.2.1") == true)
        #expect(mistake("[tls]\nplaintext_auth_on_loopback = \"yes\"\n") != nil)
    }

    @Test func pipelineSectionsParse() throws {
        let template = try parse(ConfigTemplate.render(hostname: "mail.example.org", domain: "example.org", data: "/srv/roost",
                                                       certificate: "/c", key: "/k"))
        #expect(template.dns == .init(nameservers: [], timeoutMilliseconds: 2000, attempts: 2))
        #expect(template.inboundStageNames == ["sender", "sender-domain", "spf", "rdns"])
        #expect(template.inboundPolicy.action(stage: "rdns", result: "none") == .score(1500))
        let c = try parse("""
            [dns]
            nameservers = ["127.0.0.1:5353", "192.0.2.53"]
            timeout = 0.5
            attempts = 1
            [pipeline]
            trusted_networks = []
            junk_score = 4.5
            reject_score = 12
            [[pipeline.dnsbl]]
            zone = "BL.Example.net."
            score = 2.5
            codes = { "127.0.0.2" = "spam source", "127.0.0.4" = "bad" }
            [[pipeline.dnsbl]]
            zone = "other.example"
            [policy]
            "spf.fail" = "junk"
            rdns.none = "score -0.5"
            dnsbl.listed = "accept"
            """)
        #expect(c.dns == .init(nameservers: ["127.0.0.1:5353", "192.0.2.53:53"], timeoutMilliseconds: 500, attempts: 1))
        #expect(c.inboundStageNames == ["sender", "sender-domain", "spf", "rdns", "dnsbl", "dkim", "dmarc"])
        #expect(c.inboundPipeline(resolver: DNSTable()).stageNames == ["sender", "sender-domain", "spf", "rdns", "dnsbl"])
        #expect(c.messagePipeline(resolver: DNSTable())?.stageNames == ["dkim", "dmarc"], "the message stages run after DATA")
        #expect(c.dnsblZones == [DNSBLZone(zone: "bl.example.net", meanings: [.v4(127, 0, 0, 2): "spam source", .v4(127, 0, 0, 4): "bad"], scoreMilli: 2500),
                                 DNSBLZone(zone: "other.example")])
        let policy = c.inboundPolicy
        #expect(policy.action(stage: "spf", result: "fail") == .junk)
        #expect(policy.action(stage: "rdns", result: "none") == .score(-500))
        #expect(policy.action(stage: "dnsbl", result: "listed") == .accept)
        #expect(policy.action(stage: "spf", result: "temperror") == .tempfail)  // the default stays
        #expect(policy.junkScoreMilli == 4500 && policy.rejectScoreMilli == 12000)
        #expect(c.inboundPipeline(resolver: DNSTable()).trustedNetworks.isEmpty)
        // The development profile: SPF and rDNS, no DNSBL, nothing refused but a non-FQDN sender.
        let dev = Configuration.development()
        #expect(dev.inboundStageNames == ["sender", "spf", "rdns", "dkim", "dmarc"])
        #expect(dev.inboundPolicy.actions.filter { $0.value == .reject || $0.value == .tempfail }.keys.sorted() == ["sender.invalid"])
    }

    @Test func pipelineMistakesNameKeyAndLine() {
        let cases: [(String, Int, String)] = [
            ("[dns]\nnameservers = [\"localhost:53\"]\n", 2, "dns.nameservers"),
            ("[dns]\nnameservers = [\"127.0.0.1:0\"]\n", 2, "dns.nameservers"),
            ("[dns]\nnameservers = [\"[::1]:53\"]\n", 2, "dns.nameservers"),
            ("[dns]\ntimeout = 100\n", 2, "dns.timeout"),
            ("[dns]\ntimeout = \"2s\"\n", 2, "dns.timeout"),
            ("[dns]\nserver = \"x\"\n", 2, "dns.server"),
            ("[pipeline]\nstages = [\"spf\", \"arc\"]\n", 2, "pipeline.stages"),
            ("[pipeline]\ntrusted_networks = [\"10.0.0.0/33\"]\n", 2, "pipeline.trusted_networks"),
            ("[pipeline]\njunk_score = 1.2345\n", 2, "pipeline.junk_score"),
            ("[[pipeline.dnsbl]]\nscore = 1\n", 1, "pipeline.dnsbl (entry 1)"),
            ("[[pipeline.dnsbl]]\nzone = \"bl.test\"\ncodes = { \"192.0.2.1\" = \"x\" }\n", 3, "pipeline.dnsbl.codes (entry 1)"),
            ("[policy]\n\"spf.fial\" = \"reject\"\n", 2, "policy.spf.fial"),
            ("[policy]\n\"arc.fail\" = \"reject\"\n", 2, "policy.arc.fail"),
            ("[policy]\n\"spf.fail\" = \"bounce\"\n", 2, "policy.spf.fail"),
        ]
        for (text, line, key) in cases {
            let e = mistake(text)
            #expect(e?.key == key, "\(text)")
            #expect(e?.line == line, "\(text): \(String(describing: e))")
        }
    }

    @Test func developmentProfileMatchesTheDesignTable() {
        let dev = Configuration.development()
        #expect(dev.dataDirectory == ".roost-dev")
        #expect(dev.isDevelopment)
        #expect(dev.domains == ["roost.test"])
        #expect(Set(dev.listeners.map(\.address)) == ["127.0.0.1"])
        let ports = Dictionary(uniqueKeysWithValues: dev.listeners.map { ($0.proto, $0.port) })
        #expect(ports == [.smtp: 2525, .submission: 2587, .submissions: 2465, .imap: 1143, .imaps: 1993,
                          .pop3: 1110, .pop3s: 1995, .managesieve: 4190])
        #expect(dev.metrics.port == 9464 && dev.metrics.address == "127.0.0.1")
    }
}
