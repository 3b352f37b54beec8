import Pipeline
import Testing

// check_host() section by section (RFC 7208), covering the ground of the public SPF test suite
// with cases and zone data of our own.

@Suite struct SPFInitialProcessingTests {  // §4.3
    static let zone: SPFZone = {
        var z = SPFZone()
        z.txt("example.net", "v=spf1 -all exp=why.example.net")
        z.txt("why.example.net", "%{l} may not send")
        z.txt("b23456789012345678901234567890123456789012345678901234567890123.example.com", "v=spf1 -all")
        z.txt("single", "v=spf1 +all")
        return z
    }()

    static let cases: [SPFCase] = [
        SPFCase("label of 64 bytes: none", "x@b234567890123456789012345678901234567890123456789012345678901234.example.com", "192.0.2.5", .none),
        SPFCase("label of 63 bytes is fine", "x@b23456789012345678901234567890123456789012345678901234567890123.example.com", "192.0.2.5", .fail),
        SPFCase("empty label: none", "x@b...example.com", "192.0.2.5", .none),
        SPFCase("domain literal: none", "x@[192.0.2.5]", "192.0.2.5", .none),
        SPFCase("single-label domain: none", "x@single", "192.0.2.5", .none),
        SPFCase("HELO literal with null sender: none", "", "192.0.2.5", .none, helo: "[192.0.2.5]"),
        SPFCase("HELO without a dot with null sender: none", "", "192.0.2.5", .none, helo: "WORKSTATION"),
        SPFCase("empty local-part becomes postmaster", "@example.net", "192.0.2.4", .fail, explanation: "postmaster may not send"),
    ]

    @Test(arguments: cases) func initialProcessing(_ c: SPFCase) async { await c.run(in: Self.zone) }
}

@Suite struct SPFRecordLookupTests {  // §4.4
    static let zone: SPFZone = {
        var z = SPFZone()
        z.txt("only.example.net", "v=spf1 -all")
        z.failing = ["slow.example.net"]
        z.a("noTXT.example.net", "192.0.2.1")
        return z
    }()

    static let cases: [SPFCase] = [
        SPFCase("TXT record used", "a@only.example.net", "192.0.2.4", .fail),
        SPFCase("TXT lookup times out: temperror", "a@slow.example.net", "192.0.2.4", .temperror),
        SPFCase("NXDOMAIN: none", "a@missing.example.net", "192.0.2.4", .none),
        SPFCase("no TXT at the name: none", "a@notxt.example.net", "192.0.2.4", .none),
    ]

    @Test(arguments: cases) func recordLookup(_ c: SPFCase) async { await c.run(in: Self.zone) }
}

@Suite struct SPFRecordSelectionTests {  // §4.5
    static let zone: SPFZone = {
        var z = SPFZone()
        z.txtBytes("split.example.com", [Array("v=spf1".utf8), Array("mx".utf8)])          // joined: "v=spf1mx"
        z.txtBytes("joined.example.com", [Array("v=spf1 ip4:192.0.2".utf8), Array(".4 -all".utf8)])
        z.txt("ten.example.com", "v=spf10", "v=spf1 mx")
        z.mx("ten.example.com", 0, "mail.example.com")
        z.a("mail.example.com", "192.0.2.4")
        z.txt("empty.example.com", "v=spf1")
        z.txt("twice.example.com", "v=spf1 -all", "V=sPf1 +all")
        z.txt("same.example.com", "v=spf1 -all", "v=spf1 -all")
        z.txt("upper.example.com", "V=SpF1 ~all")
        z.txt("other.example.com", "google-site-verification=abc", "v=spf1 +all")
        z.txtBytes("binary.example.com", [[0x96, 0xff]])
        z.txt("binary.example.com", "v=spf1 -all")
        z.txtBytes("hosed.example.com", [Array("v=spf1 a:".utf8) + [0xef, 0xbb, 0xbf] + Array("x.example.net -all".utf8)])
        z.txtBytes("hosed2.example.com", [Array("v=spf1 ".utf8) + [0x80] + Array("a -all".utf8)])
        z.txtBytes("nul.example.com", [Array("v=spf1 a:foo.example.com".utf8) + [0]])
        return z
    }()

    static let cases: [SPFCase] = [
        SPFCase("version must end in a space; strings joined without one", "a@split.example.com", "192.0.2.4", .none),
        SPFCase("strings joined without separators", "a@joined.example.com", "192.0.2.4", .pass),
        SPFCase("v=spf10 is not a record", "a@ten.example.com", "192.0.2.4", .pass),
        SPFCase("empty record: neutral", "a@empty.example.com", "192.0.2.4", .neutral),
        SPFCase("two records: permerror (version case-insensitive)", "a@twice.example.com", "192.0.2.4", .permerror),
        SPFCase("two identical records: permerror", "a@same.example.com", "192.0.2.4", .permerror),
        SPFCase("version case-insensitive", "a@upper.example.com", "192.0.2.4", .softfail),
        SPFCase("other TXT records ignored", "a@other.example.com", "192.0.2.4", .pass),
        SPFCase("non-ASCII in a non-SPF TXT record ignored", "a@binary.example.com", "192.0.2.4", .fail),
        SPFCase("non-ASCII in a domain-spec: permerror", "a@hosed.example.com", "192.0.2.4", .permerror),
        SPFCase("non-ASCII in a mechanism: permerror", "a@hosed2.example.com", "192.0.2.4", .permerror),
        SPFCase("NUL in the record: permerror", "a@nul.example.com", "192.0.2.5", .permerror),
    ]

    @Test(arguments: cases) func recordSelection(_ c: SPFCase) async { await c.run(in: Self.zone) }
}

