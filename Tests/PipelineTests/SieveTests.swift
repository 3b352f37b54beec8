import Testing
@testable import Pipeline

@Suite struct SieveParserTests {
    private func parse(_ text: String) throws(SieveError) -> SieveScript { try SieveParser.parse(Array(text.utf8)) }

    /// RFC 5228 §9's extended example, as written there (mixed-case identifiers and tags).
    static let rfcExample = """
        #
        # Example Sieve Filter
        require ["fileinto"];
        if header :is "Sender" "owner-ietf-mta-filters@imc.org"
                {
                fileinto "filter";  # move to "filter" mailbox
                }
        elsif address :DOMAIN :is ["From", "To"] "example.com"
                {
                keep;               # keep in "In" mailbox
                }
        elsif anyof (NOT address :all :contains
                       ["To", "Cc", "Bcc"] "me@example.com",
                     header :matches "subject"
                       ["*make*money*fast*", "*university*dipl*mas*"])
                {
                fileinto "spam";   # move to "spam" mailbox
                }
        else
                {
                /* Move all other (non-company) mail
                   to "personal" mailbox. */
                fileinto "personal";
                }
        """

    @Test func rfcExampleTree() throws {
        let script = try parse(Self.rfcExample)
        #expect(script.commands.map(\.name) == ["require", "if", "elsif", "elsif", "else"])
        #expect(script.commands[0].arguments == [.strings(["fileinto"], list: true)])
        let elsif = script.commands[2]
        #expect(elsif.tests.first?.name == "address")
        #expect(elsif.tests.first?.arguments == [.tag("domain"), .tag("is"), .strings(["From", "To"], list: true), .strings(["example.com"], list: false)])
        let anyof = script.commands[3].tests[0]
        #expect(anyof.name == "anyof" && anyof.testList && anyof.tests.map(\.name) == ["not", "header"])
        #expect(anyof.tests[0].tests[0].arguments.first == .tag("all"))
        #expect(script.commands[4].block?.first?.line == 23)
        try SieveValidator.validate(script)
    }

    @Test func stringsNumbersAndEscapes() throws {
        let script = try parse(#"size :over 100K; x "a\"b\\c\d"; y 2M 3g 7;"#)
        #expect(script.commands[0].arguments == [.tag("over"), .number(100 * 1024)])
        #expect(script.commands[1].arguments == [.strings(["a\"b\\cd"], list: false)])
        #expect(script.commands[2].arguments == [.number(2 << 20), .number(3 << 30), .number(7)])
    }

    @Test func multiLineStrings() throws {
        let script = try parse("reject text: # why\r\nline one\r\n..dot\r\n.\r\n;\n")
        #expect(script.commands[0].arguments == [.strings(["line one\r\n.dot\r\n"], list: false)])
        // Bare LF line ends (what editors write) read the same.
        let lf = try parse("reject text:\nline one\n..dot\n.\n;")
        #expect(lf.commands[0].arguments == [.strings(["line one\r\n.dot\r\n"], list: false)])
    }

    @Test func errorsNameTheLine() {
        let cases: [(String, Int, String)] = [
            ("keep", 1, "missing ; after keep"),
            ("keep;\nif true {\n keep;\n", 4, "block not closed"),
            ("\"unterminated", 1, "string not closed"),
            ("/* open", 1, "comment not closed"),
            ("reject text:\nno end\n", 1, "text: not ended"),
            ("x [\"a\", 3];", 1, "a string list holds only strings"),
            ("x 99999999999999999999;", 1, "number too large"),
            ("x 5Q;", 1, "followed by letters"),
            ("x : y;", 1, "a tag is a colon"),
            ("keep;\n\n@", 3, "unexpected character '@'"),
            ("if anyof (true, ) { keep; }", 1, "expected a test"),
            ("x \"\u{FFFD}\";", 0, ""),  // valid UTF-8: no error
        ]
        for (text, line, message) in cases {
            do {
                _ = try parse(text)
                #expect(message.isEmpty, "\(text.debugDescription) parsed")
            } catch {
                #expect(error.line == line && error.message.contains(message), "\(text.debugDescription): \(error)")
            }
        }
        // Invalid UTF-8 in a string is refused.
        #expect(throws: SieveError.self) { try SieveParser.parse([0x78, 0x20, 0x22, 0xFF, 0x22, 0x3B]) }
    }

    @Test func bounds() {
        let deep = String(repeating: "if true {", count: 40) + String(repeating: "}", count: 40)
        #expect { try parse(deep) } throws: { ($0 as? SieveError)?.message.contains("nested deeper") == true }
        let deepTests = "if " + String(repeating: "not ", count: 100) + "true { keep; }"
        #expect { try parse(deepTests) } throws: { ($0 as? SieveError)?.message.contains("nested deeper") == true }
        let big = [UInt8](repeating: UInt8(ascii: " "), count: (1 << 20) + 1)
        #expect { try SieveParser.parse(big) } throws: { ($0 as? SieveError)?.message.contains("larger than") == true }
        let many = String(repeating: "keep;", count: 60_000)
        #expect { try parse(many) } throws: { ($0 as? SieveError)?.message.contains("tokens") == true }
    }

    @Test func garbageNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("if{}()[];,:\"\\#/*text:\r\n .0123456789KMGabc".utf8)
        for _ in 0..<3000 {
            let length = Int.random(in: 0..<80, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            _ = try? SieveValidator.validate(bytes)
            _ = try? SieveValidator.validate(Array(bytes.prefix(length / 2)))
        }
    }
}

@Suite struct SieveValidatorTests {
    private func check(_ text: String) throws(SieveError) { try SieveValidator.validate(Array(text.utf8)) }

