/// A POP3 command (RFC 1939 §4–7, RFC 2449 §5 CAPA, RFC 2595 §4 STLS, RFC 5034 §4 AUTH).
/// Message numbers are as the client wrote them (1-based); the session checks their range.
public enum POP3Command: Hashable, Sendable {
    case user(String)
    /// The whole rest of the line: RFC 1939 §7 "a POP3 server may treat spaces in the argument
    /// as part of the password, instead of as argument separators".
    case pass(String)
    case quit
    case stat
    case list(Int?)
    case retr(Int)
    case dele(Int)
    case noop
    case rset
    case top(Int, lines: Int)
    case uidl(Int?)
    case capa
    case stls
    /// `initialResponse` is nil when absent, "=" for an empty one (RFC 5034 §4).
    case auth(mechanism: String, initialResponse: String?)

    /// The verb, as metrics label it.
    public var verb: String {
        switch self {
        case .user: "USER"
        case .pass: "PASS"
        case .quit: "QUIT"
        case .stat: "STAT"
        case .list: "LIST"
        case .retr: "RETR"
        case .dele: "DELE"
        case .noop: "NOOP"
        case .rset: "RSET"
        case .top: "TOP"
        case .uidl: "UIDL"
        case .capa: "CAPA"
        case .stls: "STLS"
        case .auth: "AUTH"
        }
    }
}

/// Why a command line did not parse; answered with `-ERR` and the connection stays open.
public struct POP3ParseError: Error, Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Longer than `POP3Limits.commandLength` (RFC 2449 §4).
        case tooLong
        /// Not a command Roost knows (APOP included: Roost does not announce it).
        case unknownCommand
        /// A known command with missing, extra or malformed arguments.
        case badArguments(verb: String)
        /// Bytes outside printable ASCII and space, or an empty line.
        case malformed
    }
    public var kind: Kind
}

/// Parses one command line (without CRLF). Pure and bounded.
///
/// RFC 1939 §3: "Commands in the POP3 consist of a case-insensitive keyword, possibly followed
/// by one or more arguments ... separated by a single SPACE character". Roost accepts runs of
/// spaces between arguments, as most servers do, but nothing other than printable ASCII.
public enum POP3CommandParser {
    public static func parse(_ line: some Collection<UInt8>) -> Result<POP3Command, POP3ParseError> {
        guard line.count <= POP3Limits.commandLength else { return .failure(.init(kind: .tooLong)) }
        guard !line.isEmpty, line.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return .failure(.init(kind: .malformed)) }
        let text = String(decoding: line, as: UTF8.self)
        let verbEnd = text.firstIndex(of: " ") ?? text.endIndex
        let verb = text[..<verbEnd].uppercased()
        let rest = verbEnd == text.endIndex ? "" : String(text[text.index(after: verbEnd)...])
        let args = rest.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        func bad() -> Result<POP3Command, POP3ParseError> { .failure(.init(kind: .badArguments(verb: verb))) }

        switch verb {
        case "USER":
            guard args.count == 1 else { return bad() }
            return .success(.user(args[0]))
        case "PASS":
            guard !rest.isEmpty else { return bad() }
            return .success(.pass(rest))
        case "QUIT", "STAT", "NOOP", "RSET", "CAPA", "STLS":
            guard args.isEmpty else { return bad() }
            switch verb {
            case "QUIT": return .success(.quit)
            case "STAT": return .success(.stat)
            case "NOOP": return .success(.noop)
            case "RSET": return .success(.rset)
            case "CAPA": return .success(.capa)
            default: return .success(.stls)
            }
        case "LIST", "UIDL":
            guard args.count <= 1 else { return bad() }
            var number: Int?
            if let arg = args.first {
                guard let n = Self.number(arg) else { return bad() }
                number = n
            }
            return .success(verb == "LIST" ? .list(number) : .uidl(number))
        case "RETR", "DELE":
            guard args.count == 1, let n = Self.number(args[0]) else { return bad() }
            return .success(verb == "RETR" ? .retr(n) : .dele(n))
        case "TOP":
            guard args.count == 2, let n = Self.number(args[0]), let lines = Self.number(args[1]) else { return bad() }
            return .success(.top(n, lines: lines))
        case "AUTH":
            // RFC 5034 §4: AUTH mechanism [initial-response]. AUTH without a mechanism (the
            // RFC 1734 listing) is not part of RFC 5034; CAPA's SASL line lists mechanisms.
            guard args.count == 1 || args.count == 2 else { return bad() }
            return .success(.auth(mechanism: args[0].uppercased(), initialResponse: args.count == 2 ? args[1] : nil))
        default:
            return .failure(.init(kind: .unknownCommand))
        }
    }

    /// RFC 1939 §3 message numbers and line counts: decimal digits only. Numbers too large to
    /// name any message become `Int.max` (so "no such message", not a syntax error).
    static func number(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let digits = text.drop(while: { $0 == "0" })
        if digits.count > POP3Limits.numberDigits { return Int.max }
        return Int(digits.isEmpty ? "0" : String(digits))
    }
}