@Suite struct SPFRecordEvaluationTests {  // §4.6, §4.7, §6 syntax
    static let zone: SPFZone = {
        var z = SPFZone()
        z.txt("late-error.example.com", "v=spf1 ip4:192.0.2.4 -all moo")
        z.txt("good-modifier.example.com", "v=spf1 moo.cow-far_out=man:dog/cat ip4:192.0.2.4 -all")
        z.txt("slash-modifier.example.com", "v=spf1 moo.cow/far_out=man:dog/cat ip4:192.0.2.4 -all")
        z.txt("colon-modifier.example.com", "v=spf1 moo.cow:far_out=man:dog/cat ip4:192.0.2.4 -all")
        z.txt("redirect-colon.example.com", "v=spf1 ip4:192.0.2.4 redirect:good-modifier.example.com")
        z.txt("default.example.com", "v=spf1 ip4:192.0.2.4")
        z.txt("loop-but-all.example.com", "v=spf1 redirect=loop-but-all.example.com ~all")
        z.txt("redirect-after.example.com", "v=spf1 ip4:192.0.2.4 redirect=good-modifier.example.com")
        z.txt("digit-name.example.com", "v=spf1 1up=foo")
        z.txt("empty-name.example.com", "v=spf1 =all")
        z.txt("obsolete.example.com", "v=spf1 default=pass")
        z.txt("obsolete2.example.com", "v=spf1 default=+")
        z.txt("bad-macro-modifier.example.com", "v=spf1 -all foo=%abc")
        z.txt("two-spaces.example.com", "v=spf1  ip4:192.0.2.4   -all  ")
        z.txt("tld-dash.example.com", "v=spf1 a:foo-bar -all")
        z.txt("long-label.example.com", "v=spf1 a:a123456789012345678901234567890123456789012345678901234567890123.example.com -all")
        z.txt("empty-label.example.com", "v=spf1 a:mail.example...com -all")
        z.txt("case.example.com", "v=spf1 IP4:192.0.2.4 -ALL")
        return z
    }()

    static let cases: [SPFCase] = [
        SPFCase("syntax error after the match still permerror", "a@late-error.example.com", "192.0.2.4", .permerror),
        SPFCase("unknown modifier with a valid name ignored", "a@good-modifier.example.com", "192.0.2.4", .pass),
        SPFCase("'/' before '=' is not a modifier name", "a@slash-modifier.example.com", "192.0.2.4", .permerror),
        SPFCase("':' before '=' is not a modifier name", "a@colon-modifier.example.com", "192.0.2.4", .permerror),
        SPFCase("redirect is a modifier, not a mechanism", "a@redirect-colon.example.com", "192.0.2.4", .permerror),
        SPFCase("no match, no redirect: neutral", "a@default.example.com", "192.0.2.5", .neutral),
        SPFCase("all makes redirect unreachable", "a@loop-but-all.example.com", "192.0.2.4", .softfail),
        SPFCase("redirect only after every mechanism", "a@redirect-after.example.com", "192.0.2.5", .fail),
        SPFCase("modifier name must start with a letter", "a@digit-name.example.com", "192.0.2.4", .permerror),
        SPFCase("modifier name must not be empty", "a@empty-name.example.com", "192.0.2.4", .permerror),
        SPFCase("unknown modifier does not change the result", "a@obsolete.example.com", "192.0.2.4", .neutral),
        SPFCase("unknown modifier does not change the result (2)", "a@obsolete2.example.com", "192.0.2.4", .neutral),
        SPFCase("unknown modifier needs valid macro syntax", "a@bad-macro-modifier.example.com", "192.0.2.4", .permerror),
        SPFCase("several spaces between and after terms", "a@two-spaces.example.com", "192.0.2.4", .pass),
        SPFCase("domain-spec must end in a dotted toplabel", "a@tld-dash.example.com", "192.0.2.4", .permerror),
        SPFCase("label too long for DNS: no match", "a@long-label.example.com", "192.0.2.4", .fail),
        SPFCase("empty label: no match", "a@empty-label.example.com", "192.0.2.4", .fail),
        SPFCase("mechanism names are case-insensitive", "a@case.example.com", "192.0.2.4", .pass),
    ]

    @Test(arguments: cases) func recordEvaluation(_ c: SPFCase) async { await c.run(in: Self.zone) }
}

@Suite struct SPFProcessingLimitTests {  // §4.6.4
    static let zone: SPFZone = {
        var z = SPFZone()
        z.a("mail.example.com", "192.0.2.4")
        z.txt("loop.example.com", "v=spf1 ip4:192.0.2.9 redirect=loop.example.com")
        z.txt("inc-a.example.com", "v=spf1 include:inc-b.example.com")
        z.txt("inc-b.example.com", "v=spf1 include:inc-a.example.com")
        z.a("many-a.example.com", "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6",
            "192.0.2.7", "192.0.2.8", "192.0.2.9", "192.0.2.10", "192.0.2.11", "192.0.2.12")
        z.txt("many-a.example.com", "v=spf1 a -all")
        z.txt("ten.example.com", "v=spf1 a mx a mx a mx a mx a ptr ip4:192.0.2.4 -all")
        z.a("ten.example.com", "192.0.2.8")
        z.mx("ten.example.com", 10, "ten.example.com")
        z.txt("eleven.example.com", "v=spf1 a mx a mx a mx a mx a ptr a ip4:192.0.2.4 -all")
        z.a("eleven.example.com", "192.0.2.20")
        z.mx("eleven.example.com", 10, "eleven.example.com")
        z.txt("at-limit.example.com", "v=spf1 a include:eight.example.com ip4:192.0.2.4 mx -all")
        z.a("at-limit.example.com", "192.0.2.30")
        z.txt("over-limit.example.com", "v=spf1 a include:eight.example.com a ip4:192.0.2.4 -all")
        z.a("over-limit.example.com", "192.0.2.30")
        z.txt("eight.example.com", "v=spf1 a a a a a a a a")
        z.a("eight.example.com", "192.0.2.31")
        z.txt("eleven-mx.example.com", "v=spf1 mx")
        for i in 0..<10 { z.mx("eleven-mx.example.com", UInt16(i), "nowhere\(i).example.com") }
        z.mx("eleven-mx.example.com", 10, "mail.example.com")
        z.txt("ten-mx.example.com", "v=spf1 mx")
        for i in 0..<9 { z.mx("ten-mx.example.com", UInt16(i), "nowhere\(i).example.com") }
        z.mx("ten-mx.example.com", 10, "mail.example.com")
        z.txt("ptr-many.example.com", "v=spf1 ptr")
        for i in 1...10 { z.ptr("192.0.2.77", "p\(i).example.org") ; z.a("p\(i).example.org", "192.0.2.200") }
        z.ptr("192.0.2.77", "ptr-many.example.com")
        z.a("ptr-many.example.com", "192.0.2.77")
        z.txt("two-void.example.com", "v=spf1 a:void1.example.com a:void2.example.com ?all")
        z.txt("three-void.example.com", "v=spf1 a:void1.example.com a:void2.example.com exists:void3.example.com ?all")
        z.txt("void-exp.example.com", "v=spf1 a:void1.example.com a:void2.example.com exp=void3.example.com -all")
        z.txt("ptr-void.example.com", "v=spf1 ptr ptr ptr -all")
        z.txt("mx-void.example.com", "v=spf1 mx:void1.example.com mx:mail.example.com mx:void2.example.com mx:void3.example.com -all")
        return z
    }()