    @Test func acceptsTheSupportedExtensions() throws {
        try check("""
            require ["fileinto", "reject", "envelope", "vacation", "imap4flags", "variables",
                     "subaddress", "relational", "copy", "comparator-i;ascii-numeric"];
            if envelope :detail "to" "lists" { fileinto :copy :flags ["\\\\Seen"] "Lists"; stop; }
            if address :user :is "to" "alice" { addflag "\\\\Flagged"; }
            if header :count "ge" :comparator "i;ascii-numeric" "received" "20" { discard; }
            if size :under 1M { keep :flags "x"; }
            if hasflag :contains "seen" { setflag "flags" "\\\\Seen"; removeflag "x"; }
            if string :matches "${1}" "a*" { set :lower "v" "X"; }
            if allof (exists "x-spam", not false) { reject "no"; }
            vacation :days 7 :subject "away" :addresses ["a@b"] :mime "back soon";
            redirect :copy "bob@example.org";
            """)
    }

    @Test func refusesWhatTheRFCsRefuse() {
        let cases: [(String, String)] = [
            ("fileinto \"x\";", "fileinto needs require \"fileinto\""),
            ("require \"fileinto\";\nkeep;\nrequire \"reject\";", "require must come before"),
            ("require \"nosuch\";", "extension \"nosuch\" is not supported"),
            ("frobnicate;", "unknown command frobnicate"),
            ("if wibble { keep; }", "unknown test wibble"),
            ("else { keep; }", "else must follow if or elsif"),
            ("keep; elsif true { keep; }", "elsif must follow"),
            ("keep }", "expected ; or { after keep, found '}'"),
            ("if true;", "if needs a block"),
            ("if (true, false) { keep; }", "exactly one test"),
            ("if allof true { keep; }", "parenthesised test list"),
            ("if header :is \"a\" { keep; }", "takes 2 positional arguments, not 1"),
            ("if header :is :contains \"a\" \"b\" { keep; }", "conflicts"),
            ("if header :is :is \"a\" \"b\" { keep; }", "given twice"),
            ("if header \"a\" :is \"b\" { keep; }", "must come before the other arguments"),
            ("if header :over \"a\" \"b\" { keep; }", "header has no :over"),
            ("if header :comparator \"i;nosuch\" \"a\" \"b\" { keep; }", "comparator \"i;nosuch\""),
            ("if header :comparator \"i;ascii-numeric\" \"a\" \"b\" { keep; }", "needs require \"comparator-i;ascii-numeric\""),
            ("if header :count \"ge\" \"a\" \"b\" { keep; }", ":count needs require \"relational\""),
            ("require \"relational\"; if header :value \"big\" \"a\" \"b\" { keep; }", "gt ge lt le eq ne"),
            ("if address :user \"to\" \"a\" { keep; }", ":user needs require \"subaddress\""),
            ("if size 10 { keep; }", "size needs :over or :under"),
            ("if size :over \"10\" { keep; }", "wrong kind of argument"),
            ("redirect [\"a\", \"b\"];", "wrong kind of argument"),
            ("keep \"x\";", "takes 0 positional arguments"),
            ("redirect :copy \"a\";", ":copy needs require \"copy\""),
            ("keep { stop; }", "keep takes no block"),
            ("discard true;", "discard takes no test"),
            ("require \"vacation\"; vacation :days \"x\" \"r\";", ":days needs a number"),
            ("require \"imap4flags\"; setflag;", "takes 2 positional arguments, not 0"),
            ("if not (true) { keep; }", "not takes one test"),
            ("require [\"fileinto\"] { }", "ends with ;"),
        ]
        for (text, message) in cases {
            do {
                try check(text)
                Issue.record("\(text.debugDescription) was accepted")
            } catch {
                #expect(error.message.contains(message), "\(text.debugDescription): \(error)")
            }
        }
    }

    @Test func emptyScriptIsValid() throws {
        try check("")
        try check("# nothing but a comment\n")
    }
}
