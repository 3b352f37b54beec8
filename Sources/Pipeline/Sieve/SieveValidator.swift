/// Checks a parsed script against the commands, tests, tags and extensions Roost knows
/// (RFC 5228 plus the extensions in `SieveValidator.extensions`): what ManageSieve's
/// PUTSCRIPT and CHECKSCRIPT must refuse (RFC 5804 §2.6, §2.12).
public enum SieveValidator {
    /// The capability strings `require` accepts, and ManageSieve's SIEVE capability.
    public static let extensions: [String] = [
        "fileinto", "reject", "ereject", "envelope", "vacation", "imap4flags", "variables",
        "subaddress", "relational", "copy", "comparator-i;ascii-numeric",
    ]

    /// Comparators (RFC 4790 names) and the extension each needs (nil: always there).
    static let comparators: [String: String?] = [
        "i;octet": nil, "i;ascii-casemap": nil, "i;ascii-numeric": "comparator-i;ascii-numeric",
    ]

    public static func validate(_ bytes: [UInt8], limits: SieveLimits = .init()) throws(SieveError) {
        try validate(try SieveParser.parse(bytes, limits: limits))
    }

    public static func validate(_ script: SieveScript) throws(SieveError) {
        var required: Set<String> = []
        var requiresAllowed = true
        try commands(script.commands, required: &required, requiresAllowed: &requiresAllowed, topLevel: true)
    }

    // MARK: Signatures

    /// What may follow a tag.
    enum TagValue { case none, string, strings, number }

    struct Tag {
        var name: String
        var value: TagValue = .none
        /// Tags in one group exclude each other (e.g. the match types).
        var group: String?
        var needs: String?
    }

    enum Positional { case string, strings, number }

    struct Signature {
        var tags: [Tag] = []
        var positional: [Positional] = []
        /// Leading positional arguments that may be left out (e.g. hasflag's variable list).
        var optionalLeading = 0
        var tests: TestArity = .none
        var needs: String?
    }

    enum TestArity { case none, one, list }

    static let comparator = Tag(name: "comparator", value: .string, group: "comparator")
    static let matchTypes: [Tag] = [
        Tag(name: "is", group: "match"), Tag(name: "contains", group: "match"), Tag(name: "matches", group: "match"),
        Tag(name: "count", value: .string, group: "match", needs: "relational"),
        Tag(name: "value", value: .string, group: "match", needs: "relational"),
    ]
    static let addressParts: [Tag] = [
        Tag(name: "localpart", group: "part"), Tag(name: "domain", group: "part"), Tag(name: "all", group: "part"),
        Tag(name: "user", group: "part", needs: "subaddress"), Tag(name: "detail", group: "part", needs: "subaddress"),
    ]

    static let actions: [String: Signature] = [
        "keep": Signature(tags: [Tag(name: "flags", value: .strings, needs: "imap4flags")]),
        "discard": Signature(),
        "stop": Signature(),
        "redirect": Signature(tags: [Tag(name: "copy", needs: "copy")], positional: [.string]),
        "fileinto": Signature(tags: [Tag(name: "copy", needs: "copy"), Tag(name: "flags", value: .strings, needs: "imap4flags")],
                              positional: [.string], needs: "fileinto"),
        "reject": Signature(positional: [.string], needs: "reject"),
        "ereject": Signature(positional: [.string], needs: "ereject"),
        "vacation": Signature(tags: [
            Tag(name: "days", value: .number), Tag(name: "subject", value: .string), Tag(name: "from", value: .string),
            Tag(name: "addresses", value: .strings), Tag(name: "mime"), Tag(name: "handle", value: .string),
        ], positional: [.string], needs: "vacation"),
        "setflag": Signature(positional: [.string, .strings], optionalLeading: 1, needs: "imap4flags"),
        "addflag": Signature(positional: [.string, .strings], optionalLeading: 1, needs: "imap4flags"),
        "removeflag": Signature(positional: [.string, .strings], optionalLeading: 1, needs: "imap4flags"),
        "set": Signature(tags: ["lower", "upper", "lowerfirst", "upperfirst", "quotewildcard", "length"].map {
            Tag(name: $0, group: ($0 == "lower" || $0 == "upper") ? "case" : ($0 == "lowerfirst" || $0 == "upperfirst") ? "first" : nil)
        }, positional: [.string, .string], needs: "variables"),
    ]