    static let cases: [SPFCase] = [
        SPFCase("redirect loop: permerror", "a@loop.example.com", "192.0.2.4", .permerror),
        SPFCase("include loop: permerror", "a@inc-a.example.com", "192.0.2.4", .permerror),
        SPFCase("no limit on the A records of one name", "a@many-a.example.com", "192.0.2.12", .pass),
        SPFCase("ten DNS mechanisms are allowed", "a@ten.example.com", "192.0.2.4", .pass),
        SPFCase("the eleventh is a permerror", "a@eleven.example.com", "192.0.2.4", .permerror),
        SPFCase("limit counted across includes, as evaluated", "a@at-limit.example.com", "192.0.2.4", .pass),
        SPFCase("limit exceeded across includes", "a@over-limit.example.com", "192.0.2.4", .permerror),
        SPFCase("more than ten MX names: permerror", "a@eleven-mx.example.com", "192.0.2.4", .permerror),
        SPFCase("ten MX names are checked", "a@ten-mx.example.com", "192.0.2.4", .pass),
        SPFCase("only the first ten PTR names are checked", "a@ptr-many.example.com", "192.0.2.77", .neutral),
        SPFCase("two void lookups are allowed", "a@two-void.example.com", "192.0.2.4", .neutral),
        SPFCase("the third void lookup is a permerror", "a@three-void.example.com", "192.0.2.4", .permerror),
        SPFCase("exp= lookups are not void lookups", "a@void-exp.example.com", "192.0.2.4", .fail),
        SPFCase("void MX lookups count", "a@mx-void.example.com", "192.0.2.9", .permerror),
        SPFCase("each ptr without PTR records is a void lookup", "a@ptr-void.example.com", "192.0.2.9", .permerror),
    ]

    @Test(arguments: cases) func processingLimits(_ c: SPFCase) async { await c.run(in: Self.zone) }

    @Test func countsAreReported() async {
        let result = await Self.zone.check(from: "a@ten.example.com", ip: "192.0.2.4")
        #expect(result.lookups == 10)
        let voids = await Self.zone.check(from: "a@two-void.example.com", ip: "192.0.2.4")
        #expect(voids.voidLookups == 2)
    }
}

@Suite struct SPFAllTests {  // §5.1
    static let zone: SPFZone = {
        var z = SPFZone()
        z.txt("dot.example.com", "v=spf1 -all.")
        z.txt("arg.example.com", "v=spf1 -all:foobar")
        z.txt("cidr.example.com", "v=spf1 -all/8")
        z.txt("neutral.example.com", "v=spf1 ?all")
        z.txt("double.example.com", "v=spf1 all -all")
        return z
    }()

    static let cases: [SPFCase] = [
        SPFCase("all followed by a dot", "a@dot.example.com", "192.0.2.4", .permerror),
        SPFCase("all with an argument", "a@arg.example.com", "192.0.2.4", .permerror),
        SPFCase("all with a prefix length", "a@cidr.example.com", "192.0.2.4", .permerror),
        SPFCase("?all", "a@neutral.example.com", "192.0.2.4", .neutral),
        SPFCase("first all wins", "a@double.example.com", "192.0.2.4", .pass),
    ]

    @Test(arguments: cases) func all(_ c: SPFCase) async { await c.run(in: Self.zone) }
}

@Suite struct SPFIncludeTests {  // §5.2
    static let zone: SPFZone = {
        var z = SPFZone()
        z.txt("inc-fail.example.com", "v=spf1 include:only5.example.com ~all")
        z.txt("only5.example.com", "v=spf1 ip4:192.0.2.5 -all")
        z.txt("inc-softfail.example.com", "v=spf1 include:soft6.example.com all")
        z.txt("soft6.example.com", "v=spf1 ip4:192.0.2.6 ~all")
        z.txt("inc-neutral.example.com", "v=spf1 include:neutral7.example.com -all")
        z.txt("neutral7.example.com", "v=spf1 ip4:192.0.2.7 ?all")
        z.txt("inc-pass.example.com", "v=spf1 -include:open.example.com ?all")
        z.txt("open.example.com", "v=spf1 +all")
        z.txt("inc-temp.example.com", "v=spf1 include:slow.example.com -all")
        z.failing = ["slow.example.com"]
        z.txt("inc-perm.example.com", "v=spf1 include:broken.example.com -all")
        z.txt("broken.example.com", "v=spf1 include +all")
        z.txt("inc-none.example.com", "v=spf1 include:nospf.example.com -all")
        z.txt("nospf.example.com", "v=spfl am not an SPF record")
        z.txt("inc-nx.example.com", "v=spf1 include:nx.example.com -all")
        z.txt("inc-empty.example.com", "v=spf1 include: -all")
        z.txt("inc-cidr.example.com", "v=spf1 include:only5.example.com/24 -all")
        return z
    }()

    static let cases: [SPFCase] = [
        SPFCase("included fail: no match", "a@inc-fail.example.com", "192.0.2.4", .softfail),
        SPFCase("included softfail: no match", "a@inc-softfail.example.com", "192.0.2.4", .pass),
        SPFCase("included neutral: no match", "a@inc-neutral.example.com", "192.0.2.4", .fail),
        SPFCase("included pass: match, with the include's qualifier", "a@inc-pass.example.com", "192.0.2.4", .fail),
        SPFCase("included temperror: temperror", "a@inc-temp.example.com", "192.0.2.4", .temperror),
        SPFCase("included permerror: permerror", "a@inc-perm.example.com", "192.0.2.4", .permerror),
        SPFCase("include of a domain without a record: permerror", "a@inc-none.example.com", "192.0.2.4", .permerror),
        SPFCase("include of a nonexistent domain: permerror", "a@inc-nx.example.com", "192.0.2.4", .permerror),
        SPFCase("include needs a domain", "a@inc-empty.example.com", "192.0.2.4", .permerror),
        SPFCase("include takes no prefix length", "a@inc-cidr.example.com", "192.0.2.4", .permerror),
    ]

    @Test(arguments: cases) func include(_ c: SPFCase) async { await c.run(in: Self.zone) }
}

