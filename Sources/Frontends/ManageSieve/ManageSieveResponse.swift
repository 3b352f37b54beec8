/// What the server sends (RFC 5804 §1.3, §4): lines of strings, then OK/NO/BYE with an optional
/// response code and text.
public enum ManageSieveResponse: Hashable, Sendable {
    public enum Status: String, Hashable, Sendable { case ok = "OK", no = "NO", bye = "BYE" }

    /// RFC 5804 §1.3's response codes Roost sends.
    public enum Code: Hashable, Sendable {
        case encryptNeeded, quotaMaxSize, quotaMaxScripts, tryLater, active, nonexistent, alreadyExists, warnings
        case tag([UInt8])
        /// RFC 5804 §1.3: AUTH-TOO-WEAK is for mechanisms refused by policy.
        case authTooWeak
    }

    case status(Status, Code?, String?)
    /// Capability lines (`"NAME" "value"`), each value optional; followed by a status.
    case capabilities([(String, String?)])
    /// LISTSCRIPTS lines.
    case scripts([(name: String, active: Bool)])
    /// GETSCRIPT's script, as a literal.
    case script([UInt8])
    /// A SASL challenge: a string holding base64 text (RFC 5804 §2.1).
    case challenge(String)

    public static func ok(_ text: String? = nil, code: Code? = nil) -> Self { .status(.ok, code, text) }
    public static func no(_ text: String, code: Code? = nil) -> Self { .status(.no, code, text) }
    public static func bye(_ text: String, code: Code? = nil) -> Self { .status(.bye, code, text) }

    public static func == (a: Self, b: Self) -> Bool { ManageSieveEncoder.encode(a) == ManageSieveEncoder.encode(b) }
    public func hash(into hasher: inout Hasher) { hasher.combine(ManageSieveEncoder.encode(self)) }
}

public enum ManageSieveEncoder {
    public static func encode(_ response: ManageSieveResponse) -> [UInt8] {
        var out: [UInt8] = []
        switch response {
        case .status(let status, let code, let text):
            out += status.rawValue.utf8
            if let code {
                out += " (".utf8
                switch code {
                case .encryptNeeded: out += "ENCRYPT-NEEDED".utf8
                case .quotaMaxSize: out += "QUOTA/MAXSIZE".utf8
                case .quotaMaxScripts: out += "QUOTA/MAXSCRIPTS".utf8
                case .tryLater: out += "TRYLATER".utf8
                case .active: out += "ACTIVE".utf8
                case .nonexistent: out += "NONEXISTENT".utf8
                case .alreadyExists: out += "ALREADYEXISTS".utf8
                case .warnings: out += "WARNINGS".utf8
                case .authTooWeak: out += "AUTH-TOO-WEAK".utf8
                case .tag(let tag): out += "TAG ".utf8; string(tag, into: &out)
                }
                out += ")".utf8
            }
            if let text {
                out += " ".utf8
                string(Array(text.utf8), into: &out)
            }
            out += "\r\n".utf8
        case .capabilities(let lines):
            for (name, value) in lines {
                string(Array(name.utf8), into: &out)
                if let value { out += " ".utf8; string(Array(value.utf8), into: &out) }
                out += "\r\n".utf8
            }
        case .scripts(let scripts):
            for script in scripts {
                string(Array(script.name.utf8), into: &out)
                if script.active { out += " ACTIVE".utf8 }
                out += "\r\n".utf8
            }
        case .script(let bytes):
            literal(bytes, into: &out)
            out += "\r\n".utf8
        case .challenge(let base64):
            string(Array(base64.utf8), into: &out)
            out += "\r\n".utf8
        }
        return out
    }

    /// Quoted when it can be (RFC 5804 §4: no CR, LF or NUL, at most 1024 octets), a literal otherwise.
    static func string(_ bytes: [UInt8], into out: inout [UInt8]) {
        guard bytes.count <= ManageSieveLimits.quoted, !bytes.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
            literal(bytes, into: &out)
            return
        }
        out.append(UInt8(ascii: "\""))
        for b in bytes {
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(b)
        }
        out.append(UInt8(ascii: "\""))
    }

    static func literal(_ bytes: [UInt8], into out: inout [UInt8]) {
        out += "{\(bytes.count)}\r\n".utf8
        out += bytes
    }
}
