/// Status responses (RFC 9051 §7.1).
public enum IMAPStatus: String, Sendable, Hashable {
    case ok = "OK", no = "NO", bad = "BAD", bye = "BYE", preauth = "PREAUTH"
}

/// One server response, typed (RFC 9051 §7). FETCH data and other responses whose values need
/// IMAP strings are built with `IMAPWriter` and carried as `.data` bytes.
public enum IMAPResponse: Sendable, Hashable {
    /// `tag OK [code] text`
    case tagged(String, IMAPStatus, code: String?, text: String)
    /// `* OK [code] text`, `* BYE text`…
    case status(IMAPStatus, code: String?, text: String)
    /// `* ` + the bytes + CRLF, e.g. `3 EXISTS`, `CAPABILITY …`, `LIST (…) "/" INBOX`.
    case data([UInt8])
    /// `+ text` (RFC 9051 §7.6), or a base64 SASL challenge (possibly empty).
    case continuation(String)
}

/// Writes responses in wire form.
public enum IMAPEncoder {
    public static func encode(_ response: IMAPResponse) -> [UInt8] {
        var out: [UInt8] = []
        encode(response, into: &out)
        return out
    }

    public static func encode(_ response: IMAPResponse, into out: inout [UInt8]) {
        switch response {
        case .tagged(let tag, let status, let code, let text):
            out += tag.utf8
            out.append(32)
            statusBody(status, code, text, into: &out)
        case .status(let status, let code, let text):
            out += "* ".utf8
            statusBody(status, code, text, into: &out)
        case .data(let bytes):
            out += "* ".utf8
            out += bytes
        case .continuation(let text):
            out += "+ ".utf8
            // continue-req = "+" SP (resp-text / base64): an empty SASL challenge is "+ ".
            out += clean(text)
        }
        out += "\r\n".utf8
    }

    private static func statusBody(_ status: IMAPStatus, _ code: String?, _ text: String, into out: inout [UInt8]) {
        out += status.rawValue.utf8
        if let code {
            out += " [".utf8
            out += clean(code)
            out += "]".utf8
        }
        out.append(32)
        // resp-text needs at least one character (RFC 9051 §9 `text = 1*TEXT-CHAR`).
        out += clean(text.isEmpty ? "done" : text)
    }

    /// TEXT-CHAR excludes CR and LF: a reason built from input never breaks the framing.
    static func clean(_ text: String) -> [UInt8] {
        text.utf8.map { $0 == 13 || $0 == 10 || $0 == 0 ? 32 : $0 }
    }
}