@Suite struct SPFAMechanismTests {  // §5.3
    static let zone: SPFZone = {
        var z = SPFZone()
        z.txt("zero.example.com", "v=spf1 a/0 -all")
        z.a("zero.example.com", "198.51.100.1")
        z.aaaa("zero.example.com", "2001:db8::2")
        z.txt("zero-nx.example.com", "v=spf1 a/0 -all")
        z.txt("v6zero.example.com", "v=spf1 a//0 -all")
        z.aaaa("v6zero.example.com", "2001:db8::1")
        z.txt("v6zero-none.example.com", "v=spf1 a//0 -all")
        z.a("v6zero-none.example.com", "198.51.100.1")
        z.txt("dual.example.com", "v=spf1 a/24//64 -all")
        z.a("dual.example.com", "192.0.2.5")
        z.aaaa("dual.example.com", "2001:db8:1234::dead:beef")
        z.txt("v4only24.example.com", "v=spf1 a/24 -all")
        z.a("v4only24.example.com", "192.0.2.5")
        z.aaaa("v4only24.example.com", "2001:db8:1234::dead:beef")
        z.txt("v6only64.example.com", "v=spf1 a//64 -all")
        z.a("v6only64.example.com", "192.0.2.5")
        z.aaaa("v6only64.example.com", "2001:db8:1234::dead:beef")
        z.txt("bad-dual.example.com", "v=spf1 a/24/64 -all")
        z.txt("v6-33.example.com", "v=spf1 a//33 -all")
        z.txt("v6-129.example.com", "v=spf1 a//129 -all")
        z.txt("v4-33.example.com", "v=spf1 a/33 -all")
        z.txt("v4-lead0.example.com", "v=spf1 a/024 -all")
        z.txt("multi.example.com", "v=spf1 a:hosts.example.com/24")
        z.a("hosts.example.com", "198.51.100.1", "192.0.2.5")
        z.txt("toplabel-only.example.com", "v=spf1 a:museum")
        z.txt("toplabel-dot.example.com", "v=spf1 a:museum.")
        z.txt("numeric-tld.example.com", "v=spf1 a:abc.123")
        z.txt("ip-as-a.example.com", "v=spf1 a:192.0.2.4")
        z.txt("dash-tld.example.com", "v=spf1 a:example.-com")
        z.txt("idn-tld.example.com", "v=spf1 a:foo.example.xn--zckzah -all")
        z.a("foo.example.xn--zckzah", "192.0.2.4")
        z.txt("port.example.com", "v=spf1 a:example.com:8080")
        z.txt("colon.example.com", "v=spf1 a:foo:bar/baz.example.com")
        z.a("foo:bar/baz.example.com", "192.0.2.4")
        z.txt("empty.example.com", "v=spf1 a:")
        z.txt("dualstack.example.com", "v=spf1 a -all")
        z.aaaa("dualstack.example.com", "2001:db8::1")
        z.a("dualstack.example.com", "198.51.100.1")
        z.txt("dns-error.example.com", "v=spf1 a:slow.example.com -all")
        z.failing = ["slow.example.com"]
        return z
    }()

    static let cases: [SPFCase] = [
        SPFCase("a/0 matches any IPv4 when A records exist", "a@zero.example.com", "192.0.2.4", .pass),
        SPFCase("a/0 does not match an IPv6 client", "a@zero.example.com", "2001:db8::1", .fail),
        SPFCase("no address, no match even with /0", "a@zero-nx.example.com", "192.0.2.4", .fail),
        SPFCase("a//0 matches any IPv6 when AAAA records exist", "a@v6zero.example.com", "2001:db8::99", .pass),
        SPFCase("a//0 never matches IPv4", "a@v6zero.example.com", "192.0.2.4", .fail),
        SPFCase("a//0 never matches an IPv4-mapped client", "a@v6zero.example.com", "::ffff:192.0.2.4", .fail),
        SPFCase("a//0 without AAAA: no match", "a@v6zero-none.example.com", "2001:db8::1", .fail),
        SPFCase("dual prefix, IPv4 side", "a@dual.example.com", "192.0.2.4", .pass),
        SPFCase("dual prefix, IPv6 side", "a@dual.example.com", "2001:db8:1234::cafe:babe", .pass),
        SPFCase("IPv4 prefix only: IPv6 compared in full", "a@v4only24.example.com", "2001:db8:1234::cafe:babe", .fail),
        SPFCase("IPv6 prefix only: IPv4 compared in full", "a@v6only64.example.com", "192.0.2.4", .fail),
        SPFCase("two single-slash prefixes: permerror", "a@bad-dual.example.com", "192.0.2.4", .permerror),
        SPFCase("IPv6 prefix 33 is fine on IPv4", "a@v6-33.example.com", "192.0.2.4", .fail),
        SPFCase("IPv6 prefix 129: permerror", "a@v6-129.example.com", "192.0.2.4", .permerror),
        SPFCase("IPv4 prefix 33: permerror", "a@v4-33.example.com", "192.0.2.4", .permerror),
        SPFCase("leading zero in a prefix: permerror", "a@v4-lead0.example.com", "192.0.2.4", .permerror),
        SPFCase("any returned address matches", "a@multi.example.com", "192.0.2.4", .pass),
        SPFCase("toplabel alone: permerror", "a@toplabel-only.example.com", "192.0.2.4", .permerror),
        SPFCase("toplabel with a dot alone: permerror", "a@toplabel-dot.example.com", "192.0.2.4", .permerror),
        SPFCase("numeric toplabel: permerror", "a@numeric-tld.example.com", "192.0.2.4", .permerror),
        SPFCase("an address in a: permerror", "a@ip-as-a.example.com", "192.0.2.4", .permerror),
        SPFCase("toplabel starting with a dash: permerror", "a@dash-tld.example.com", "192.0.2.4", .permerror),
        SPFCase("toplabel with dashes (IDN)", "a@idn-tld.example.com", "192.0.2.4", .pass),
        SPFCase("port after the domain: permerror", "a@port.example.com", "192.0.2.4", .permerror),
        SPFCase("':' and '/' inside a domain-spec", "a@colon.example.com", "192.0.2.4", .pass),
        SPFCase("':' and '/' inside a domain-spec, IPv4-mapped client", "a@colon.example.com", "::ffff:192.0.2.4", .pass),
        SPFCase("a: needs a domain", "a@empty.example.com", "192.0.2.4", .permerror),
        SPFCase("IPv6 client matches AAAA", "a@dualstack.example.com", "2001:db8::1", .pass),
        SPFCase("DNS error: temperror", "a@dns-error.example.com", "192.0.2.4", .temperror),
    ]

    @Test(arguments: cases) func aMechanism(_ c: SPFCase) async { await c.run(in: Self.zone) }
}

