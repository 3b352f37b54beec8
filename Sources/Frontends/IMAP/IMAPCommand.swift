public import MailMessage

/// A message set (RFC 9051 §9 `sequence-set`): ranges of sequence numbers or UIDs, `*` being
/// the largest in use.
public struct SequenceSet: Sendable, Hashable {
    public enum Bound: Sendable, Hashable {
        case number(UInt32)
        case last
    }
    public struct Range: Sendable, Hashable {
        public var from: Bound
        public var to: Bound
        public init(_ from: Bound, _ to: Bound) { self.from = from; self.to = to }
    }
    public var ranges: [Range]
    /// `$`: the result of the last SEARCH (RFC 5182, part of IMAP4rev2).
    public var isSaved: Bool

    public init(ranges: [Range], isSaved: Bool = false) {
        self.ranges = ranges
        self.isSaved = isSaved
    }

    public static func single(_ n: UInt32) -> SequenceSet { SequenceSet(ranges: [Range(.number(n), .number(n))]) }

    /// Whether `n` is in the set when `last` is the value of `*` (a range's ends may come in
    /// either order, RFC 9051 §9).
    public func contains(_ n: UInt32, last: UInt32) -> Bool {
        for r in ranges {
            let a = r.from.value(last: last), b = r.to.value(last: last)
            if n >= min(a, b) && n <= max(a, b) { return true }
        }
        return false
    }
}

extension SequenceSet.Bound {
    func value(last: UInt32) -> UInt32 {
        switch self {
        case .number(let n): n
        case .last: last
        }
    }
}

/// What a FETCH asks for: the message-content items MailMessage answers, and the items that
/// belong to the mailbox.
public enum FetchAttribute: Sendable, Hashable {
    case flags
    case uid
    case internalDate
    case modseq
    case content(FetchItem)
}

/// STORE's operation (RFC 9051 §6.4.6).
public struct StoreOperation: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case add, remove, replace }
    public var kind: Kind
    public var silent: Bool
    public var flags: [String]
    /// The UNCHANGEDSINCE modifier (RFC 7162 §3.1.3).
    public var unchangedSince: UInt64? = nil
}

/// A date as SEARCH takes it (RFC 9051 §9 `date`): days since 1970-01-01.
public struct SearchDate: Sendable, Hashable, Comparable {
    public var day: Int
    public static func < (a: SearchDate, b: SearchDate) -> Bool { a.day < b.day }
}

/// SEARCH keys (RFC 3501 §6.4.4, RFC 9051 §6.4.4).
public indirect enum SearchKey: Sendable, Hashable {
    case all
    case answered, deleted, draft, flagged, seen
    case unanswered, undeleted, undraft, unflagged, unseen
    case new, old, recent
    case keyword(String), unkeyword(String)
    case bcc(String), body(String), cc(String), from(String), subject(String), text(String), to(String)
    case header(String, String)
    case before(SearchDate), on(SearchDate), since(SearchDate)
    case sentBefore(SearchDate), sentOn(SearchDate), sentSince(SearchDate)
    case larger(Int), smaller(Int)
    case uid(SequenceSet)
    case sequence(SequenceSet)
    /// MODSEQ [entry-name entry-type] n (RFC 7162 §3.1.5): Roost keeps one MODSEQ per message,
    /// so the entry is ignored, as the RFC says.
    case modseq(UInt64)
    case not(SearchKey)
    case or(SearchKey, SearchKey)
    case and([SearchKey])
}

/// ESEARCH return options (RFC 4731, RFC 9051 §6.4.4).
public enum SearchReturn: String, Sendable, Hashable {
    case min = "MIN", max = "MAX", all = "ALL", count = "COUNT", save = "SAVE"
}

/// STATUS items (RFC 9051 §6.3.11).
public enum StatusItem: String, Sendable, Hashable, CaseIterable {
    case messages = "MESSAGES", uidNext = "UIDNEXT", uidValidity = "UIDVALIDITY", unseen = "UNSEEN"
    case deleted = "DELETED", size = "SIZE", recent = "RECENT", highestModseq = "HIGHESTMODSEQ"
    case appendLimit = "APPENDLIMIT"
}

