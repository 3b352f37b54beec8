/// The commands of RFC 5804 §2, typed.
public enum ManageSieveCommand: Hashable, Sendable {
    case authenticate(mechanism: String, initialResponse: String?)
    case startTLS
    case logout
    case capability
    case noop(tag: [UInt8]?)
    case haveSpace(name: String, size: UInt64)
    case putScript(name: String, script: [UInt8])
    case listScripts
    case setActive(name: String)
    case getScript(name: String)
    case deleteScript(name: String)
    case renameScript(name: String, newName: String)
    case checkScript([UInt8])
    case unauthenticate

    public var verb: String {
        switch self {
        case .authenticate: "AUTHENTICATE"
        case .startTLS: "STARTTLS"
        case .logout: "LOGOUT"
        case .capability: "CAPABILITY"
        case .noop: "NOOP"
        case .haveSpace: "HAVESPACE"
        case .putScript: "PUTSCRIPT"
        case .listScripts: "LISTSCRIPTS"
        case .setActive: "SETACTIVE"
        case .getScript: "GETSCRIPT"
        case .deleteScript: "DELETESCRIPT"
        case .renameScript: "RENAMESCRIPT"
        case .checkScript: "CHECKSCRIPT"
        case .unauthenticate: "UNAUTHENTICATE"
        }
    }
}

public struct ManageSieveSyntaxError: Error, Hashable, Sendable {
    public enum Kind: Hashable, Sendable { case syntax, tooLarge }
    public var kind: Kind
    public var message: String
    public init(_ message: String, kind: Kind = .syntax) { self.kind = kind; self.message = message }
}

public enum ManageSieveCommandParser {
    public static func parse(_ frame: ManageSieveFrame) -> Result<ManageSieveCommand, ManageSieveSyntaxError> {
        switch frame.problem {
        case .literalTooLarge: return .failure(.init("literal too large", kind: .tooLarge))
        case .syntax(let message): return .failure(.init(message))
        case nil: break
        }
        guard case .atom(let word)? = frame.tokens.first else { return .failure(.init("expected a command")) }
        var arguments = Arguments(tokens: frame.tokens.dropFirst())
        let verb = word.uppercased()
        let command: ManageSieveCommand
        do throws(ManageSieveSyntaxError) {
            switch verb {
            case "AUTHENTICATE":
                let mechanism = try arguments.text()
                let initial = try arguments.optionalString().map { String(decoding: $0, as: UTF8.self) }
                command = .authenticate(mechanism: mechanism, initialResponse: initial)
            case "STARTTLS": command = .startTLS
            case "LOGOUT": command = .logout
            case "CAPABILITY": command = .capability
            case "NOOP": command = .noop(tag: try arguments.optionalString())
            case "HAVESPACE": command = .haveSpace(name: try arguments.name(), size: try arguments.number())
            case "PUTSCRIPT": command = .putScript(name: try arguments.name(), script: try arguments.string())
            case "LISTSCRIPTS": command = .listScripts
            case "SETACTIVE": command = .setActive(name: try arguments.name(allowEmpty: true))
            case "GETSCRIPT": command = .getScript(name: try arguments.name())
            case "DELETESCRIPT": command = .deleteScript(name: try arguments.name())
            case "RENAMESCRIPT": command = .renameScript(name: try arguments.name(), newName: try arguments.name())
            case "CHECKSCRIPT": command = .checkScript(try arguments.string())
            case "UNAUTHENTICATE": command = .unauthenticate
            default: return .failure(.init("unknown command \(verb.prefix(32))"))
            }
            guard arguments.isEmpty else { throw ManageSieveSyntaxError("too many arguments for \(verb)") }
        } catch {
            return .failure(error)
        }
        return .success(command)
    }

    /// RFC 5804 §1.6: a name is Net-Unicode without control characters, U+2028 or U+2029.
    public static func isValidScriptName(_ name: String) -> Bool {
        name.utf8.count <= ManageSieveLimits.scriptName && name.unicodeScalars.allSatisfy { s in
            !(s.value < 0x20 || (0x7F...0x9F).contains(s.value) || s.value == 0x2028 || s.value == 0x2029)
        }
    }

    private struct Arguments {
        var tokens: ArraySlice<ManageSieveToken>
        var isEmpty: Bool { tokens.isEmpty }

        mutating func string() throws(ManageSieveSyntaxError) -> [UInt8] {
            guard case .string(let bytes)? = tokens.first else { throw ManageSieveSyntaxError("expected a string") }
            tokens = tokens.dropFirst()
            return bytes
        }

        mutating func optionalString() throws(ManageSieveSyntaxError) -> [UInt8]? {
            tokens.isEmpty ? nil : try string()
        }

        mutating func text() throws(ManageSieveSyntaxError) -> String {
            let bytes = try string()
            guard let text = String(validating: bytes, as: UTF8.self) else { throw ManageSieveSyntaxError("string is not UTF-8") }
            return text
        }

        mutating func name(allowEmpty: Bool = false) throws(ManageSieveSyntaxError) -> String {
            let name = try text()
            guard allowEmpty || !name.isEmpty else { throw ManageSieveSyntaxError("a script name cannot be empty") }
            guard ManageSieveCommandParser.isValidScriptName(name) else {
                throw ManageSieveSyntaxError("script name has forbidden characters or is too long")
            }
            return name
        }

        mutating func number() throws(ManageSieveSyntaxError) -> UInt64 {
            // RFC 5804 §4: a 32-bit unsigned number without leading zeros.
            guard case .atom(let digits)? = tokens.first, !digits.isEmpty, digits.count <= 10,
                  digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), digits == "0" || !digits.hasPrefix("0"),
                  let n = UInt64(digits), n <= UInt32.max else { throw ManageSieveSyntaxError("expected a number") }
            tokens = tokens.dropFirst()
            return n
        }
    }
}