@Suite struct SPFMXMechanismTests {  // §5.4
    static let zone: SPFZone = {
        var z = SPFZone()
        z.txt("zero.example.com", "v=spf1 mx/0 -all")
        z.mx("zero.example.com", 0, "zero.example.com")
        z.a("zero.example.com", "198.51.100.1")
        z.aaaa("zero.example.com", "2001:db8::2")
        z.txt("v6.example.com", "v=spf1 mx//0 -all")
        z.mx("v6.example.com", 0, "v6.example.com")
        z.aaaa("v6.example.com", "2001:db8::1")
        z.txt("no-mx.example.com", "v=spf1 mx")
        z.a("no-mx.example.com", "192.0.2.4")
        z.txt("null-mx.example.com", "v=spf1 mx")
        z.mx("null-mx.example.com", 0, "")
        z.a("null-mx.example.com", "192.0.2.4")
        z.txt("elsewhere.example.com", "v=spf1 mx:mxhost.example.org/24")
        z.mx("mxhost.example.org", 0, "hosts.example.org")
        z.a("hosts.example.org", "198.51.100.1", "192.0.2.5")
        z.txt("nx-mx.example.com", "v=spf1 mx/0 -all")
        z.mx("nx-mx.example.com", 0, "nx-target.example.com")
        z.txt("bad4.example.com", "v=spf1 mx/33 -all")
        z.txt("bad6.example.com", "v=spf1 mx//129 -all")
        z.txt("empty.example.com", "v=spf1 mx: -all")
        z.txt("numeric.example.com", "v=spf1 mx:abc.123")
        z.txt("dns-error.example.com", "v=spf1 mx:slow.example.com -all")
        z.txt("host-error.example.com", "v=spf1 mx -all")
        z.mx("host-error.example.com", 0, "slow.example.com")
        z.failing = ["slow.example.com"]
        return z
    }()

    static let cases: [SPFCase] = [
        SPFCase("mx/0: any IPv4 when an MX host has A records", "a@zero.example.com", "192.0.2.4", .pass),
        SPFCase("mx/0 does not match IPv6", "a@zero.example.com", "2001:db8::1", .fail),
        SPFCase("mx//0 matches IPv6 with AAAA", "a@v6.example.com", "2001:db8::7", .pass),
        SPFCase("mx//0 never matches IPv4-mapped", "a@v6.example.com", "::ffff:192.0.2.4", .fail),
        SPFCase("no MX: no match, never the A record", "a@no-mx.example.com", "192.0.2.4", .neutral),
        SPFCase("null MX: no match", "", "192.0.2.4", .neutral, helo: "null-mx.example.com"),
        SPFCase("another domain's MX hosts, any address", "a@elsewhere.example.com", "192.0.2.4", .pass),
        SPFCase("MX host without addresses: no match", "a@nx-mx.example.com", "192.0.2.4", .fail),
        SPFCase("mx/33: permerror", "a@bad4.example.com", "192.0.2.4", .permerror),
        SPFCase("mx//129: permerror", "a@bad6.example.com", "192.0.2.4", .permerror),
        SPFCase("mx: needs a domain", "a@empty.example.com", "192.0.2.4", .permerror),
        SPFCase("numeric toplabel: permerror", "a@numeric.example.com", "192.0.2.4", .permerror),
        SPFCase("MX lookup error: temperror", "a@dns-error.example.com", "192.0.2.4", .temperror),
        SPFCase("MX host lookup error: temperror", "a@host-error.example.com", "192.0.2.4", .temperror),
    ]

    @Test(arguments: cases) func mxMechanism(_ c: SPFCase) async { await c.run(in: Self.zone) }
}

@Suite struct SPFPTRMechanismTests {  // §5.5
    static let zone: SPFZone = {
        var z = SPFZone()
        z.ptr("192.0.2.4", "self.example.com", "unvalidated.example.com", "mail.example.com")
        z.ptr("2001:db8::1", "self.example.com")
        z.txt("target.example.com", "v=spf1 ptr:example.com -all")
        z.txt("self.example.com", "v=spf1 ptr -all")
        z.a("self.example.com", "192.0.2.4")
        z.aaaa("self.example.com", "2001:db8::1")
        z.a("mail.example.com", "192.0.2.4")
        z.txt("unvalidated.example.com", "v=spf1 ptr -all")
        z.txt("cidr.example.com", "v=spf1 ptr/0 -all")
        z.txt("empty.example.com", "v=spf1 ptr:")
        z.txt("errors.example.com", "v=spf1 ptr -all")
        z.ptr("192.0.2.50", "slow.example.com", "errors.example.com")
        z.a("errors.example.com", "192.0.2.50")
        z.failing = ["slow.example.com", IPAddress("192.0.2.60")!.reverseDomain]
        return z
    }()

    static let cases: [SPFCase] = [
        SPFCase("a validated name under the target", "a@target.example.com", "192.0.2.4", .pass),
        SPFCase("a validated name equal to the domain", "a@self.example.com", "192.0.2.4", .pass),
        SPFCase("IPv6 PTR", "a@self.example.com", "2001:db8::1", .pass),
        SPFCase("a PTR name that does not resolve back: no match", "a@unvalidated.example.com", "192.0.2.4", .fail),
        SPFCase("ptr takes no prefix length", "a@cidr.example.com", "192.0.2.4", .permerror),
        SPFCase("ptr: needs a domain", "a@empty.example.com", "192.0.2.4", .permerror),
        SPFCase("a failing name is skipped", "a@errors.example.com", "192.0.2.50", .pass),
        SPFCase("a failing PTR lookup is no match, not temperror", "a@errors.example.com", "192.0.2.60", .fail),
    ]

    @Test(arguments: cases) func ptrMechanism(_ c: SPFCase) async { await c.run(in: Self.zone) }
}

@Suite struct SPFIPMechanismTests {  // §5.6
    static let zone: SPFZone = {
        var z = SPFZone()
        z.txt("zero.example.com", "v=spf1 ip4:198.51.100.1/0 -all")
        z.txt("exact.example.com", "v=spf1 ip4:192.0.2.4/32 -all")
        z.txt("33.example.com", "v=spf1 ip4:192.0.2.4/33 -all")
        z.txt("lead0.example.com", "v=spf1 ip4:192.0.2.4/032 -all")
        z.txt("bare.example.com", "v=spf1 ip4")
        z.txt("dual.example.com", "v=spf1 ip4:192.0.2.4//32")
        z.txt("short.example.com", "v=spf1 ip4:192.0.2")
        z.txt("port.example.com", "v=spf1 ip4:192.0.2.4:8080")
        z.txt("mapped.example.com", "v=spf1 -ip4:192.0.2.4 ip6:::ffff:192.0.2.4")
        z.txt("v6zero.example.com", "v=spf1 ip6:::1.1.1.1/0")
        z.txt("v6-129.example.com", "v=spf1 ip6:::1.1.1.1/129")
        z.txt("v6-dual.example.com", "v=spf1 ip6:::1.1.1.1//33")
        z.txt("v6-bad.example.com", "v=spf1 ip6::CAFE::BABE")
        z.txt("v6-33.example.com", "v=spf1 ip6:2001:db8:8000::/33")
        z.txt("v6-bare.example.com", "v=spf1 -all ip6")
        z.txt("v4-in-v6.example.com", "v=spf1 ip6:192.0.2.4 -all")
        return z
    }()

