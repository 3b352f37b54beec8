import Testing
@testable import MailMessage

@Suite struct SectionSpecTests {
    static let valid: [(String, SectionSpec)] = [
        ("", SectionSpec()),
        ("1", SectionSpec(part: [1])),
        ("1.2.3", SectionSpec(part: [1, 2, 3])),
        ("HEADER", SectionSpec(text: .header)),
        ("header", SectionSpec(text: .header)),
        ("TEXT", SectionSpec(text: .text)),
        ("1.MIME", SectionSpec(part: [1], text: .mime)),
        ("4.2.HEADER", SectionSpec(part: [4, 2], text: .header)),
        ("3.TEXT", SectionSpec(part: [3], text: .text)),
        ("HEADER.FIELDS (From Subject)", SectionSpec(text: .headerFields([Array("From".utf8), Array("Subject".utf8)]))),
        ("1.2.HEADER.FIELDS (To)", SectionSpec(part: [1, 2], text: .headerFields([Array("To".utf8)]))),
        ("header.fields.not (Received \"X-Spam\")", SectionSpec(text: .headerFieldsNot([Array("Received".utf8), Array("X-Spam".utf8)]))),
        ("4294967295", SectionSpec(part: [4_294_967_295])),
    ]

    @Test(arguments: valid.indices)
    func parses(_ k: Int) throws {
        let (text, expected) = Self.valid[k]
        #expect(try SectionSpec.parse(text) == expected)
    }

    static let garbage: [String] = [
        "0", "01", "1.", ".1", "1..2", "MIME", "HEADERS", "1.FOO", "HEADER.FIELDS", "HEADER.FIELDS ()",
        "HEADER.FIELDS (", "HEADER.FIELDS (A", "HEADER.FIELDS(A)", "HEADER.FIELDS (A  B)", "HEADER.FIELDS (A) ",
        "HEADER.FIELDS (\"A)", "HEADER.FIELDS (\"\")", "HEADER.FIELDS (A:B)", "HEADER.FIELDS (\"a\\b\")",
        "TEXT.1", "1 ", " 1", "4294967296", "99999999999999999999", "1.HEADER.X", "\u{0}", "HEADER\r\n",
        "HEADER.FIELDS (\"\u{7}\")",
    ]

    @Test(arguments: garbage)
    func rejects(_ text: String) {
        #expect(throws: SectionSpecError.self) { try SectionSpec.parse(text) }
    }

    @Test func boundsAreEnforced() throws {
        let deep = Array(repeating: "1", count: SectionSpec.Bounds.maxPartDepth + 1).joined(separator: ".")
        #expect(throws: SectionSpecError.self) { try SectionSpec.parse(deep) }
        let ok = Array(repeating: "1", count: SectionSpec.Bounds.maxPartDepth).joined(separator: ".")
        #expect(try SectionSpec.parse(ok).part.count == SectionSpec.Bounds.maxPartDepth)
        let many = "HEADER.FIELDS (" + Array(repeating: "X", count: SectionSpec.Bounds.maxFieldNames + 1).joined(separator: " ") + ")"
        #expect(throws: SectionSpecError.self) { try SectionSpec.parse(many) }
        let long = "HEADER.FIELDS (" + String(repeating: "a", count: SectionSpec.Bounds.maxFieldNameLength + 1) + ")"
        #expect(throws: SectionSpecError.self) { try SectionSpec.parse(long) }
        #expect(throws: SectionSpecError.self) { try SectionSpec.parse(String(repeating: "1.", count: 20_000) + "1") }
    }

    @Test func randomBytesNeverCrash() throws {
        var rng = SplitMix(seed: 7)
        let alphabet = Array("0123456789.HEADRFILSTXNOM() \"\\\r\n".utf8) + [0, 0xFF, 93]
        for _ in 0..<20_000 {
            let n = Int(rng.next() % 40)
            let bytes = (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            if let spec = try? SectionSpec.parse(bytes) {
                // Whatever parses round-trips through its canonical text.
                #expect(try SectionSpec.parse(spec.wireText) == spec)
            }
        }
    }

    @Test func wireTextIsCanonical() throws {
        #expect(String(decoding: try SectionSpec.parse("1.2.header.fields (from \"a(b\")").wireText, as: UTF8.self)
            == "1.2.HEADER.FIELDS (from \"a(b\")")
        #expect(String(decoding: try SectionSpec.parse("3.mime").wireText, as: UTF8.self) == "3.MIME")
    }

    static let items: [(String, FetchItem)] = [
        ("ENVELOPE", .envelope), ("bodystructure", .bodyStructure), ("BODY", .body), ("RFC822.SIZE", .rfc822Size),
        ("RFC822.HEADER", .rfc822Header),
        ("BODY[]", .bodySection(.whole, partial: nil, peek: false)),
        ("BODY.PEEK[1.MIME]<0.10>", .bodySection(SectionSpec(part: [1], text: .mime), partial: Partial(origin: 0, count: 10), peek: true)),
        ("BINARY[1.2]", .binary(part: [1, 2], partial: nil, peek: false)),
        ("BINARY.PEEK[1]<5.1>", .binary(part: [1], partial: Partial(origin: 5, count: 1), peek: true)),
        ("BINARY.SIZE[2]", .binarySize(part: [2])),
        ("BODY[HEADER.FIELDS (\"a]\")]", .bodySection(SectionSpec(text: .headerFields([Array("a]".utf8)])), partial: nil, peek: false)),
    ]

    @Test(arguments: items.indices)
    func fetchItems(_ k: Int) throws {
        #expect(try FetchItem.parse(Self.items[k].0) == Self.items[k].1)
    }

    @Test(arguments: ["BODY[", "BODY[1]<", "BODY[1]<0>", "BODY[1]<0.0>", "BODY[1]<1.2", "BODY[1]x", "BINARY[HEADER]",
                      "BINARY.SIZE[1]<0.1>", "FLAGSX", "BODY.PEEK", "BINARY[0]", "BODY[1]<99999999999999999999.1>"])
    func fetchItemGarbage(_ text: String) {
        #expect(throws: FetchItemError.self) { try FetchItem.parse(text) }
    }
}

/// A small deterministic generator for garbage tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
