import MailMessage

extension Cursor {
    /// `command` after the tag and its space (RFC 9051 §9, RFC 3501 §9 for LSUB and CHECK).
    mutating func command() throws(Failure) -> IMAPCommand {
        let name = try atom().uppercased()
        switch name {
        case "CAPABILITY": return .capability
        case "NOOP": return .noop
        case "LOGOUT": return .logout
        case "STARTTLS": return .startTLS
        case "NAMESPACE": return .namespace
        case "IDLE": return .idle
        case "CHECK": return .check
        case "CLOSE": return .close
        case "UNSELECT": return .unselect
        case "EXPUNGE": return .expunge
        case "AUTHENTICATE":
            try space()
            let mechanism = try atom().uppercased()
            var initial: String?
            if skip(32) {
                // SASL-IR (RFC 4959): base64 or "=" for an empty response.
                let s = i
                while let c = peek, Self.isAtomChar(c) || c == UInt8(ascii: "=") || c == UInt8(ascii: "+") { i += 1 }
                guard i > s else { throw Failure("expected an initial response") }
                initial = String(decoding: b[s..<i], as: UTF8.self)
            }
            return .authenticate(mechanism: mechanism, initialResponse: initial)
        case "LOGIN":
            try space()
            let user = try astringText()
            try space()
            let password = String(decoding: try astring(), as: UTF8.self)
            return .login(user: user, password: password)
        case "ENABLE":
            var capabilities: [String] = []
            while skip(32) {
                capabilities.append(try atom().uppercased())
                guard capabilities.count <= 64 else { throw Failure("too many capabilities") }
            }
            guard !capabilities.isEmpty else { throw Failure("ENABLE needs a capability") }
            return .enable(capabilities)
        case "ID":
            try space()
            return .id(try idParameters())
        case "SELECT", "EXAMINE":
            try space()
            let mailbox = try mailbox()
            let parameters = skip(32) ? try selectParameters() : SelectParameters()
            return .select(mailbox, readOnly: name == "EXAMINE", parameters: parameters)
        case "CREATE":
            try space()
            let mailbox = try mailbox()
            return .create(mailbox, specialUse: skip(32) ? try createParameters() : [])
        case "DELETE":
            try space()
            return .delete(try mailbox())
        case "RENAME":
            try space()
            let from = try mailbox()
            try space()
            return .rename(from, to: try mailbox())
        case "SUBSCRIBE":
            try space()
            return .subscribe(try mailbox())
        case "UNSUBSCRIBE":
            try space()
            return .unsubscribe(try mailbox())
        case "LIST": return try list()
        case "LSUB":
            try space()
            let reference = try mailbox()
            try space()
            return .lsub(reference: reference, pattern: try listMailbox())
        case "STATUS":
            try space()
            let mailbox = try mailbox()
            try space()
            return .status(mailbox, try statusItems())
        case "APPEND": return try append()
        case "SEARCH": return try search(uid: false)
        case "FETCH": return try fetch(uid: false)
        case "STORE": return try store(uid: false)
        case "COPY", "MOVE":
            try space()
            let set = try sequenceSet()
            try space()
            let mailbox = try mailbox()
            return name == "COPY" ? .copy(set, mailbox, uid: false) : .move(set, mailbox, uid: false)
        case "UID":
            try space()
            let sub = try atom().uppercased()
            switch sub {
            case "FETCH": return try fetch(uid: true)
            case "STORE": return try store(uid: true)
            case "SEARCH": return try search(uid: true)
            case "COPY", "MOVE":
                try space()
                let set = try sequenceSet()
                try space()
                let mailbox = try mailbox()
                return sub == "COPY" ? .copy(set, mailbox, uid: true) : .move(set, mailbox, uid: true)
            case "EXPUNGE":
                try space()
                return .uidExpunge(try sequenceSet())
            default: throw Failure("unknown UID command")
            }
        default:
            throw Failure("unknown command")
        }
    }