    static let cases: [SPFCase] = [
        SPFCase("ip4 /0 matches every IPv4", "a@zero.example.com", "192.0.2.4", .pass),
        SPFCase("ip4 /32", "a@exact.example.com", "192.0.2.4", .pass),
        SPFCase("ip4 /33: permerror", "a@33.example.com", "192.0.2.4", .permerror),
        SPFCase("ip4 /032: permerror", "a@lead0.example.com", "192.0.2.4", .permerror),
        SPFCase("ip4 without an address: permerror", "a@bare.example.com", "192.0.2.4", .permerror),
        SPFCase("ip4 takes no dual prefix", "a@dual.example.com", "192.0.2.4", .permerror),
        SPFCase("ip4 with three octets: permerror", "a@short.example.com", "192.0.2.4", .permerror),
        SPFCase("ip4 with a port: permerror", "a@port.example.com", "192.0.2.4", .permerror),
        SPFCase("IPv4-mapped clients are IPv4", "a@mapped.example.com", "::ffff:192.0.2.4", .fail),
        SPFCase("ip6 /0 matches every IPv6", "a@v6zero.example.com", "2001:db8::cab:fee", .pass),
        SPFCase("ip6 never matches IPv4", "a@v6zero.example.com", "192.0.2.4", .neutral),
        SPFCase("ip6 never matches IPv4-mapped", "a@v6zero.example.com", "::ffff:192.0.2.4", .neutral),
        SPFCase("ip6 /129: permerror even for an IPv4 client", "a@v6-129.example.com", "192.0.2.4", .permerror),
        SPFCase("ip6 takes no dual prefix", "a@v6-dual.example.com", "192.0.2.4", .permerror),
        SPFCase("malformed ip6: permerror", "a@v6-bad.example.com", "192.0.2.4", .permerror),
        SPFCase("ip6 /33 is not an IPv4 prefix", "a@v6-33.example.com", "2001:db8:8000::", .pass),
        SPFCase("ip6 /33 on IPv4: no match", "a@v6-33.example.com", "192.0.2.4", .neutral),
        SPFCase("ip6 without an address: permerror", "a@v6-bare.example.com", "192.0.2.4", .permerror),
        SPFCase("an IPv4 address in ip6: permerror", "a@v4-in-v6.example.com", "192.0.2.4", .permerror),
    ]

    @Test(arguments: cases) func ipMechanisms(_ c: SPFCase) async { await c.run(in: Self.zone) }
}

@Suite struct SPFExistsTests {  // §5.7
    static let zone: SPFZone = {
        var z = SPFZone()
        z.a("mail.example.com", "192.0.2.4")
        z.aaaa("mail6.example.com", "2001:db8::4")
        z.txt("v4.example.com", "v=spf1 exists:mail.example.com")
        z.txt("v6only.example.com", "v=spf1 exists:mail6.example.com -all")
        z.txt("cidr.example.com", "v=spf1 exists:mail.example.com/24")
        z.txt("bare.example.com", "v=spf1 exists")
        z.txt("empty.example.com", "v=spf1 exists:")
        z.txt("error.example.com", "v=spf1 exists:slow.example.com -all")
        z.failing = ["slow.example.com"]
        return z
    }()

    static let cases: [SPFCase] = [
        SPFCase("any A record matches", "a@v4.example.com", "192.0.2.99", .pass),
        SPFCase("A query even for an IPv6 client", "a@v4.example.com", "2001:db8::3", .pass),
        SPFCase("AAAA records do not count", "a@v6only.example.com", "2001:db8::3", .fail),
        SPFCase("exists takes no prefix length", "a@cidr.example.com", "192.0.2.4", .permerror),
        SPFCase("exists needs a domain", "a@bare.example.com", "192.0.2.4", .permerror),
        SPFCase("exists: needs a domain", "a@empty.example.com", "192.0.2.4", .permerror),
        SPFCase("DNS error: temperror", "a@error.example.com", "2001:db8::3", .temperror),
    ]

    @Test(arguments: cases) func exists(_ c: SPFCase) async { await c.run(in: Self.zone) }
}

@Suite struct SPFModifierTests {  // §6
    static let zone: SPFZone = {
        var z = SPFZone()
        z.a("mail.example.com", "192.0.2.4")
        z.txt("plain-fail.example.com", "v=spf1 -all")
        z.txt("redirect-none.example.com", "v=spf1 redirect=nothing.example.com")
        z.txt("redirect-empty.example.com", "v=spf1 ?all redirect=")
        z.txt("redirect-twice.example.com", "v=spf1 redirect=plain-fail.example.com -all redirect=plain-fail.example.com")
        z.txt("redirect-bad.example.com", "v=spf1 redirect=-all ?all")
        z.txt("exp-twice.example.com", "v=spf1 exp=msg1.example.com -all exp=msg2.example.com")
        z.txt("exp-empty.example.com", "v=spf1 exp= -all")
        z.txt("exp-bad.example.com", "v=spf1 exp=-all")
        z.txt("explained.example.com", "v=spf1 -all exp=msg1.example.com")
        z.txt("msg1.example.com", "Sorry, %{i} may not send for %{d}.")
        z.txt("redirect-cancels.example.com", "v=spf1 exp=msg1.example.com redirect=plain-fail.example.com")
        z.txt("redirect-own.example.com", "v=spf1 exp=msg1.example.com redirect=explained.example.com")
        z.txt("include-ignores.example.com", "v=spf1 include:redirect-own.example.com -all exp=msg3.example.com")
        z.txt("msg3.example.com", "Outer words.")
        z.txt("two-txt.example.com", "v=spf1 exp=two.example.com -all")
        z.txt("two.example.com", "one", "two")
        z.txt("exp-error.example.com", "v=spf1 exp=slow.example.com -all")
        z.failing = ["slow.example.com"]
        z.txt("exp-macro-error.example.com", "v=spf1 exp=msg4.example.com -all")
        z.txt("msg4.example.com", "The %{x}-files.")
        z.txt("exp-no-txt.example.com", "v=spf1 exp=mail.example.com -all")
        z.txt("exp-binary.example.com", "v=spf1 exp=binary.example.com -all")
        z.txtBytes("binary.example.com", [[0xef, 0xbb, 0xbf] + Array("Explanation".utf8)])
        z.txt("exp-only-on-fail.example.com", "v=spf1 ~all exp=msg1.example.com")
        return z
    }()

