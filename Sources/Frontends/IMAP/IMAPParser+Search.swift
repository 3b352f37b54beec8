extension Cursor {
    /// SEARCH [RETURN (opts)] [CHARSET x] keys (RFC 9051 §6.4.4, RFC 3501 §6.4.4).
    mutating func search(uid: Bool) throws(Failure) -> IMAPCommand {
        try space()
        var returns: [SearchReturn]?
        if keyword("RETURN") {
            try space()
            try expect(UInt8(ascii: "("), "'('")
            var options: [SearchReturn] = []
            while !skip(UInt8(ascii: ")")) {
                _ = skip(32)
                guard let option = SearchReturn(rawValue: try atom().uppercased()) else { throw Failure("unknown RETURN option") }
                options.append(option)
                guard options.count <= 8 else { throw Failure("too many RETURN options") }
            }
            returns = options
            try space()
        }
        if keyword("CHARSET") {
            // RFC 6855 §3: after ENABLE UTF8=ACCEPT everything is UTF-8; a CHARSET conflicts (BAD).
            guard !utf8Accept else { throw Failure("SEARCH CHARSET is not allowed after ENABLE UTF8=ACCEPT") }
            try space()
            let charset = String(decoding: try astring(), as: UTF8.self).uppercased()
            // RFC 9051 §6.4.4: US-ASCII and UTF-8 must be supported; others may be refused.
            guard charset == "UTF-8" || charset == "US-ASCII" else { throw Failure("[BADCHARSET (UTF-8 US-ASCII)] unsupported charset") }
            try space()
        }
        var keys: [SearchKey] = [try searchKey()]
        while skip(32) {
            keys.append(try searchKey())
            guard keys.count <= IMAPLimits.listItems else { throw Failure("too many search keys") }
        }
        return .search(keys.count == 1 ? keys[0] : .and(keys), returns: returns, uid: uid)
    }

    mutating func searchString() throws(Failure) -> String {
        try space()
        return String(decoding: try astring(), as: UTF8.self)
    }

    mutating func searchDate() throws(Failure) -> SearchDate {
        try space()
        return try date()
    }

    mutating func searchKey() throws(Failure) -> SearchKey {
        if skip(UInt8(ascii: "(")) {
            try enter()
            defer { leave() }
            var keys: [SearchKey] = [try searchKey()]
            while skip(32) {
                keys.append(try searchKey())
                guard keys.count <= IMAPLimits.listItems else { throw Failure("too many search keys") }
            }
            try expect(UInt8(ascii: ")"), "')'")
            return keys.count == 1 ? keys[0] : .and(keys)
        }
        if let c = peek, (c >= 49 && c <= 57) || c == UInt8(ascii: "*") || c == UInt8(ascii: "$") {
            return .sequence(try sequenceSet())
        }
        let name = try atom().uppercased()
        switch name {
        case "ALL": return .all
        case "ANSWERED": return .answered
        case "DELETED": return .deleted
        case "DRAFT": return .draft
        case "FLAGGED": return .flagged
        case "SEEN": return .seen
        case "UNANSWERED": return .unanswered
        case "UNDELETED": return .undeleted
        case "UNDRAFT": return .undraft
        case "UNFLAGGED": return .unflagged
        case "UNSEEN": return .unseen
        case "NEW": return .new
        case "OLD": return .old
        case "RECENT": return .recent
        case "KEYWORD":
            try space()
            return .keyword(try flag())
        case "UNKEYWORD":
            try space()
            return .unkeyword(try flag())
        case "BCC": return .bcc(try searchString())
        case "BODY": return .body(try searchString())
        case "CC": return .cc(try searchString())
        case "FROM": return .from(try searchString())
        case "SUBJECT": return .subject(try searchString())
        case "TEXT": return .text(try searchString())
        case "TO": return .to(try searchString())
        case "HEADER":
            let field = try searchString()
            return .header(field, try searchString())
        case "BEFORE": return .before(try searchDate())
        case "ON": return .on(try searchDate())
        case "SINCE": return .since(try searchDate())
        case "SENTBEFORE": return .sentBefore(try searchDate())
        case "SENTON": return .sentOn(try searchDate())
        case "SENTSINCE": return .sentSince(try searchDate())
        case "LARGER":
            try space()
            return .larger(try number())
        case "SMALLER":
            try space()
            return .smaller(try number())
        case "UID":
            try space()
            return .uid(try sequenceSet())
        case "MODSEQ": return try searchModseq()
        case "NOT":
            try space()
            try enter()
            defer { leave() }
            return .not(try searchKey())
        case "OR":
            try space()
            try enter()
            defer { leave() }
            let a = try searchKey()
            try space()
            return .or(a, try searchKey())
        default:
            throw Failure("unknown search key \(name)")
        }
    }
}
