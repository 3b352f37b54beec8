public import MailMessage

/// The header fields Roost writes for a message it accepts over SMTP.
public enum SMTPAddedHeaders {
    /// What the Received field says about the connection.
    public struct Connection: Sendable, Hashable {
        public var helo: String
        public var clientIP: String
        public var clientName: String?
        public var tlsVersion: String?
        public var authenticatedAccount: String?
        public var withProtocol: String
        public init(helo: String, clientIP: String, clientName: String? = nil, tlsVersion: String? = nil,
                    authenticatedAccount: String? = nil, withProtocol: String) {
            self.helo = helo; self.clientIP = clientIP; self.clientName = clientName; self.tlsVersion = tlsVersion
            self.authenticatedAccount = authenticatedAccount; self.withProtocol = withProtocol
        }
    }

    /// RFC 5321 §4.4 Received, laid out as Postfix writes it, TLS and AUTH facts as comments:
    ///
    ///     Received: from helo.example (unknown [192.0.2.1])
    ///         (using TLSv1.3)
    ///         (Authenticated sender: alice@example.org)
    ///         by mail.example.org (Roost) with ESMTPSA id 1f
    ///         for <bob@example.org>; Tue, 1 Dec 2026 10:00:00 +0000
    public static func received(_ c: Connection, by hostname: String, id: String, recipient: String?, date: MailDate) -> [UInt8] {
        var segments = ["from \(clean(c.helo)) (\(clean(c.clientName ?? "unknown")) [\(c.clientIP)])"]
        if let tls = c.tlsVersion { segments.append("(using \(tls))") }
        if let account = c.authenticatedAccount { segments.append("(Authenticated sender: \(clean(account)))") }
        var by = "by \(hostname) (Roost) with \(c.withProtocol) id \(id)"
        if let recipient {
            segments.append(by)
            by = "for <\(clean(recipient))>;"
        } else {
            by += ";"
        }
        segments.append(by + " " + date.rfc5322)
        // One segment per line, as Postfix folds it; every segment is cleaned of controls.
        return Array(("Received: " + segments.joined(separator: "\r\n\t") + "\r\n").utf8)
    }

    /// RFC 5321 §4.4: the reverse path, written at final delivery.
    public static func returnPath(_ mailFrom: String) -> [UInt8] {
        HeaderWriter.returnPath(mailFrom.isEmpty ? nil : clean(mailFrom))
    }

    /// RFC 6409 §8.2/§8.3: a submission server may add Message-ID and Date when the message has
    /// none. Roost adds them at the top of the message — the one change it makes to submitted
    /// bytes (the stored message is what the client sent plus these fields). Returns nil when
    /// both are present.
    public static func completingSubmission(_ message: [UInt8], hostname: String, uniqueID: String, date: MailDate) -> [UInt8]? {
        let (hasMessageID, hasDate) = headerHas(message)
        if hasMessageID && hasDate { return nil }
        var added: [UInt8] = []
        if !hasMessageID { added += Array("Message-ID: <\(uniqueID)@\(hostname)>\r\n".utf8) }
        if !hasDate { added += Array("Date: \(date.rfc5322)\r\n".utf8) }
        return added + message
    }

    /// Whether the header section has Message-ID and Date fields (names case-insensitive).
    static func headerHas(_ message: [UInt8]) -> (messageID: Bool, date: Bool) {
        var messageID = false, date = false
        var lineStart = 0
        while lineStart < message.count {
            let end = message[lineStart...].firstIndex(of: 0x0A) ?? message.count
            var line = message[lineStart..<end]
            if line.last == 0x0D { line = line.dropLast() }
            if line.isEmpty { break }  // the blank line ends the header
            if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self).trimmingTrailingSpaces.lowercased()
                if name == "message-id" { messageID = true }
                if name == "date" { date = true }
            } else if line.first != 0x20 && line.first != 0x09 {
                break  // not a header line: the body began without a blank line
            }
            lineStart = end + 1
        }
        return (messageID, date)
    }

    /// Header text from the client: no controls (folding is Roost's own).
    private static func clean(_ s: String) -> String {
        String(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) }.prefix(300))
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var s = Substring(self)
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
