import Foundation
import Journal
import MailMessage

/// A message's story from the journal: how it arrived, every decision about it, where it was
/// delivered, and what happened to it afterwards. Built from events only (read-only), so it
/// works with the server stopped or running.
struct AuditStory {
    struct Decision {
        var sequence: UInt64
        var time: Int64
        var event: FilterDecision
    }
    struct Happening {
        var sequence: UInt64
        var time: Int64
        /// "delivered", "appended", "queued", "flags", "copied", "moved", "expunged", "mailbox-deleted".
        var kind: String
        var actor: String
        var text: String
    }

    var sequence: UInt64
    var time: Int64
    var received: MessageReceived?
    var appended: MessageAppended?
    var messageID: String?
    var subject: String?
    var decisions: [Decision] = []
    var happenings: [Happening] = []
}

/// Names for ids, learnt while reading the journal in order.
struct AuditNames {
    var domains: [DomainID: String] = [:]
    var users: [UserID: String] = [:]
    var mailboxes: [MailboxID: (user: UserID, name: String)] = [:]

    mutating func learn(_ body: any EventBody) {
        switch body {
        case let e as DomainAdded: domains[e.domain] = e.name
        case let e as UserCreated: users[e.user] = e.localPart + "@" + (domains[e.domain] ?? "?")
        case let e as MailboxCreated: mailboxes[e.mailbox] = (e.user, e.name)
        case let e as MailboxRenamed: if let m = mailboxes[e.mailbox] { mailboxes[e.mailbox] = (m.user, e.newName) }
        default: break
        }
    }

    func user(_ id: UserID) -> String { users[id] ?? "user \(id)" }
    func mailbox(_ id: MailboxID) -> String {
        guard let m = mailboxes[id] else { return "mailbox \(id)" }
        return "\(user(m.user)) \(m.name)"
    }
    func actor(_ c: EventContext) -> String {
        var s: String
        switch c.actor {
        case .user(let id): s = user(id)
        case .system(let component): s = component
        }
        if let p = c.proto { s += " via \(p)" }
        if let a = c.clientAddress { s += " from \(a)" }
        return s
    }
}

enum Audit {
    /// Messages whose Message-ID header is `id` (angle brackets optional).
    static func find(messageID id: String, in journal: Journal) throws -> [UInt64] {
        let wanted = normalizedMessageID(id)
        var found: [UInt64] = []
        try journal.forEach { view in
            guard view.type == EventType.messageReceived.rawValue || view.type == EventType.messageAppended.rawValue,
                  let event = try? Event.decode(type: view.type, payload: view.payload) else { return }
            let bytes = (event.body as? MessageReceived)?.message ?? (event.body as? MessageAppended)?.message ?? []
            if let mid = identity(of: bytes).messageID, normalizedMessageID(mid) == wanted { found.append(view.sequence) }
        }
        return found
    }

    static func normalizedMessageID(_ s: String) -> String {
        var t = s.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("<") { t.removeFirst() }
        if t.hasSuffix(">") { t.removeLast() }
        return t
    }

    /// The Message-ID (with angle brackets) and Subject, read with the message parser (bounded
    /// and fuzzed: the bytes came from the internet).
    static func identity(of message: [UInt8]) -> (messageID: String?, subject: String?) {
        let parsed = Message(bytes: message)
        let id = parsed.field(named: "Message-ID").flatMap { MessageID.parseList(parsed.unfoldedValue(of: $0)).first }
        return (id.map { "<\($0)>" }, parsed.value(named: "Subject"))
    }