    static let cases: [SPFCase] = [
        SPFCase("redirect to a domain without a record: permerror", "a@redirect-none.example.com", "192.0.2.4", .permerror),
        SPFCase("empty redirect=: permerror", "a@redirect-empty.example.com", "192.0.2.4", .permerror),
        SPFCase("redirect= twice: permerror", "a@redirect-twice.example.com", "192.0.2.4", .permerror),
        SPFCase("redirect= with a bad domain: permerror", "a@redirect-bad.example.com", "192.0.2.4", .permerror),
        SPFCase("exp= twice: permerror", "a@exp-twice.example.com", "192.0.2.4", .permerror),
        SPFCase("empty exp=: permerror", "a@exp-empty.example.com", "192.0.2.4", .permerror),
        SPFCase("exp= with a bad domain: permerror", "a@exp-bad.example.com", "192.0.2.4", .permerror),
        SPFCase("explanation expanded", "a@explained.example.com", "192.0.2.4", .fail,
                explanation: "Sorry, 192.0.2.4 may not send for explained.example.com."),
        SPFCase("redirect drops the first record's exp", "a@redirect-cancels.example.com", "192.0.2.4", .fail, explanation: .some(nil)),
        SPFCase("redirect target's own exp is used", "a@redirect-own.example.com", "192.0.2.4", .fail,
                explanation: "Sorry, 192.0.2.4 may not send for explained.example.com."),
        SPFCase("include never uses the included exp", "a@include-ignores.example.com", "192.0.2.4", .fail, explanation: "Outer words."),
        SPFCase("two TXT records: no explanation", "a@two-txt.example.com", "192.0.2.4", .fail, explanation: .some(nil)),
        SPFCase("DNS error: no explanation", "a@exp-error.example.com", "192.0.2.4", .fail, explanation: .some(nil)),
        SPFCase("macro error in the text: no explanation", "a@exp-macro-error.example.com", "192.0.2.4", .fail, explanation: .some(nil)),
        SPFCase("no TXT record: no explanation", "a@exp-no-txt.example.com", "192.0.2.4", .fail, explanation: .some(nil)),
        SPFCase("non-ASCII text: no explanation", "a@exp-binary.example.com", "192.0.2.4", .fail, explanation: .some(nil)),
        SPFCase("explanations only for fail", "a@exp-only-on-fail.example.com", "192.0.2.4", .softfail, explanation: .some(nil)),
    ]

    @Test(arguments: cases) func modifiers(_ c: SPFCase) async { await c.run(in: Self.zone) }
}

@Suite struct SPFMacroTests {  // §7
    static let zone: SPFZone = {
        var z = SPFZone()
        z.txt("escapes.example.com", "v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all")
        z.a("macro%percent  space%20url-space.example.com", "192.0.2.4")
        z.txt("split-dash.example.com", "v=spf1 exists:%{i}.%{l2r-}.user.%{d2}")
        z.a("192.0.2.4.gladstone.philip.user.example.com", "127.0.0.2")
        z.txt("two-delims.example.com", "v=spf1 exists:%{l2r+-}.user.%{d2}")
        z.a("bar.foo.user.example.com", "127.0.0.2")
        z.txt("helo.example.com", "v=spf1 a:%{H} -all")
        z.a("msgbas2x.cos.example.com", "192.0.2.40")
        z.txt("valid-helo.example.com", "v=spf1 -include:_helo.%{d2} ip4:192.0.2.0/24 -all")
        z.txt("_helo.example.com", "v=spf1 -a:%{h} +all")
        z.txt("pmacro.example.com", "v=spf1 -all exp=pmsg.example.com")
        z.txt("pmsg.example.com", "connect from %{p}")
        z.ptr("192.0.2.41", "mx.example.com")
        z.ptr("192.0.2.40", "mx.example.com")
        z.ptr("2001:db8::3", "mx.example.com")
        z.a("mx.example.com", "192.0.2.41", "192.0.2.42")
        z.aaaa("mx.example.com", "2001:db8::2", "2001:db8::3")
        z.txt("prefer.example.com", "v=spf1 exists:%{p}.should.example.com ~exists:%{p}.ok.example.com")
        z.ptr("192.0.2.42", "mx.example.com", "mx.prefer.example.com")
        z.a("mx.prefer.example.com", "192.0.2.42")
        z.a("mx.prefer.example.com.should.example.com", "127.0.0.2")
        z.a("mx.example.com.ok.example.com", "127.0.0.2")
        z.txt("vmacro.example.com", "v=spf1 -all exp=vmsg.example.com")
        z.txt("vmsg.example.com", "%{c} is queried as %{ir}.%{v}.arpa")
        z.txt("undefined.example.com", "v=spf1 a:%{a}.example.com -all")
        z.txt("exp-only.example.com", "v=spf1 -all exp=%{r}.example.com")
        z.txt("bad-percent.example.com", "v=spf1 -exists:%(ir).sbl.example.com ?all")
        z.txt("bad-embedded.example.com", "v=spf1 exists:foo%(ir).sbl.example.com ?all")
        z.txt("bad-trailing.example.com", "v=spf1 exists:foo%.sbl.example.com ?all")
        z.txt("zero-parts.example.com", "v=spf1 exists:%{d0}.example.com ?all")
        z.txt("cmacro.example.com", "v=spf1 -all exp=%{ir}.example.com")
        z.txt("4.2.0.192.example.com", "Connections from %{c} not authorized (%{r}, %{t}).")
        z.txt("upper.example.com", "v=spf1 -all exp=msg8.%{D2}")
        z.txt("msg8.example.com", "http://example.com/why.html?l=%{L}")
        z.txt("sentinel.example.com", "v=spf1 -all exp=msg9.example.com")
        z.txt("msg9.example.com", "%{l} in implementation")
        z.txt("trailing.example.com", "v=spf1 exp=msg10.example.com. -all")
        z.txt("msg10.example.com", "This is a test.")
        z.txt("abcdefgh.long.exp.example.com", "v=spf1 -all exp=foobar.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.example.com")
        // "foobar." + 8 × 29 bytes + "example.com" is 258 bytes: "foobar." goes.
        z.txt(Array(repeating: "abcdefgh.long.exp.example.com", count: 8).joined(separator: ".") + ".example.com", "Truncated on the left.")
        z.txt("trailing-dot.example.com", "v=spf1 redirect=%{d}.d.spf.example.com.")
        z.txt("trailing-dot.example.com.d.spf.example.com", "v=spf1 include:o.spf.example.com. ~all")
        z.txt("o.spf.example.com", "v=spf1 ip4:192.0.2.40")
        z.txt("sender-macros.example.com", "v=spf1 exists:%{s}.%{o}.x.example.com -all")
        z.a("user@sender-macros.example.com.sender-macros.example.com.x.example.com", "127.0.0.2")
        return z
    }()