    /// Parameter lists Roost accepts and ignores (`SELECT mbox (CONDSTORE)`, `CREATE mbox (USE (\Sent))`).
    mutating func skipParameterList() throws(Failure) {
        try expect(UInt8(ascii: "("), "'('")
        try enter()
        defer { leave() }
        var items = 0
        while !skip(UInt8(ascii: ")")) {
            items += 1
            guard items <= IMAPLimits.listItems else { throw Failure("too many parameters") }
            if peek == UInt8(ascii: "(") {
                try skipParameterList()
            } else if peek == 32 {
                i += 1
            } else if peek == 34 || peek == UInt8(ascii: "{") {
                _ = try string()
            } else {
                let s = i
                while let c = peek, Self.isAStringChar(c) || c == UInt8(ascii: "\\") || c == UInt8(ascii: "*") { i += 1 }
                guard i > s else { throw Failure("malformed parameter list") }
            }
        }
    }

    /// RFC 2971: `ID ("name" "value" ...)` or `ID NIL`.
    mutating func idParameters() throws(Failure) -> [String: String]? {
        if keyword("NIL") { return nil }
        try expect(UInt8(ascii: "("), "'(' or NIL")
        var out: [String: String] = [:]
        if skip(UInt8(ascii: ")")) { return out }
        while true {
            let key = String(decoding: try string(), as: UTF8.self)
            try space()
            let value = try nstring()
            // RFC 2971 §3.3: at most 30 pairs, fields up to 30 octets, values up to 1024.
            guard out.count < 30, key.utf8.count <= 30, (value?.utf8.count ?? 0) <= 1024 else { throw Failure("ID parameters too long") }
            out[key] = value ?? "NIL"
            if skip(UInt8(ascii: ")")) { return out }
            try space()
        }
    }

    /// LIST (RFC 9051 §6.3.9, RFC 5258 extended LIST, RFC 6154 SPECIAL-USE, RFC 5819 STATUS).
    mutating func list() throws(Failure) -> IMAPCommand {
        try space()
        var subscribedOnly = false, specialUseOnly = false, returnSubscribed = false
        var returnSpecialUse = false, returnChildren = false, recursiveMatch = false
        var returnStatus: [StatusItem]?
        if skip(UInt8(ascii: "(")) {
            var options = 0
            while !skip(UInt8(ascii: ")")) {
                _ = skip(32)
                options += 1
                guard options <= 16 else { throw Failure("too many LIST selection options") }
                let option = try atom().uppercased()
                switch option {
                case "SUBSCRIBED": subscribedOnly = true; returnSubscribed = true
                case "SPECIAL-USE": specialUseOnly = true; returnSpecialUse = true
                case "RECURSIVEMATCH": recursiveMatch = true
                // Roost has no remote mailboxes (RFC 2193): REMOTE changes nothing.
                case "REMOTE": break
                default: throw Failure("unknown LIST selection option")
                }
            }
            // RFC 5258 §3, RFC 9051 §6.3.9: RECURSIVEMATCH modifies the other selection options
            // (SUBSCRIBED, SPECIAL-USE); alone, or only with REMOTE, it is BAD.
            guard !recursiveMatch || subscribedOnly || specialUseOnly else {
                throw Failure("RECURSIVEMATCH needs another selection option (SUBSCRIBED or SPECIAL-USE)")
            }
            try space()
        }
        let reference = try mailbox()
        try space()
        var patterns: [String] = []
        if skip(UInt8(ascii: "(")) {
            repeat {
                patterns.append(try listMailbox())
                guard patterns.count <= 100 else { throw Failure("too many patterns") }
            } while skip(32)
            try expect(UInt8(ascii: ")"), "')'")
        } else {
            patterns = [try listMailbox()]
        }
        if skip(32) {
            guard keyword("RETURN") else { throw Failure("expected RETURN") }
            try space()
            try expect(UInt8(ascii: "("), "'('")
            while !skip(UInt8(ascii: ")")) {
                _ = skip(32)
                let option = try atom().uppercased()
                switch option {
                case "SUBSCRIBED": returnSubscribed = true
                case "SPECIAL-USE": returnSpecialUse = true
                case "CHILDREN": returnChildren = true
                case "STATUS":
                    try space()
                    returnStatus = try statusItems()
                default: throw Failure("unknown LIST return option")
                }
            }
        }
        return .list(reference: reference, pattern: patterns, subscribedOnly: subscribedOnly, specialUseOnly: specialUseOnly,
                     returnSubscribed: returnSubscribed, returnSpecialUse: returnSpecialUse, returnChildren: returnChildren,
                     returnStatus: returnStatus, recursiveMatch: recursiveMatch)
    }

