/// The parse tree of a Sieve script (RFC 5228 §8.2), before any check of which commands,
/// tests and arguments exist: `SieveValidator` does that.
public struct SieveScript: Hashable, Sendable {
    public var commands: [SieveCommand]
}

public struct SieveCommand: Hashable, Sendable {
    /// Lower-cased: identifiers are case-insensitive (RFC 5228 §2.9).
    public var name: String
    public var arguments: [SieveArgument]
    public var tests: [SieveTest]
    /// Whether the tests were written as a parenthesised test-list.
    public var testList: Bool
    /// nil when the command ended with ";".
    public var block: [SieveCommand]?
    public var line: Int
}

public struct SieveTest: Hashable, Sendable {
    public var name: String
    public var arguments: [SieveArgument]
    public var tests: [SieveTest]
    public var testList: Bool
    public var line: Int
}

public enum SieveArgument: Hashable, Sendable {
    /// A string, or a bracketed string list (`list` tells which was written).
    case strings([String], list: Bool)
    case number(UInt64)
    /// A tag, lower-cased, without its colon.
    case tag(String)
}

/// A script that cannot be used, with the line it was found on: the text ManageSieve's
/// PUTSCRIPT and CHECKSCRIPT answer with (RFC 5804 §2.6).
public struct SieveError: Error, Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public init(line: Int, _ message: String) { self.line = line; self.message = message }
    public var description: String { "line \(line): \(message)" }
}

/// Bounds that keep a hostile script from costing more than a small one.
public struct SieveLimits: Hashable, Sendable {
    public var scriptSize: Int
    public var nesting: Int
    public var tokens: Int
    public init(scriptSize: Int = 1 << 20, nesting: Int = 32, tokens: Int = 100_000) {
        self.scriptSize = scriptSize; self.nesting = nesting; self.tokens = tokens
    }
}

enum SieveToken: Hashable {
    case identifier(String)
    case tag(String)
    case number(UInt64)
    case string(String)
    case punctuation(UInt8)  // ; , ( ) [ ] { }
}

/// RFC 5228 §8.1, over the script's bytes. Strings must be UTF-8 (§2.4.2).
struct SieveLexer {
    private let bytes: [UInt8]
    private var position = 0
    private(set) var line = 1

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func tokens(limit: Int) throws(SieveError) -> [(SieveToken, Int)] {
        var result: [(SieveToken, Int)] = []
        while let token = try next() {
            result.append(token)
            if result.count > limit { throw SieveError(line: line, "script has more than \(limit) tokens") }
        }
        return result
    }

    private func peek(_ offset: Int = 0) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    private static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") }
    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    private mutating func next() throws(SieveError) -> (SieveToken, Int)? {
        try skipWhitespaceAndComments()
        guard let b = peek() else { return nil }
        let start = line
        switch b {
        case UInt8(ascii: ";"), UInt8(ascii: ","), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"):
            position += 1
            return (.punctuation(b), start)
        case UInt8(ascii: "\""):
            return (.string(try quotedString()), start)
        case UInt8(ascii: ":"):
            position += 1
            guard let first = peek(), Self.isAlpha(first) || first == UInt8(ascii: "_") else {
                throw SieveError(line: line, "a tag is a colon followed by a name")
            }
            return (.tag(identifier()), start)
        case _ where Self.isDigit(b):
            return (.number(try number()), start)
        case _ where Self.isAlpha(b) || b == UInt8(ascii: "_"):
            let name = identifier()
            if name == "text", peek() == UInt8(ascii: ":") {
                position += 1
                return (.string(try multiLine()), start)
            }
            return (.identifier(name), start)
        default:
            throw SieveError(line: line, "unexpected character \(Self.show(b))")
        }
    }

    private static func show(_ b: UInt8) -> String {
        b >= 0x21 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "byte \(b)"
    }