/// One IMAP command, typed (RFC 9051 §6). Mailbox names are as the client sent them (the
/// session maps INBOX's case).
public enum IMAPCommand: Sendable, Hashable {
    case capability, noop, logout, startTLS
    case authenticate(mechanism: String, initialResponse: String?)
    case login(user: String, password: String)
    case enable([String])
    case id([String: String]?)
    case namespace
    case select(String, readOnly: Bool, parameters: SelectParameters = SelectParameters())
    /// CREATE; `specialUse` from the USE parameter (RFC 6154 §3, CREATE-SPECIAL-USE).
    case create(String, specialUse: [String] = [])
    case delete(String)
    case rename(String, to: String)
    case subscribe(String), unsubscribe(String)
    /// LIST; `returnSpecialUse` for `RETURN (SPECIAL-USE)` (RFC 6154), `subscribedOnly` for the
    /// SUBSCRIBED selection option, `recursiveMatch` for RECURSIVEMATCH (RFC 5258 §3).
    case list(reference: String, pattern: [String], subscribedOnly: Bool, specialUseOnly: Bool,
              returnSubscribed: Bool, returnSpecialUse: Bool, returnChildren: Bool, returnStatus: [StatusItem]?,
              recursiveMatch: Bool = false)
    case lsub(reference: String, pattern: String)
    case status(String, [StatusItem])
    case append(String, flags: [String], date: Int64?, zoneMinutes: Int16, message: [UInt8])
    case idle
    case check, close, unselect, expunge
    case uidExpunge(SequenceSet)
    case search(SearchKey, returns: [SearchReturn]?, uid: Bool)
    case fetch(SequenceSet, [FetchAttribute], uid: Bool, modifiers: FetchModifiers = FetchModifiers())
    case store(SequenceSet, StoreOperation, uid: Bool)
    case copy(SequenceSet, String, uid: Bool)
    case move(SequenceSet, String, uid: Bool)

    /// The command's name for metrics and logs.
    public var name: String {
        switch self {
        case .capability: "CAPABILITY"
        case .noop: "NOOP"
        case .logout: "LOGOUT"
        case .startTLS: "STARTTLS"
        case .authenticate: "AUTHENTICATE"
        case .login: "LOGIN"
        case .enable: "ENABLE"
        case .id: "ID"
        case .namespace: "NAMESPACE"
        case .select(_, let readOnly, _): readOnly ? "EXAMINE" : "SELECT"
        case .create: "CREATE"
        case .delete: "DELETE"
        case .rename: "RENAME"
        case .subscribe: "SUBSCRIBE"
        case .unsubscribe: "UNSUBSCRIBE"
        case .list: "LIST"
        case .lsub: "LSUB"
        case .status: "STATUS"
        case .append: "APPEND"
        case .idle: "IDLE"
        case .check: "CHECK"
        case .close: "CLOSE"
        case .unselect: "UNSELECT"
        case .expunge: "EXPUNGE"
        case .uidExpunge: "UID EXPUNGE"
        case .search(_, _, let uid): uid ? "UID SEARCH" : "SEARCH"
        case .fetch(_, _, let uid, _): uid ? "UID FETCH" : "FETCH"
        case .store(_, _, let uid): uid ? "UID STORE" : "STORE"
        case .copy(_, _, let uid): uid ? "UID COPY" : "COPY"
        case .move(_, _, let uid): uid ? "UID MOVE" : "MOVE"
        }
    }

    /// RFC 9051 §7.5.1: an EXPUNGE response may not be sent after FETCH, STORE or SEARCH by
    /// sequence number (nor COPY, whose numbers the client also relies on); UID forms may have
    /// them. Those commands still get EXISTS and FETCH FLAGS.
    public var allowsExpungeResponses: Bool {
        switch self {
        case .fetch(_, _, let uid, _), .store(_, _, let uid), .search(_, _, let uid), .copy(_, _, let uid): uid
        default: true
        }
    }
}

/// SELECT / EXAMINE parameters (RFC 4466 §2.1): CONDSTORE (RFC 7162 §3.1.8) and QRESYNC (§3.2.5).
public struct SelectParameters: Sendable, Hashable {
    /// What the client remembers of the mailbox, for QRESYNC.
    public struct QuickResync: Sendable, Hashable {
        public var uidValidity: UInt32
        public var modseq: UInt64
        /// The UIDs the client knows; nil means 1:(UIDNEXT-1).
        public var knownUIDs: SequenceSet?
        /// Message sequence match data (§3.2.5.2): sequence numbers and the UIDs the client has for them.
        public var knownSequenceNumbers: SequenceSet?
        public var knownSequenceUIDs: SequenceSet?

        public init(uidValidity: UInt32, modseq: UInt64, knownUIDs: SequenceSet? = nil,
                    knownSequenceNumbers: SequenceSet? = nil, knownSequenceUIDs: SequenceSet? = nil) {
            self.uidValidity = uidValidity; self.modseq = modseq; self.knownUIDs = knownUIDs
            self.knownSequenceNumbers = knownSequenceNumbers; self.knownSequenceUIDs = knownSequenceUIDs
        }
    }
    public var condStore: Bool
    public var quickResync: QuickResync?

    public init(condStore: Bool = false, quickResync: QuickResync? = nil) {
        self.condStore = condStore
        self.quickResync = quickResync
    }
}

/// FETCH modifiers (RFC 4466 §2.4): CHANGEDSINCE (RFC 7162 §3.1.4.1) and VANISHED (§3.2.6).
public struct FetchModifiers: Sendable, Hashable {
    public var changedSince: UInt64?
    public var vanished: Bool

    public init(changedSince: UInt64? = nil, vanished: Bool = false) {
        self.changedSince = changedSince
        self.vanished = vanished
    }
}