    mutating func statusItems() throws(Failure) -> [StatusItem] {
        try expect(UInt8(ascii: "("), "'('")
        var items: [StatusItem] = []
        repeat {
            guard let item = StatusItem(rawValue: try atom().uppercased()) else { throw Failure("unknown STATUS item") }
            items.append(item)
            guard items.count <= 32 else { throw Failure("too many STATUS items") }
        } while skip(32)
        try expect(UInt8(ascii: ")"), "')'")
        return items
    }

    /// APPEND mailbox [SP flag-list] [SP date-time] SP (literal / literal8 / "UTF8" SP "(" literal8 ")")
    /// (RFC 9051 §6.3.12, RFC 3516 §4.4, RFC 6855 §4).
    mutating func append() throws(Failure) -> IMAPCommand {
        try space()
        let mailbox = try mailbox()
        try space()
        var flags: [String] = []
        var date: (micros: Int64, zoneMinutes: Int16)?
        if peek == UInt8(ascii: "(") {
            flags = try flagList()
            try space()
        }
        if peek == 34 {
            date = try dateTime()
            try space()
        }
        let message: [UInt8]
        if keyword("UTF8") {
            // RFC 6855 §4: only after ENABLE UTF8=ACCEPT, otherwise BAD; the message is a literal8.
            guard utf8Accept else { throw Failure("the UTF8 data item needs ENABLE UTF8=ACCEPT") }
            try space()
            try expect(UInt8(ascii: "("), "'(' after UTF8")
            guard peek == UInt8(ascii: "~") else { throw Failure("UTF8 takes a literal8 (~{n})") }
            message = try literal(allowBinary: true)
            try expect(UInt8(ascii: ")"), "')' after the UTF8 literal8")
        } else {
            message = try literal(allowBinary: true)
        }
        return .append(mailbox, flags: flags, date: date?.micros, zoneMinutes: date?.zoneMinutes ?? 0, message: message)
    }

    /// STORE set (+|-)FLAGS[.SILENT] (flags) (RFC 9051 §6.4.6); flags may also come without parentheses.
    mutating func store(uid: Bool) throws(Failure) -> IMAPCommand {
        try space()
        let set = try sequenceSet()
        try space()
        let unchangedSince = peek == UInt8(ascii: "(") ? try storeModifiers() : nil
        let kind: StoreOperation.Kind
        if skip(UInt8(ascii: "+")) { kind = .add } else if skip(UInt8(ascii: "-")) { kind = .remove } else { kind = .replace }
        let item = try atom().uppercased()
        let silent: Bool
        switch item {
        case "FLAGS": silent = false
        case "FLAGS.SILENT": silent = true
        default: throw Failure("STORE takes FLAGS or FLAGS.SILENT")
        }
        try space()
        var flags: [String]
        if peek == UInt8(ascii: "(") {
            flags = try flagList()
        } else {
            flags = [try flag()]
            while skip(32) {
                flags.append(try flag())
                guard flags.count <= IMAPLimits.listItems else { throw Failure("too many flags") }
            }
        }
        guard !flags.contains("\\Recent"), !flags.contains("\\*") else { throw Failure("\\Recent and \\* cannot be stored") }
        return .store(set, StoreOperation(kind: kind, silent: silent, flags: flags, unchangedSince: unchangedSince), uid: uid)
    }
}