    static let tests: [String: Signature] = [
        "address": Signature(tags: [comparator] + matchTypes + addressParts, positional: [.strings, .strings]),
        "envelope": Signature(tags: [comparator] + matchTypes + addressParts, positional: [.strings, .strings], needs: "envelope"),
        "header": Signature(tags: [comparator] + matchTypes, positional: [.strings, .strings]),
        "exists": Signature(positional: [.strings]),
        "size": Signature(tags: [Tag(name: "over", group: "size"), Tag(name: "under", group: "size")], positional: [.number]),
        "not": Signature(tests: .one),
        "allof": Signature(tests: .list),
        "anyof": Signature(tests: .list),
        "true": Signature(),
        "false": Signature(),
        "hasflag": Signature(tags: [comparator] + matchTypes, positional: [.strings, .strings], optionalLeading: 1, needs: "imap4flags"),
        "string": Signature(tags: [comparator] + matchTypes, positional: [.strings, .strings], needs: "variables"),
    ]

    static let relationalOperators: Set<String> = ["gt", "ge", "lt", "le", "eq", "ne"]

    // MARK: Checking

    private static func commands(_ list: [SieveCommand], required: inout Set<String>, requiresAllowed: inout Bool,
                                 topLevel: Bool) throws(SieveError) {
        var previous: String?
        for command in list {
            switch command.name {
            case "require":
                guard topLevel, requiresAllowed else {
                    throw SieveError(line: command.line, "require must come before any other command")
                }
                guard command.arguments.count == 1, case .strings(let names, _) = command.arguments[0],
                      command.tests.isEmpty, command.block == nil else {
                    throw SieveError(line: command.line, "require takes one string list and ends with ;")
                }
                for name in names {
                    guard extensions.contains(name.lowercased()) else {
                        throw SieveError(line: command.line, "extension \"\(name)\" is not supported")
                    }
                    required.insert(name.lowercased())
                }
            case "if", "elsif", "else":
                requiresAllowed = false
                if command.name != "if", previous != "if", previous != "elsif" {
                    throw SieveError(line: command.line, "\(command.name) must follow if or elsif")
                }
                guard let block = command.block else { throw SieveError(line: command.line, "\(command.name) needs a block") }
                guard command.arguments.isEmpty else { throw SieveError(line: command.line, "\(command.name) takes no arguments") }
                if command.name == "else" {
                    guard command.tests.isEmpty else { throw SieveError(line: command.line, "else takes no test") }
                } else {
                    guard command.tests.count == 1, !command.testList else {
                        throw SieveError(line: command.line, "\(command.name) takes exactly one test")
                    }
                    try test(command.tests[0], required: required)
                }
                try commands(block, required: &required, requiresAllowed: &requiresAllowed, topLevel: false)
            default:
                requiresAllowed = false
                guard let signature = actions[command.name] else {
                    throw SieveError(line: command.line, "unknown command \(command.name)")
                }
                guard command.block == nil else { throw SieveError(line: command.line, "\(command.name) takes no block") }
                guard command.tests.isEmpty else { throw SieveError(line: command.line, "\(command.name) takes no test") }
                try check(command.name, command.arguments, signature, line: command.line, required: required)
            }
            previous = command.name
        }
    }

