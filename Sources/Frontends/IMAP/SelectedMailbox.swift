public import Journal
public import Projections
import MailMessage

/// The selected mailbox as one session sees it (RFC 9051 §2.3.1.2): message sequence numbers
/// in UID order, and the flags last told to the client. Pure: `synchronize` compares it with the
/// projection's current messages and returns the untagged responses that bring the client up
/// to date, honouring the rule that EXPUNGE responses are held back while a command by
/// sequence number runs (RFC 9051 §7.5.1).
public struct SelectedMailbox: Sendable, Hashable {
    public var mailbox: MailboxID
    public var name: String
    public var uidValidity: UInt32
    public var readOnly: Bool
    /// Message sequence number n is `uids[n - 1]`.
    public private(set) var uids: [UInt32]
    /// The flags the client was last told (or was given at SELECT).
    public private(set) var flags: [UInt32: [String]]
    /// UIDs expunged elsewhere whose EXPUNGE has not been sent yet: their numbers still count.
    public private(set) var expungedPending: Set<UInt32> = []
    /// The result of the last SEARCH with RETURN (SAVE) (RFC 5182), as UIDs.
    public var savedSearch: [UInt32] = []
    /// The messages that are `\Recent` in this session (IMAP4rev1 only; `RecentMarks`).
    public private(set) var recent: Set<UInt32> = []

    public init(_ info: MailboxInfo, messages: [MessageInfo], readOnly: Bool) {
        mailbox = info.id
        name = info.name
        uidValidity = info.uidValidity
        self.readOnly = readOnly
        let sorted = messages.sorted { $0.uid < $1.uid }
        uids = sorted.map(\.uid)
        flags = Dictionary(sorted.map { ($0.uid, $0.flags) }, uniquingKeysWith: { a, _ in a })
    }

    public var count: Int { uids.count }