    private mutating func skipWhitespaceAndComments() throws(SieveError) {
        while let b = peek() {
            switch b {
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                position += 1
            case UInt8(ascii: "\r"):
                guard peek(1) == UInt8(ascii: "\n") else { throw SieveError(line: line, "CR without LF") }
                position += 2; line += 1
            case UInt8(ascii: "\n"):
                // RFC 5228 wants CRLF; a bare LF is what every editor on Unix writes, and
                // Pigeonhole accepts it too, so it ends a line here as well.
                position += 1; line += 1
            case UInt8(ascii: "#"):
                while let c = peek(), c != UInt8(ascii: "\n") { position += 1 }
            case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "*"):
                let start = line
                position += 2
                while true {
                    guard let c = peek() else { throw SieveError(line: start, "comment not closed with */") }
                    if c == UInt8(ascii: "*"), peek(1) == UInt8(ascii: "/") { position += 2; break }
                    if c == UInt8(ascii: "\n") { line += 1 }
                    position += 1
                }
            default:
                return
            }
        }
    }

    private mutating func identifier() -> String {
        let start = position
        while let b = peek(), Self.isAlpha(b) || Self.isDigit(b) || b == UInt8(ascii: "_") { position += 1 }
        return String(decoding: bytes[start..<position], as: UTF8.self).lowercased()
    }

    private mutating func number() throws(SieveError) -> UInt64 {
        var value: UInt64 = 0
        while let b = peek(), Self.isDigit(b) {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(b - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw SieveError(line: line, "number too large") }
            value = s
            position += 1
        }
        let shift: UInt64? = switch peek().map({ $0 | 0x20 }) {
        case UInt8(ascii: "k"): 10
        case UInt8(ascii: "m"): 20
        case UInt8(ascii: "g"): 30
        default: nil
        }
        if let shift {
            position += 1
            guard value <= UInt64.max >> shift else { throw SieveError(line: line, "number too large") }
            value <<= shift
        }
        if let b = peek(), Self.isAlpha(b) || b == UInt8(ascii: "_") {
            throw SieveError(line: line, "a number is followed by letters")
        }
        return value
    }

    private func text(_ slice: ArraySlice<UInt8>) throws(SieveError) -> String {
        guard let s = String(validating: slice, as: UTF8.self) else { throw SieveError(line: line, "string is not valid UTF-8") }
        return s
    }

    private mutating func quotedString() throws(SieveError) -> String {
        let start = line
        position += 1
        var out: [UInt8] = []
        while true {
            guard let b = peek() else { throw SieveError(line: start, "string not closed with a quote") }
            position += 1
            switch b {
            case UInt8(ascii: "\""):
                return try text(out[...])
            case UInt8(ascii: "\\"):
                // §2.4.2: "\\" and "\"" are the escapes; any other escaped octet stands for itself.
                guard let c = peek() else { throw SieveError(line: start, "string not closed with a quote") }
                if c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") { continue }
                out.append(c)
                position += 1
            case UInt8(ascii: "\n"):
                line += 1
                out.append(b)
            case 0:
                throw SieveError(line: line, "NUL in a string")
            default:
                out.append(b)
            }
        }
    }

    /// `text:` … `.` (§2.4.2): the rest of the `text:` line must be blank or a comment; a
    /// line of "." ends it; a leading ".." loses one dot.
    private mutating func multiLine() throws(SieveError) -> String {
        let start = line
        while let b = peek(), b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") { position += 1 }
        if peek() == UInt8(ascii: "#") {
            while let c = peek(), c != UInt8(ascii: "\n") { position += 1 }
        }
        if peek() == UInt8(ascii: "\r") { position += 1 }
        guard peek() == UInt8(ascii: "\n") else { throw SieveError(line: line, "text: must end its line") }
        position += 1; line += 1
        var out: [UInt8] = []
        while true {
            guard position < bytes.count else { throw SieveError(line: start, "text: not ended by a line with a single dot") }
            var end = position
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            var content = bytes[position..<end]
            if content.last == UInt8(ascii: "\r") { content = content.dropLast() }
            let hasNewline = end < bytes.count
            position = hasNewline ? end + 1 : end
            if content.elementsEqual([UInt8(ascii: ".")]) {
                line += 1
                return try text(out[...])
            }
            guard hasNewline else { throw SieveError(line: start, "text: not ended by a line with a single dot") }
            line += 1
            if content.first == UInt8(ascii: "."), content.dropFirst().first == UInt8(ascii: ".") { content = content.dropFirst() }
            if content.contains(0) { throw SieveError(line: line - 1, "NUL in a string") }
            out += content
            out += [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
        }
    }
}