    /// The stories of `targets` (message-received or message-appended sequence numbers), in one
    /// pass over the journal; `names` learns every id's name on the way.
    static func stories(_ targets: Set<UInt64>, in journal: Journal, names: inout AuditNames) throws -> [AuditStory] {
        var stories: [UInt64: AuditStory] = [:]
        // Where each story's message is now: (mailbox, ref) → target.
        var live: [MailboxID: [MessageRef: UInt64]] = [:]
        try journal.forEach { view in
            guard let event = try? Event.decode(type: view.type, payload: view.payload) else { return }
            names.learn(event.body)
            let seq = view.sequence, time = view.timestamp
            func add(_ target: UInt64, _ kind: String, _ context: EventContext, _ text: String) {
                stories[target]?.happenings.append(.init(sequence: seq, time: time, kind: kind, actor: names.actor(context), text: text))
            }
            switch event.body {
            case let e as MessageReceived where targets.contains(seq):
                var story = AuditStory(sequence: seq, time: time, received: e)
                (story.messageID, story.subject) = identity(of: e.message)
                stories[seq] = story
            case let e as MessageAppended where targets.contains(seq):
                var story = AuditStory(sequence: seq, time: time, appended: e)
                (story.messageID, story.subject) = identity(of: e.message)
                stories[seq] = story
                live[e.mailbox, default: [:]][MessageRef(event: seq)] = seq
                add(seq, "appended", e.context, "appended to \(names.mailbox(e.mailbox))" + flagText(e.flags))
            case let e as FilterDecision where stories[e.received] != nil:
                stories[e.received]!.decisions.append(.init(sequence: seq, time: time, event: e))
            case let e as MessageDelivered where stories[e.received] != nil:
                live[e.mailbox, default: [:]][MessageRef(event: seq)] = e.received
                add(e.received, "delivered", e.context, "delivered to \(names.mailbox(e.mailbox)) for <\(e.recipient)>" + flagText(e.flags))
            case let e as OutboundQueued where stories[e.received] != nil:
                add(e.received, "queued", e.context, "queued for outbound delivery to " + e.recipients.map { "<\($0.address)>" }.joined(separator: ", "))
            case let e as FlagsChanged:
                for target in Set(e.messages.compactMap { live[e.mailbox]?[$0] }) {
                    let op = switch e.operation { case .add: "+"; case .remove: "-"; case .replace: "=" }
                    add(target, "flags", e.context, "flags \(op)\(e.flags.joined(separator: " \(op)")) in \(names.mailbox(e.mailbox))")
                }
            case let e as MessagesCopied:
                transfer(e.transfer, move: false)
            case let e as MessagesMoved:
                transfer(e.transfer, move: true)
            case let e as MessagesExpunged:
                for ref in e.messages {
                    if let target = live[e.mailbox]?.removeValue(forKey: ref) {
                        add(target, "expunged", e.context, "expunged from \(names.mailbox(e.mailbox))")
                    }
                }
            case let e as MailboxDeleted:
                for target in Set((live.removeValue(forKey: e.mailbox) ?? [:]).values) {
                    add(target, "mailbox-deleted", e.context, "\(names.mailbox(e.mailbox)) deleted with the message in it")
                }
            default: break
            }
            func transfer(_ t: MessagesTransferred, move: Bool) {
                for (ordinal, ref) in t.messages.enumerated() {
                    guard let target = live[t.source]?[ref] else { continue }
                    if move { live[t.source]![ref] = nil }
                    live[t.destination, default: [:]][MessageRef(event: seq, ordinal: UInt32(ordinal))] = target
                    add(target, move ? "moved" : "copied", t.context,
                        "\(move ? "moved" : "copied") from \(names.mailbox(t.source)) to \(names.mailbox(t.destination))")
                }
            }
        }
        return targets.sorted().compactMap { stories[$0] }
    }

    private static func flagText(_ flags: [String]) -> String { flags.isEmpty ? "" : " with flags " + flags.joined(separator: " ") }

    /// Decisions made for transactions refused before a message existed (`received` 0), one
    /// group per refusal, from `since` (microseconds) on.
    static func rejected(in journal: Journal, since: Int64, names: inout AuditNames) throws -> [[AuditStory.Decision]] {
        var groups: [[AuditStory.Decision]] = []
        var previous: UInt64 = 0
        try journal.forEach { view in
            guard let event = try? Event.decode(type: view.type, payload: view.payload) else { return }
            names.learn(event.body)
            guard let d = event.body as? FilterDecision, d.received == 0, view.timestamp >= since else { return }
            let decision = AuditStory.Decision(sequence: view.sequence, time: view.timestamp, event: d)
            // One refusal's decisions are one batch: consecutive, same time and client.
            if let last = groups.last?.last, last.sequence == previous, last.time == view.timestamp,
               last.event.context == d.context, last.event.stage != "policy" {
                groups[groups.count - 1].append(decision)
            } else {
                groups.append([decision])
            }
            previous = view.sequence
        }
        return groups
    }
}

// MARK: Rendering

extension Audit {
    static func points(_ milli: Int64) -> String {
        let sign = milli < 0 ? "-" : ""
        let m = milli.magnitude
        var fraction = String(m % 1000)
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return sign + String(m / 1000) + (fraction.isEmpty ? "" : "." + fraction)
    }

