public import Journal
import Synchronization

/// Which messages IMAP4rev1 sessions have already been told of, per mailbox, for the `\Recent`
/// session flag (RFC 3501 §2.3.2: "This session is the first session to have been notified about
/// this message; if the session is read-write, subsequent sessions will not see \Recent set for
/// this message"). One per `roost serve` process, shared by the IMAP listeners.
///
/// `\Recent` is session state, not mailbox state (RFC 9051 dropped it), so it is kept in memory
/// and not journalled. After a restart nothing is known, and the first session to select a
/// mailbox sees all its messages as recent ("If it is not possible to determine whether or not
/// this session is the first session to be notified about a message, then that message SHOULD
/// be considered recent").
public final class RecentMarks: Sendable {
    /// Per mailbox: the first UID no read-write session has been told of.
    private let firstUnclaimed = Mutex<[MailboxID: UInt32]>([:])

    public init() {}

    /// The first UID not yet claimed by a read-write session, or nil when nothing is known.
    /// With `claiming` (a read-write session told of messages up to `highestUID`), later
    /// sessions will not see those as recent. EXAMINE does not claim (RFC 3501 §6.3.2: it "MUST
    /// NOT cause messages to lose the \Recent flag").
    public func claim(_ mailbox: MailboxID, through highestUID: UInt32, claiming: Bool) -> UInt32? {
        firstUnclaimed.withLock { marks in
            let first = marks[mailbox]
            if claiming, highestUID >= (first ?? 0) { marks[mailbox] = highestUID &+ 1 }
            return first
        }
    }

    /// STATUS RECENT (RFC 3501 §6.3.10) counts without claiming.
    public func firstUnclaimedUID(_ mailbox: MailboxID) -> UInt32? {
        firstUnclaimed.withLock { $0[mailbox] }
    }
}

extension SelectedMailbox {
    /// An IMAP4rev1 session is told of the mailbox's messages (SELECT, EXAMINE, or EXISTS for new
    /// ones): those no read-write session was told of before become `\Recent` for this session,
    /// and the `n RECENT` response (RFC 3501 §7.3.2) follows.
    mutating func updateRecent(_ marks: RecentMarks) -> IMAPResponse {
        let first = marks.claim(mailbox, through: uids.last ?? 0, claiming: !readOnly)
        return markRecent(from: first)
    }
}