    public func sequenceNumber(of uid: UInt32) -> Int? {
        var lo = 0, hi = uids.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            if uids[mid] == uid { return mid + 1 }
            if uids[mid] < uid { lo = mid + 1 } else { hi = mid - 1 }
        }
        return nil
    }

    /// A set that names a message that does not exist (RFC 9051 §6.4.8: a sequence number
    /// above the number of messages is invalid; UIDs that name nothing are simply skipped).
    public struct InvalidSet: Error, Sendable, Hashable {}

    /// The messages a set names, in sequence order, without duplicates; messages expunged
    /// elsewhere but not yet announced are left out.
    public func resolve(_ set: SequenceSet, uid: Bool) throws(InvalidSet) -> [(number: Int, uid: UInt32)] {
        if set.isSaved {
            return savedSearch.compactMap { u in sequenceNumber(of: u).map { ($0, u) } }
                .filter { !expungedPending.contains($0.1) }
        }
        if set.ranges.count == 1, let only = set.ranges.first {
            // One range (1:*, the common case) is already in order without duplicates: no set needed.
            return try resolve(only, uid: uid)
        }
        var numbers = Set<Int>()
        if uid {
            guard let last = uids.last else { return [] }
            for r in set.ranges {
                let a = r.from.value(last: last), b = r.to.value(last: last)
                let low = min(a, b), high = max(a, b)
                var k = lowerBound(low)
                while k < uids.count, uids[k] <= high {
                    numbers.insert(k + 1)
                    k += 1
                }
            }
        } else {
            let last = UInt32(uids.count)
            for r in set.ranges {
                let a = r.from.value(last: last), b = r.to.value(last: last)
                guard a >= 1, b >= 1, a <= last, b <= last else { throw InvalidSet() }
                for n in Int(min(a, b))...Int(max(a, b)) { numbers.insert(n) }
            }
        }
        return numbers.sorted().compactMap { n in
            let u = uids[n - 1]
            return expungedPending.contains(u) ? nil : (n, u)
        }
    }

    private func resolve(_ r: SequenceSet.Range, uid: Bool) throws(InvalidSet) -> [(number: Int, uid: UInt32)] {
        var out: [(number: Int, uid: UInt32)] = []
        if uid {
            guard let last = uids.last else { return [] }
            let a = r.from.value(last: last), b = r.to.value(last: last)
            var k = lowerBound(min(a, b))
            let high = max(a, b)
            while k < uids.count, uids[k] <= high {
                if !expungedPending.contains(uids[k]) { out.append((k + 1, uids[k])) }
                k += 1
            }
        } else {
            let last = UInt32(uids.count)
            let a = r.from.value(last: last), b = r.to.value(last: last)
            guard a >= 1, b >= 1, a <= last, b <= last else { throw InvalidSet() }
            out.reserveCapacity(Int(max(a, b) - min(a, b)) + 1)
            for n in Int(min(a, b))...Int(max(a, b)) where !expungedPending.contains(uids[n - 1]) { out.append((n, uids[n - 1])) }
        }
        return out
    }

    private func lowerBound(_ uid: UInt32) -> Int {
        var lo = 0, hi = uids.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if uids[mid] < uid { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Records flags the client has been told by the command itself (STORE, FETCH setting \Seen).
    public mutating func told(uid: UInt32, flags newFlags: [String]) {
        if flags[uid] != nil { flags[uid] = newFlags }
    }

    /// The untagged responses for what changed since the client was last told: EXPUNGE (only if
    /// `expungeAllowed`), EXISTS for new messages, FETCH FLAGS for changed flags. `current` is
    /// the projection's messages of this mailbox in UID order. With `modseq` (CONDSTORE on) the
    /// FETCH responses carry UID and MODSEQ (RFC 7162 §3.2.4); with `vanished` (QRESYNC on)
    /// expunges are told as one `VANISHED` (RFC 7162 §3.2.10.2).
    public mutating func synchronize(with current: [MessageInfo], expungeAllowed: Bool, includeUID: Bool = false,
                                     modseq: Bool = false, vanished: Bool = false) -> [IMAPResponse] {
        var responses: [IMAPResponse] = []
        let present = Set(current.map(\.uid))
        for uid in uids where !present.contains(uid) { expungedPending.insert(uid) }
        if expungeAllowed, vanished, !expungedPending.isEmpty {
            // Only UIDs the client was told about (RFC 7162 §3.2.10.2), which is all of `uids`.
            let gone = uids.filter { expungedPending.contains($0) }
            for uid in gone { flags[uid] = nil }
            uids.removeAll { expungedPending.contains($0) }
            expungedPending.removeAll()
            if !gone.isEmpty { responses.append(.data(Array("VANISHED \(Self.compactSet(gone))".utf8))) }
        }
        if expungeAllowed, !expungedPending.isEmpty {
            // Highest number first: each EXPUNGE renumbers only the messages after it.
            for n in stride(from: uids.count, through: 1, by: -1) where expungedPending.contains(uids[n - 1]) {
                responses.append(.data(Array("\(n) EXPUNGE".utf8)))
                flags[uids[n - 1]] = nil
                recent.remove(uids[n - 1])
                uids.remove(at: n - 1)
            }
            expungedPending.removeAll()
        }
        let highest = uids.last ?? 0
        var added = false
        for message in current where message.uid > highest {
            uids.append(message.uid)
            flags[message.uid] = message.flags
            added = true
        }
        if added { responses.append(.data(Array("\(uids.count) EXISTS".utf8))) }
        for message in current {
            guard let known = flags[message.uid], known != message.flags, let n = sequenceNumber(of: message.uid) else { continue }
            flags[message.uid] = message.flags
            var w = IMAPWriter()
            w.number(n)
            w.raw(" FETCH (")
            if includeUID || modseq {
                w.raw("UID ")
                w.number(Int(message.uid))
                w.space()
            }
            w.raw("FLAGS ")
            Self.writeFlags(flagsWithRecent(message), into: &w)
            if modseq {
                w.raw(" MODSEQ (")
                w.number(Int(message.modseq))
                w.raw(")")
            }
            w.raw(")")
            responses.append(.data(w.bytes))
        }
        return responses
    }

    /// Makes the messages with UIDs from `first` on recent in this session (all of them when
    /// `first` is nil: nothing is known) and returns `n RECENT`, n counting them all.
    public mutating func markRecent(from first: UInt32?) -> IMAPResponse {
        let from = first ?? 0
        for uid in uids.reversed() {
            guard uid >= from else { break }
            recent.insert(uid)
        }
        return .data(Array("\(recent.count) RECENT".utf8))
    }

    /// A message's flags as this session shows them: with `\Recent` if it is recent here.
    public func flagsWithRecent(_ message: MessageInfo) -> [String] {
        recent.contains(message.uid) ? message.flags + ["\\Recent"] : message.flags
    }

    /// Ascending numbers as a compact `sequence-set`: runs become ranges (`1:3,7`).
    static func compactSet(_ sorted: [UInt32]) -> String {
        var parts: [String] = []
        var k = 0
        while k < sorted.count {
            var end = k
            while end + 1 < sorted.count, sorted[end + 1] == sorted[end] &+ 1 { end += 1 }
            parts.append(end > k ? "\(sorted[k]):\(sorted[end])" : "\(sorted[k])")
            k = end + 1
        }
        return parts.joined(separator: ",")
    }

    /// RFC 7162 §3.2.5.2: walking the client's (sequence number, UID) pairs in order, the UID of
    /// the last pair that still matches this mailbox; no UID at or below it is reported vanished.
    /// Roost remembers every expunge, so this only trims the answer. Bounded by the mailbox size:
    /// the walk stops at the first pair past the last message or out of order.
    public func sequenceMatchFloor(_ q: SelectParameters.QuickResync) -> UInt32 {
        guard let numbers = q.knownSequenceNumbers, let known = q.knownSequenceUIDs else { return 0 }
        var n = SetWalker(numbers), u = SetWalker(known)
        var floor: UInt32 = 0, lastNumber: UInt32 = 0
        while let number = n.next(), let uid = u.next() {
            guard number > lastNumber, Int(number) <= uids.count, uids[Int(number) - 1] == uid else { break }
            floor = uid
            lastNumber = number
        }
        return floor
    }

    static func writeFlags(_ flags: [String], into w: inout IMAPWriter) {
        w.open()
        for (k, flag) in flags.enumerated() {
            if k > 0 { w.space() }
            w.raw(Array(flag.utf8))
        }
        w.close()
    }
}