    static func text(_ story: AuditStory, names: AuditNames) -> String {
        var out: [String] = []
        if let r = story.received {
            let e = r.envelope
            out.append("message \(story.sequence), received \(formatTimestamp(story.time)) (\(r.message.count) bytes)")
            if let id = story.messageID { out.append("  Message-ID: \(id)") }
            if let s = story.subject { out.append("  Subject: \(s)") }
            out.append("  envelope: MAIL FROM:<\(e.mailFrom)>" + (e.mailParameters.isEmpty ? "" : " " + e.mailParameters.map(parameter).joined(separator: " ")))
            for rcpt in e.recipients { out.append("            RCPT TO:<\(rcpt.address)>") }
            var client = "  client: \(e.clientIP)" + (e.clientPort.map { " port \($0)" } ?? "") + ", HELO \(e.helo), listener \(e.listener), \(e.withProtocol)"
            if let tls = e.tlsVersion { client += ", \(tls)" }
            if let user = e.authenticatedUser { client += ", authenticated as \(names.user(user))" + (e.authenticationMechanism.map { " (\($0))" } ?? "") }
            out.append(client)
        } else if let a = story.appended {
            out.append("message \(story.sequence), appended \(formatTimestamp(story.time)) by \(names.actor(a.context)) (\(a.message.count) bytes)")
            if let id = story.messageID { out.append("  Message-ID: \(id)") }
            if let s = story.subject { out.append("  Subject: \(s)") }
        }
        out.append("decisions:" + (story.decisions.isEmpty ? " none recorded" : ""))
        for d in story.decisions { out += decisionLines(d) }
        out.append("history:")
        for h in story.happenings {
            out.append("  #\(h.sequence) \(formatTimestamp(h.time)) \(h.text) (by \(h.actor))")
        }
        return out.joined(separator: "\n")
    }

    static func decisionLines(_ d: AuditStory.Decision) -> [String] {
        let e = d.event
        var lines = ["  #\(d.sequence) \(e.stage): \(e.verdict)" + (e.result.isEmpty || e.result == e.verdict ? "" : " (\(e.result))") + ", score \(points(e.scoreMilli))"]
        for rule in e.rules {
            lines.append("      \(rule.name) \(points(rule.contributionMilli)): \(rule.evidence)")
        }
        return lines
    }

    static func rejectedText(_ group: [AuditStory.Decision], names: AuditNames) -> String {
        let first = group[0].event
        var head: String = "refused \(formatTimestamp(group[0].time)): client " + (first.context.clientAddress ?? "?")
        if let helo = first.helo { head += ", HELO \(helo)" }
        if let from = first.mailFrom { head += ", MAIL FROM:<\(from)>" }
        if !first.recipients.isEmpty { head += ", RCPT TO " + first.recipients.map { "<\($0)>" }.joined(separator: ", ") }
        var out: [String] = [head]
        for d in group { out += decisionLines(d) }
        return out.joined(separator: "\n")
    }

    private static func parameter(_ p: SMTPParameter) -> String { p.value.map { "\(p.keyword)=\($0)" } ?? p.keyword }

    static func json(_ d: AuditStory.Decision) -> [String: Any] {
        let e = d.event
        var o: [String: Any] = [
            "sequence": d.sequence, "time": formatTimestamp(d.time), "stage": e.stage, "verdict": e.verdict, "result": e.result,
            "score": points(e.scoreMilli), "scoreMilli": e.scoreMilli,
            "rules": e.rules.map { ["name": $0.name, "score": points($0.contributionMilli), "scoreMilli": $0.contributionMilli, "evidence": $0.evidence] },
        ]
        if let c = e.context.clientAddress { o["client"] = c }
        if let m = e.mailFrom { o["mailFrom"] = m }
        if let h = e.helo { o["helo"] = h }
        if !e.recipients.isEmpty { o["recipients"] = e.recipients }
        return o
    }

    static func json(_ story: AuditStory, names: AuditNames) -> [String: Any] {
        var o: [String: Any] = ["sequence": story.sequence, "time": formatTimestamp(story.time)]
        if let id = story.messageID { o["messageId"] = id }
        if let s = story.subject { o["subject"] = s }
        if let r = story.received {
            let e = r.envelope
            o["size"] = r.message.count
            var envelope: [String: Any] = [
                "mailFrom": e.mailFrom, "recipients": e.recipients.map(\.address), "clientIP": e.clientIP, "helo": e.helo,
                "listener": e.listener, "protocol": e.withProtocol, "mailParameters": e.mailParameters.map(parameter),
            ]
            if let p = e.clientPort { envelope["clientPort"] = Int(p) }
            if let t = e.tlsVersion { envelope["tls"] = t }
            if let u = e.authenticatedUser { envelope["authenticatedUser"] = names.user(u) }
            o["envelope"] = envelope
        } else if let a = story.appended {
            o["size"] = a.message.count
            o["appendedBy"] = names.actor(a.context)
        }
        o["decisions"] = story.decisions.map(json)
        o["history"] = story.happenings.map {
            ["sequence": $0.sequence, "time": formatTimestamp($0.time), "kind": $0.kind, "actor": $0.actor, "text": $0.text] as [String: Any]
        }
        return o
    }
}
