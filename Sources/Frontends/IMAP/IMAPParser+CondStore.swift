/// The grammar RFC 7162 (CONDSTORE, QRESYNC) adds: SELECT parameters, FETCH and STORE modifiers,
/// mod-sequence values. Each modifier may appear once; lists are short by construction.
extension Cursor {
    /// `mod-sequence-valzer` (RFC 7162 §7): 0 to 2^63-1. `mod-sequence-value` when `nonZero`.
    mutating func modSequence(nonZero: Bool = false) throws(Failure) -> UInt64 {
        let s = i
        var n: UInt64 = 0
        while let c = peek, c >= 48, c <= 57 {
            guard i - s < 19 else { throw Failure("mod-sequence too large") }
            n = n * 10 + UInt64(c - 48)
            i += 1
        }
        guard i > s else { throw Failure("expected a mod-sequence") }
        guard n <= UInt64(Int64.max) else { throw Failure("mod-sequence too large") }
        if nonZero, n == 0 { throw Failure("the mod-sequence must be positive") }
        return n
    }

    /// A `sequence-set` where `*` and `$` are not allowed (RFC 7162 `known-uids` and friends).
    mutating func knownSet() throws(Failure) -> SequenceSet {
        guard peek != UInt8(ascii: "$") else { throw Failure("'$' is not allowed here") }
        let set = try sequenceSet()
        guard !set.ranges.contains(where: { $0.from == .last || $0.to == .last }) else { throw Failure("'*' is not allowed here") }
        return set
    }

    /// `SP "(" select-param *(SP select-param) ")"` after the mailbox name (RFC 4466 §2.1).
    /// Unknown parameters are refused: RFC 4466 asks for BAD.
    mutating func selectParameters() throws(Failure) -> SelectParameters {
        try expect(UInt8(ascii: "("), "'(' to start the SELECT parameters")
        var parameters = SelectParameters()
        var seen = 0
        repeat {
            seen += 1
            guard seen <= 8 else { throw Failure("too many SELECT parameters") }
            let name = try atom().uppercased()
            switch name {
            case "CONDSTORE":
                parameters.condStore = true
            case "QRESYNC":
                guard parameters.quickResync == nil else { throw Failure("QRESYNC given twice") }
                try space()
                parameters.quickResync = try quickResync()
            default:
                throw Failure("unknown SELECT parameter \(name)")
            }
        } while skip(32)
        try expect(UInt8(ascii: ")"), "')' to end the SELECT parameters")
        return parameters
    }

    /// `"(" uidvalidity SP mod-sequence-value [SP known-uids] [SP seq-match-data] ")"` (RFC 7162 §7).
    mutating func quickResync() throws(Failure) -> SelectParameters.QuickResync {
        try expect(UInt8(ascii: "("), "'(' after QRESYNC")
        try enter()
        defer { leave() }
        let uidValidity = try nzNumber32()
        try space()
        var q = SelectParameters.QuickResync(uidValidity: uidValidity, modseq: try modSequence(nonZero: true))
        if skip(32) {
            if peek != UInt8(ascii: "(") {
                q.knownUIDs = try knownSet()
                if skip(32) { try sequenceMatch(into: &q) }
            } else {
                try sequenceMatch(into: &q)
            }
        }
        try expect(UInt8(ascii: ")"), "')' to end QRESYNC")
        return q
    }

    /// `seq-match-data = "(" known-sequence-set SP known-uid-set ")"`.
    mutating func sequenceMatch(into q: inout SelectParameters.QuickResync) throws(Failure) {
        try expect(UInt8(ascii: "("), "'(' to start the sequence match data")
        try enter()
        defer { leave() }
        q.knownSequenceNumbers = try knownSet()
        try space()
        q.knownSequenceUIDs = try knownSet()
        try expect(UInt8(ascii: ")"), "')' to end the sequence match data")
    }

    /// `SP "(" fetch-modifier *(SP fetch-modifier) ")"` after the FETCH items (RFC 4466 §2.4).
    /// VANISHED needs CHANGEDSINCE (RFC 7162 §3.2.6); whether it is allowed (UID FETCH, QRESYNC
    /// enabled) the session decides.
    mutating func fetchModifiers() throws(Failure) -> FetchModifiers {
        try expect(UInt8(ascii: "("), "'(' to start the FETCH modifiers")
        var modifiers = FetchModifiers()
        var seen = 0
        repeat {
            seen += 1
            guard seen <= 8 else { throw Failure("too many FETCH modifiers") }
            let name = try atom().uppercased()
            switch name {
            case "CHANGEDSINCE":
                guard modifiers.changedSince == nil else { throw Failure("CHANGEDSINCE given twice") }
                try space()
                modifiers.changedSince = try modSequence(nonZero: true)
            case "VANISHED":
                guard !modifiers.vanished else { throw Failure("VANISHED given twice") }
                modifiers.vanished = true
            default:
                throw Failure("unknown FETCH modifier \(name)")
            }
        } while skip(32)
        try expect(UInt8(ascii: ")"), "')' to end the FETCH modifiers")
        guard !modifiers.vanished || modifiers.changedSince != nil else { throw Failure("VANISHED needs CHANGEDSINCE") }
        return modifiers
    }

    /// `"(" store-modifier *(SP store-modifier) ")" SP` before the STORE operation (RFC 4466 §2.5).
    mutating func storeModifiers() throws(Failure) -> UInt64? {
        try expect(UInt8(ascii: "("), "'(' to start the STORE modifiers")
        var unchangedSince: UInt64?
        var seen = 0
        repeat {
            seen += 1
            guard seen <= 8 else { throw Failure("too many STORE modifiers") }
            let name = try atom().uppercased()
            guard name == "UNCHANGEDSINCE" else { throw Failure("unknown STORE modifier \(name)") }
            guard unchangedSince == nil else { throw Failure("UNCHANGEDSINCE given twice") }
            try space()
            unchangedSince = try modSequence()
        } while skip(32)
        try expect(UInt8(ascii: ")"), "')' to end the STORE modifiers")
        try space()
        return unchangedSince
    }

    /// `MODSEQ [SP entry-name SP entry-type-req] SP mod-sequence-valzer` after the key's name
    /// (RFC 7162 §3.1.5). The entry is checked and then ignored: Roost keeps one MODSEQ per message.
    mutating func searchModseq() throws(Failure) -> SearchKey {
        try space()
        if peek == 34 {
            let entry = try quoted()
            guard entry.starts(with: Array("/flags/".utf8)), entry.count > 7 else { throw Failure("MODSEQ entry names a flag: \"/flags/...\"") }
            try space()
            let type = try atom().lowercased()
            guard ["priv", "shared", "all"].contains(type) else { throw Failure("MODSEQ entry type is priv, shared or all") }
            try space()
        }
        return .modseq(try modSequence())
    }
}