/// RFC 5228 §8.2 over the tokens.
public enum SieveParser {
    public static func parse(_ bytes: [UInt8], limits: SieveLimits = .init()) throws(SieveError) -> SieveScript {
        guard bytes.count <= limits.scriptSize else { throw SieveError(line: 1, "script is larger than \(limits.scriptSize) bytes") }
        var lexer = SieveLexer(bytes)
        var state = Parser(tokens: try lexer.tokens(limit: limits.tokens), lastLine: lexer.line, nesting: limits.nesting)
        let commands = try state.commands(depth: 0, inBlock: false)
        return SieveScript(commands: commands)
    }

    private struct Parser {
        let tokens: [(SieveToken, Int)]
        let lastLine: Int
        let nesting: Int
        var index = 0

        var line: Int { index < tokens.count ? tokens[index].1 : lastLine }
        var current: SieveToken? { index < tokens.count ? tokens[index].0 : nil }

        mutating func take(_ punctuation: UInt8) -> Bool {
            if current == .punctuation(punctuation) { index += 1; return true }
            return false
        }

        mutating func commands(depth: Int, inBlock: Bool) throws(SieveError) -> [SieveCommand] {
            guard depth <= nesting else { throw SieveError(line: line, "blocks nested deeper than \(nesting)") }
            var result: [SieveCommand] = []
            while let token = current {
                if inBlock, token == .punctuation(UInt8(ascii: "}")) { return result }
                guard case .identifier(let name) = token else {
                    throw SieveError(line: line, "expected a command, found \(Self.describe(token))")
                }
                let start = line
                index += 1
                let (arguments, tests, list) = try self.arguments(depth: depth)
                if take(UInt8(ascii: ";")) {
                    result.append(SieveCommand(name: name, arguments: arguments, tests: tests, testList: list, block: nil, line: start))
                } else if take(UInt8(ascii: "{")) {
                    let block = try commands(depth: depth + 1, inBlock: true)
                    guard take(UInt8(ascii: "}")) else { throw SieveError(line: line, "block not closed with }") }
                    result.append(SieveCommand(name: name, arguments: arguments, tests: tests, testList: list, block: block, line: start))
                } else {
                    throw SieveError(line: line, current.map { "expected ; or { after \(name), found \(Self.describe($0))" } ?? "missing ; after \(name)")
                }
            }
            if inBlock { throw SieveError(line: line, "block not closed with }") }
            return result
        }

        mutating func arguments(depth: Int) throws(SieveError) -> ([SieveArgument], [SieveTest], Bool) {
            var arguments: [SieveArgument] = []
            loop: while let token = current {
                switch token {
                case .tag(let t): arguments.append(.tag(t)); index += 1
                case .number(let n): arguments.append(.number(n)); index += 1
                case .string(let s): arguments.append(.strings([s], list: false)); index += 1
                case .punctuation(UInt8(ascii: "[")):
                    index += 1
                    arguments.append(.strings(try stringList(), list: true))
                default: break loop
                }
            }
            if take(UInt8(ascii: "(")) {
                var tests: [SieveTest] = []
                repeat { tests.append(try test(depth: depth + 1)) } while take(UInt8(ascii: ","))
                guard take(UInt8(ascii: ")")) else { throw SieveError(line: line, "test list not closed with )") }
                return (arguments, tests, true)
            }
            if case .identifier = current { return (arguments, [try test(depth: depth + 1)], false) }
            return (arguments, [], false)
        }

        mutating func stringList() throws(SieveError) -> [String] {
            var strings: [String] = []
            repeat {
                guard case .string(let s) = current else { throw SieveError(line: line, "a string list holds only strings") }
                strings.append(s)
                index += 1
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "]")) else { throw SieveError(line: line, "string list not closed with ]") }
            return strings
        }

        mutating func test(depth: Int) throws(SieveError) -> SieveTest {
            guard depth <= nesting else { throw SieveError(line: line, "tests nested deeper than \(nesting)") }
            guard case .identifier(let name) = current else {
                throw SieveError(line: line, current.map { "expected a test, found \(Self.describe($0))" } ?? "expected a test")
            }
            let start = line
            index += 1
            let (arguments, tests, list) = try self.arguments(depth: depth)
            return SieveTest(name: name, arguments: arguments, tests: tests, testList: list, line: start)
        }

        static func describe(_ token: SieveToken) -> String {
            switch token {
            case .identifier(let s): "'\(s)'"
            case .tag(let s): "':\(s)'"
            case .number(let n): "the number \(n)"
            case .string: "a string"
            case .punctuation(let p): "'\(Character(Unicode.Scalar(p)))'"
            }
        }
    }
}