    static let cases: [SPFCase] = [
        SPFCase("%%, %_ and %- in a domain", "test@escapes.example.com", "192.0.2.4", .pass),
        SPFCase("split on '-', reversed, right-most two", "philip-gladstone-test@split-dash.example.com", "192.0.2.4", .pass),
        SPFCase("several delimiters", "foo-bar+zip+quux@two-delims.example.com", "192.0.2.4", .pass),
        SPFCase("%{h} is the HELO name", "test@helo.example.com", "192.0.2.40", .pass, helo: "msgbas2x.cos.example.com"),
        SPFCase("HELO literal URL-escaped: no match", "test@helo.example.com", "192.0.2.40", .fail, helo: "[192.0.2.40]"),
        SPFCase("invalid HELO URL-escaped: no match", "test@helo.example.com", "192.0.2.40", .fail, helo: "JUMPIN' JUPITER"),
        SPFCase("a policy that requires a resolving HELO", "test@valid-helo.example.com", "192.0.2.4", .fail, helo: "OEMCOMPUTER"),
        SPFCase("%{p}: validated name", "test@pmacro.example.com", "192.0.2.41", .fail, explanation: "connect from mx.example.com"),
        SPFCase("%{p}: validated name over IPv6", "test@pmacro.example.com", "2001:db8::3", .fail, explanation: "connect from mx.example.com"),
        SPFCase("%{p}: no validated name is 'unknown'", "test@pmacro.example.com", "192.0.2.40", .fail, explanation: "connect from unknown"),
        SPFCase("%{p}: no PTR is 'unknown'", "test@pmacro.example.com", "2001:db8::1", .fail, explanation: "connect from unknown"),
        SPFCase("%{p}: a name under the domain preferred", "test@prefer.example.com", "192.0.2.42", .pass),
        SPFCase("%{v} and %{ir}, IPv4", "test@vmacro.example.com", "192.0.2.40", .fail,
                explanation: "192.0.2.40 is queried as 40.2.0.192.in-addr.arpa"),
        SPFCase("%{v} and %{ir}, IPv6", "test@vmacro.example.com", "2001:db8::1", .fail,
                explanation: "2001:db8::1 is queried as 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"),
        SPFCase("undefined macro letter: permerror", "test@undefined.example.com", "192.0.2.4", .permerror),
        SPFCase("explanation-only letter in a domain-spec: permerror", "test@exp-only.example.com", "192.0.2.4", .permerror),
        SPFCase("'%' then '(': permerror", "test@bad-percent.example.com", "192.0.2.4", .permerror),
        SPFCase("'%' then '(' inside a label: permerror", "test@bad-embedded.example.com", "192.0.2.4", .permerror),
        SPFCase("'%' then '.': permerror", "test@bad-trailing.example.com", "192.0.2.4", .permerror),
        SPFCase("zero right-hand parts: permerror", "test@zero-parts.example.com", "192.0.2.4", .permerror),
        SPFCase("%{c}, %{r}, %{t} in explanations", "test@cmacro.example.com", "192.0.2.4", .fail,
                explanation: "Connections from 192.0.2.4 not authorized (mx.roost.test, 1700000000)."),
        SPFCase("uppercase macros URL-escaped", "jack&jill=up@upper.example.com", "192.0.2.42", .fail,
                explanation: "http://example.com/why.html?l=jack%26jill%3Dup"),
        SPFCase("spaces in the local-part", "Macro Error@sentinel.example.com", "192.0.2.4", .fail, explanation: "Macro Error in implementation"),
        SPFCase("trailing dot kept in explanation text, dropped from names", "test@trailing.example.com", "192.0.2.4", .fail,
                explanation: "This is a test."),
        SPFCase("names over 253 bytes lose labels on the left", "test@abcdefgh.long.exp.example.com", "192.0.2.4", .fail,
                explanation: "Truncated on the left."),
        SPFCase("trailing dots on domains ignored", "test@trailing-dot.example.com", "192.0.2.40", .pass),
        SPFCase("%{s} and %{o}", "user@sender-macros.example.com", "192.0.2.4", .pass),
    ]

    @Test(arguments: cases) func macros(_ c: SPFCase) async { await c.run(in: Self.zone) }
}

@Suite struct SPFHELOTests {  // §2.3, §2.4
    static let zone: SPFZone = {
        var z = SPFZone()
        z.txt("mail.example.com", "v=spf1 a -all")
        z.a("mail.example.com", "192.0.2.4")
        z.txt("example.com", "v=spf1 ip4:198.51.100.0/24 -all")
        return z
    }()

    @Test func heloIdentityIsCheckedAsPostmasterAtHELO() async {
        let evaluator = SPFEvaluator(resolver: Self.zone.table)
        let helo = await evaluator.checkHELO(ip: IPAddress("192.0.2.4")!, helo: "mail.example.com")
        #expect(helo.code == .pass && helo.domain == "mail.example.com")
        let wrong = await evaluator.checkHELO(ip: IPAddress("192.0.2.5")!, helo: "MAIL.example.com.")
        #expect(wrong.code == .fail)
    }

    @Test func nullSenderUsesTheHELODomain() async {
        let evaluator = SPFEvaluator(resolver: Self.zone.table)
        let result = await evaluator.checkMailFrom(ip: IPAddress("192.0.2.4")!, mailFrom: "", helo: "mail.example.com")
        #expect(result.code == .pass && result.domain == "mail.example.com")
        let real = await evaluator.checkMailFrom(ip: IPAddress("192.0.2.4")!, mailFrom: "bob@example.com", helo: "mail.example.com")
        #expect(real.code == .fail && real.mechanism == "-all")
    }
}
