import NIOCore

/// A minimal IMAP4rev1 client for load: tagged commands, untagged lines kept as text (literals
/// inside them are skipped, only their sizes counted).
final class IMAPClient {
    let connection: MailConnection
    private var tagNumber = 0
    private(set) var literalPlus = false
    /// Bytes of literals received (FETCH BODY[] data).
    private(set) var literalBytes = 0

    init(_ connection: MailConnection) { self.connection = connection }

    struct Response {
        var ok: Bool
        var status: String
        var untagged: [String]
    }

    /// Connects, logs in, runs `body`, logs out.
    static func session<R: Sendable>(host: String, port: Int, user: String, password: String, group: any EventLoopGroup,
                                     _ body: (IMAPClient) async throws -> R) async throws -> R {
        try await MailConnection.with(host: host, port: port, group: group) { c in
            let imap = IMAPClient(c)
            let greeting = try await c.lineString()
            guard greeting.hasPrefix("* OK") else { throw LoadError.refused("IMAP greeting: \(greeting)") }
            let login = try await imap.command("LOGIN \(quoted(user)) \(quoted(password))")
            guard login.ok else { throw LoadError.refused("LOGIN \(user): \(login.status)") }
            let caps = login.status.uppercased().contains("LITERAL+") ? login.status : (try await imap.command("CAPABILITY")).untagged.joined(separator: " ")
            imap.literalPlus = caps.uppercased().contains("LITERAL+")
            let result = try await body(imap)
            _ = try? await imap.command("LOGOUT")
            return result
        }
    }

    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    func nextTag() -> String {
        tagNumber += 1
        return "a\(tagNumber)"
    }

    /// Sends one command line and reads up to its tagged response.
    func command(_ text: String, keepUntagged: Bool = true) async throws -> Response {
        let tag = nextTag()
        try await connection.send(tag + " " + text + "\r\n")
        return try await response(tag: tag, keepUntagged: keepUntagged)
    }

    func response(tag: String, keepUntagged: Bool = true) async throws -> Response {
        var untagged: [String] = []
        let tagged = tag + " "
        while true {
            var line = try await connection.line()
            if line.hasPrefix(tagged) {
                line.moveReaderIndex(forwardBy: tagged.utf8.count)
                let status = String(buffer: line)
                return Response(ok: status.hasPrefix("OK"), status: status, untagged: untagged)
            }
            // A line may end in a literal announcement {n}; its bytes follow, then the line goes on.
            var text = keepUntagged ? String(buffer: line) : ""
            while let size = Self.literalSize(line) {
                try await connection.skip(size)
                literalBytes += size
                line = try await connection.line()
                if keepUntagged { text += " " + String(buffer: line) }
            }
            if keepUntagged { untagged.append(text) }
        }
    }

    /// n when the line ends with {n} or {n+}.
    static func literalSize(_ line: ByteBuffer) -> Int? {
        let view = line.readableBytesView
        guard view.last == UInt8(ascii: "}") else { return nil }
        guard let open = view.lastIndex(of: UInt8(ascii: "{")) else { return nil }
        var n = 0
        var digits = 0
        for b in view[(open + 1)..<(view.endIndex - 1)] {
            if b == UInt8(ascii: "+") { continue }
            guard b >= 48 && b <= 57 else { return nil }
            n = n * 10 + Int(b - 48)
            digits += 1
        }
        return digits > 0 ? n : nil
    }

    func statusMessages(_ mailbox: String = "INBOX") async throws -> Int {
        let r = try await command("STATUS \(mailbox) (MESSAGES)")
        guard r.ok else { throw LoadError.refused("STATUS: \(r.status)") }
        for line in r.untagged where line.hasPrefix("* STATUS") {
            if let range = line.range(of: "MESSAGES ") {
                return Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
            }
        }
        throw LoadError.protocolError("no STATUS MESSAGES in \(r.untagged)")
    }

    /// SELECT; returns EXISTS.
    func select(_ mailbox: String = "INBOX") async throws -> Int {
        let r = try await command("SELECT \(mailbox)")
        guard r.ok else { throw LoadError.refused("SELECT: \(r.status)") }
        var exists = 0
        for line in r.untagged where line.hasSuffix(" EXISTS") {
            exists = Int(line.dropFirst(2).prefix { $0.isNumber }) ?? 0
        }
        return exists
    }

    func uidSearch(_ criteria: String) async throws -> [Int] {
        let r = try await command("UID SEARCH \(criteria)")
        guard r.ok else { throw LoadError.refused("UID SEARCH \(criteria): \(r.status)") }
        var uids: [Int] = []
        for line in r.untagged where line.hasPrefix("* SEARCH") {
            uids += line.dropFirst(8).split(separator: " ").compactMap { Int($0) }
        }
        return uids
    }

    /// APPEND (with LITERAL+ when the server has it); returns the new UID from APPENDUID, if given.
    func append(_ message: [UInt8], mailbox: String = "INBOX", flags: String = "") async throws -> Int? {
        let tag = nextTag()
        let flagList = flags.isEmpty ? "" : "(\(flags)) "
        if literalPlus {
            var out = ByteBuffer(string: "\(tag) APPEND \(mailbox) \(flagList){\(message.count)+}\r\n")
            out.writeBytes(message)
            out.writeString("\r\n")
            try await connection.send(out)
        } else {
            try await connection.send("\(tag) APPEND \(mailbox) \(flagList){\(message.count)}\r\n")
            let go = try await connection.lineString()
            guard go.hasPrefix("+") else { throw LoadError.refused("APPEND: \(go)") }
            var out = ByteBuffer(bytes: message)
            out.writeString("\r\n")
            try await connection.send(out)
        }
        let r = try await response(tag: tag)
        guard r.ok else { throw LoadError.refused("APPEND: \(r.status)") }
        // OK [APPENDUID uidvalidity uid]
        if let range = r.status.range(of: "APPENDUID ") {
            let parts = r.status[range.upperBound...].split(separator: " ")
            if parts.count >= 2 { return Int(parts[1].prefix { $0.isNumber }) }
        }
        return nil
    }
}