    private static func test(_ test: SieveTest, required: Set<String>) throws(SieveError) {
        guard let signature = tests[test.name] else { throw SieveError(line: test.line, "unknown test \(test.name)") }
        switch signature.tests {
        case .none:
            guard test.tests.isEmpty else { throw SieveError(line: test.line, "\(test.name) takes no test") }
        case .one:
            guard test.tests.count == 1, !test.testList else { throw SieveError(line: test.line, "\(test.name) takes one test") }
        case .list:
            guard test.testList else { throw SieveError(line: test.line, "\(test.name) takes a parenthesised test list") }
        }
        try check(test.name, test.arguments, signature, line: test.line, required: required)
        if test.name == "size", !test.arguments.contains(.tag("over")), !test.arguments.contains(.tag("under")) {
            throw SieveError(line: test.line, "size needs :over or :under")
        }
        for inner in test.tests { try self.test(inner, required: required) }
    }

    private static func check(_ name: String, _ arguments: [SieveArgument], _ signature: Signature, line: Int,
                              required: Set<String>) throws(SieveError) {
        if let needs = signature.needs, !required.contains(needs) {
            throw SieveError(line: line, "\(name) needs require \"\(needs)\"")
        }
        var index = 0
        var groups: Set<String> = []
        var seen: Set<String> = []
        // Tagged arguments come first (RFC 5228 §2.6.2), each at most once.
        while index < arguments.count, case .tag(let tagName) = arguments[index] {
            guard let tag = signature.tags.first(where: { $0.name == tagName }) else {
                throw SieveError(line: line, "\(name) has no :\(tagName) argument")
            }
            if let needs = tag.needs, !required.contains(needs) {
                throw SieveError(line: line, ":\(tagName) needs require \"\(needs)\"")
            }
            guard seen.insert(tagName).inserted else { throw SieveError(line: line, ":\(tagName) given twice") }
            if let group = tag.group, !groups.insert(group).inserted {
                throw SieveError(line: line, ":\(tagName) conflicts with an earlier tag of \(name)")
            }
            index += 1
            switch tag.value {
            case .none: break
            case .number:
                guard index < arguments.count, case .number = arguments[index] else {
                    throw SieveError(line: line, ":\(tagName) needs a number")
                }
                index += 1
            case .string, .strings:
                guard index < arguments.count, case .strings(let values, let list) = arguments[index] else {
                    throw SieveError(line: line, ":\(tagName) needs a string")
                }
                if tag.value == .string, list, values.count != 1 {
                    throw SieveError(line: line, ":\(tagName) takes one string, not a list")
                }
                try checkTagValue(tagName, values[0], line: line, required: required)
                index += 1
            }
        }
        let positional = Array(arguments[index...])
        for case .tag(let t) in positional {
            throw SieveError(line: line, ":\(t) must come before the other arguments of \(name)")
        }
        let expected = signature.positional
        guard positional.count <= expected.count, positional.count >= expected.count - signature.optionalLeading else {
            throw SieveError(line: line, "\(name) takes \(expected.count) positional argument\(expected.count == 1 ? "" : "s"), not \(positional.count)")
        }
        let kinds = expected.suffix(positional.count)
        for (argument, kind) in zip(positional, kinds) {
            switch (argument, kind) {
            case (.number, .number), (.strings, .strings): break
            case (.strings(let values, let list), .string) where !list || values.count == 1: break
            default: throw SieveError(line: line, "\(name): wrong kind of argument (\(kind) expected)")
            }
        }
    }

    private static func checkTagValue(_ tag: String, _ value: String, line: Int, required: Set<String>) throws(SieveError) {
        switch tag {
        case "comparator":
            guard let needs = comparators[value.lowercased()] else {
                throw SieveError(line: line, "comparator \"\(value)\" is not supported")
            }
            if let needs, !required.contains(needs) { throw SieveError(line: line, "comparator \"\(value)\" needs require \"\(needs)\"") }
        case "count", "value":
            guard relationalOperators.contains(value.lowercased()) else {
                throw SieveError(line: line, ":\(tag) takes one of gt ge lt le eq ne, not \"\(value)\"")
            }
        default:
            break
        }
    }
}
