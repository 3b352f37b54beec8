public import Journal

/// A small, fast, seedable generator (SplitMix64), so a failing random test can be replayed from
/// the seed it prints.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Produces plausible event sequences (accounts, mailboxes, deliveries, appends, flag changes,
/// copies, moves, expunges, renames, deletions) for several users, with occasional references to
/// things that no longer exist. It tracks what it believes exists; the journal's sequence numbers
/// are fed back with `appended(_:sequences:)` so later events can refer to earlier ones.
public struct RandomEventSource {
    public var generator: SeededGenerator
    private var domain = DomainID(rawValue: 0)
    private var users: [UserID] = []
    private var mailboxes: [(id: MailboxID, user: UserID, name: String)] = []
    /// Messages believed to be in each mailbox.
    private var messages: [MailboxID: [MessageRef]] = [:]
    private var received: [UInt64] = []
    private var pending: [Pending] = []
    private var counter = 0

    private enum Pending {
        case none
        case received
        case placed(MailboxID, count: Int)
        case moved(from: MailboxID, refs: [MessageRef], to: MailboxID)
    }

    public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    private mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &generator) < percent }
    private mutating func pick<T>(_ items: [T]) -> T? { items.isEmpty ? nil : items[Int.random(in: 0..<items.count, using: &generator)] }
    private var context: EventContext { .system("test") }

    /// The next batch of 1–4 events; pass the sequence numbers the journal gave them to
    /// `appended(sequences:)` before asking for another.
    public mutating func nextBatch() -> [any EventBody] {
        var batch: [any EventBody] = []
        pending = []
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            let (event, note) = nextEvent()
            batch.append(event)
            pending.append(note)
        }
        return batch
    }

    public mutating func appended(sequences: [UInt64]) {
        for (note, seq) in zip(pending, sequences) {
            switch note {
            case .none: break
            case .received: received.append(seq)
            case .placed(let mailbox, let count):
                for ordinal in 0..<count { messages[mailbox, default: []].append(MessageRef(event: seq, ordinal: UInt32(ordinal))) }
            case .moved(let from, let refs, let to):
                messages[from]?.removeAll { refs.contains($0) }
                for ordinal in 0..<refs.count { messages[to, default: []].append(MessageRef(event: seq, ordinal: UInt32(ordinal))) }
            }
        }
        pending = []
    }

    private mutating func nextEvent() -> (any EventBody, Pending) {
        counter += 1
        if domain.rawValue == 0 {
            domain = DomainID.random(using: &generator)
            return (DomainAdded(context: context, domain: domain, name: "example.org"), .none)
        }
        if users.count < 2 || (users.count < 5 && chance(3)) {
            let user = UserID.random(using: &generator)
            users.append(user)
            return (UserCreated(context: context, user: user, domain: domain, localPart: "user\(counter)",
                                passwordHash: "$y$test$\(counter)"), .none)
        }
        let user = pick(users)!
        let own = mailboxes.filter { $0.user == user }
        if own.count < 2 || chance(4) {
            let mailbox = MailboxID.random(using: &generator)
            let name = own.isEmpty ? "INBOX" : "Folder\(counter)"
            mailboxes.append((mailbox, user, name))
            return (MailboxCreated(context: context, mailbox: mailbox, user: user, name: name,
                                   uidValidity: UInt32.random(in: 1...UInt32.max, using: &generator),
                                   specialUse: chance(30) ? ["\\Archive"] : []), .none)
        }
        let box = pick(own)!
        let present = messages[box.id] ?? []
        let roll = Int.random(in: 0..<100, using: &generator)
        switch roll {
        case 0..<15:
            let body = Array("Subject: test \(counter)\r\nFrom: a@example.net\r\n\r\n".utf8) + (0..<Int.random(in: 0...400, using: &generator)).map { UInt8(65 + $0 % 26) }
            let envelope = Envelope(mailFrom: "a@example.net", recipients: [.init(address: "user@example.org")],
                                    clientIP: "192.0.2.1", helo: "client.example.net", receivedAt: Int64(counter) * 1_000_000)
            return (MessageReceived(context: context, envelope: envelope, message: body), .received)
        case 15..<35 where !received.isEmpty:
            return (MessageDelivered(context: context, received: pick(received)!, recipient: "user@example.org", user: user,
                                     mailbox: box.id, addedHeader: Array("X-Test: \(counter)\r\n".utf8),
                                     flags: chance(30) ? ["\\Seen"] : []), .placed(box.id, count: 1))
        case 15..<45:
            let body = Array("Subject: appended \(counter)\r\n\r\nhello".utf8)
            return (MessageAppended(context: context, mailbox: box.id, flags: chance(50) ? ["\\Draft", "$Label\(counter % 3)"] : [],
                                    internalDate: Int64(counter) * 7_000_000, message: body), .placed(box.id, count: 1))
        case 45..<65:
            let refs = pickSome(present) + (chance(10) ? [MessageRef(event: 999_999)] : [])
            let ops: [FlagsChanged.Operation] = [.add, .remove, .replace]
            let flags = pickSome(["\\Seen", "\\Flagged", "\\Answered", "\\Deleted", "$Junk", "work"])
            return (FlagsChanged(context: context, mailbox: box.id, messages: refs, operation: pick(ops)!, flags: flags), .none)
        case 65..<75:
            guard let target = pick(mailboxes.filter { $0.user == user }) else { break }
            let refs = pickSome(present)
            return (MessagesCopied(MessagesTransferred(context: context, source: box.id, messages: refs, destination: target.id)),
                    .placed(target.id, count: refs.count))
        case 75..<83:
            guard let target = pick(mailboxes.filter { $0.user == user && $0.id != box.id }) else { break }
            let refs = pickSome(present)
            return (MessagesMoved(MessagesTransferred(context: context, source: box.id, messages: refs, destination: target.id)),
                    .moved(from: box.id, refs: refs, to: target.id))
        case 83..<91:
            let refs = pickSome(present)
            messages[box.id]?.removeAll { refs.contains($0) }
            return (MessagesExpunged(context: context, mailbox: box.id, messages: refs), .none)
        case 91..<94:
            return (MailboxRenamed(context: context, mailbox: box.id, newName: "Renamed\(counter)"), .none)
        case 94..<96 where box.name != "INBOX":
            mailboxes.removeAll { $0.id == box.id }
            messages[box.id] = nil
            return (MailboxDeleted(context: context, mailbox: box.id), .none)
        case 96..<98:
            let subscription = MailboxSubscription(context: context, user: user, name: box.name)
            return chance(70) ? (MailboxSubscribed(subscription), .none) : (MailboxUnsubscribed(subscription), .none)
        default:
            if chance(30), let r = pick(received) {
                return (FilterDecision(context: context, received: r, stage: "spam", verdict: "accept", scoreMilli: Int64(counter % 5000),
                                       rules: [RuleResult(name: "TEST", contributionMilli: 100, evidence: "e")]), .none)
            }
            if chance(10) && users.count > 2 {
                let victim = users.removeLast()
                let gone = mailboxes.filter { $0.user == victim }.map(\.id)
                mailboxes.removeAll { $0.user == victim }
                for m in gone { messages[m] = nil }
                return (UserDeleted(context: context, user: victim), .none)
            }
            return (AliasAdded(context: context, address: "alias\(counter % 7)@example.org", kind: .alias, users: [user]), .none)
        }
        let body = Array("Subject: fallback \(counter)\r\n\r\nx".utf8)
        return (MessageAppended(context: context, mailbox: box.id, internalDate: Int64(counter), message: body), .placed(box.id, count: 1))
    }

    private mutating func pickSome<T>(_ items: [T]) -> [T] {
        guard !items.isEmpty else { return [] }
        let count = Int.random(in: 1...min(items.count, 5), using: &generator)
        return (0..<count).compactMap { _ in pick(items) }.reduce(into: [T]()) { acc, x in acc.append(x) }
    }
}

extension StableID {
    static func random(using generator: inout SeededGenerator) -> Self {
        Self(rawValue: UInt64.random(in: 1...UInt64.max, using: &generator))
    }
}
