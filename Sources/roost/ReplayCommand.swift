import ArgumentParser
import Foundation
import Journal
import Pipeline
import Projections

/// `roost replay`: the current pipeline (this build's checks, the config's stages and policy)
/// over messages received in the past, and which decisions would now differ and why. With
/// --apply the new decisions are appended as new filter-decision events; history is never
/// rewritten (DESIGN.md).
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-run the inbound checks over received messages and show the decisions that would change.",
        discussion: """
            --from and --until take a journal sequence number or a time (ISO 8601, or an age \
            like 2h, 7d). Only messages received on the MX listener are re-run. DNS is asked \
            again now; DKIM expiry uses the time each message arrived. --apply appends the \
            changed decisions and carries out what the policy now says about messages already \
            delivered: a message now judged junk (or reject) moves from INBOX to Junk, one no \
            longer judged junk moves from Junk back to INBOX; copies the user filed elsewhere \
            stay where they are. The server must be stopped.
            """)
    @OptionGroup var location: DataLocation
    @Option(help: "First message: a sequence number or a time.") var from: String
    @Option(help: "Last message: a sequence number or a time.") var until: String?
    @Flag(help: "Append the changed decisions as new events.") var apply = false
    @Flag(name: .customLong("dry-run"), help: "Only print what would change (the default).") var dryRun = false

    enum Bound { case sequence(UInt64), time(Int64) }

    static func bound(_ text: String) -> Bound? {
        if let n = UInt64(text) { return .sequence(n) }
        return AuditCommand.parseSince(text, now: Int64(Date().timeIntervalSince1970 * 1_000_000)).map { .time($0) }
    }

    func validate() throws {
        guard Self.bound(from) != nil else { throw ValidationError("--from: \"\(from)\" is not a sequence number or a time") }
        if let until, Self.bound(until) == nil { throw ValidationError("--until: \"\(until)\" is not a sequence number or a time") }
        if apply && dryRun { throw ValidationError("--apply and --dry-run exclude each other") }
    }

    /// One received message and what was recorded about it.
    struct Past {
        var sequence: UInt64
        var received: MessageReceived
        var recorded: [String: FilterDecision] = [:]
    }

    /// A stage whose decision would change.
    struct Change: Equatable {
        var stage: String
        var before: String
        var after: String
        var evidence: String
    }

    func run() async throws {
        let path = location.config ?? Configuration.defaultPath
        let config = try ConfigurationFile.load(path: path)
        let directory = try location.directory()
        let pasts = try Self.collect(journal: try Journal(directory: directory + "/journal", mode: .readOnly),
                                     from: Self.bound(from)!, until: until.flatMap(Self.bound))
        let resolver = config.dnsResolver()
        let envelope = config.inboundPipeline(resolver: resolver)
        let message = config.messagePipeline(resolver: resolver)
        var changed: [(Past, InboundVerdict, [Change])] = []
        for past in pasts {
            let verdict = await Self.rerun(past.received, envelope: envelope, message: message)
            let changes = Self.differences(recorded: past.recorded, now: verdict)
            if !changes.isEmpty { changed.append((past, verdict, changes)) }
        }
        for (past, _, changes) in changed {
            let id = Audit.identity(of: past.received.message).messageID ?? "(no Message-ID)"
            print("#\(past.sequence) \(id) from <\(past.received.envelope.mailFrom)>:")
            for c in changes { print("  \(c.stage): \(c.before) → \(c.after)" + (c.evidence.isEmpty ? "" : "  (\(c.evidence))")) }
        }
        print("replay: \(pasts.count) message\(pasts.count == 1 ? "" : "s") re-run, \(changed.count) would change" + (apply ? "" : " (dry run)"))
        guard apply, !changed.isEmpty else { return }

        guard case .noServer = try AdminClient.send(.userList, socket: directory + "/admin.sock") else {
            throw ValidationError("the server is running: stop it before --apply (its journal lock is held)")
        }
        let journal = try Journal(directory: directory + "/journal")
        defer { journal.close() }
        let store = try ProjectionStore(path: directory + "/projections.sqlite")
        defer { try? store.close() }
        let projector = try Projector(journal: journal, store: store)
        try await projector.catchUp()
        let context = EventContext(actor: .system("replay"), proto: "cli")
        var events: [FilterDecision] = []
        for (past, verdict, _) in changed {
            for var decision in verdict.filterDecisions(context: context, received: past.sequence) {
                decision.rules.append(RuleResult(name: "REPLAY", contributionMilli: 0, evidence: "re-run of #\(past.sequence) by roost replay"))
                events.append(decision)
            }
        }
        let moves = try Self.consequences(of: changed.map { ($0.0, $0.1) }, store: store, context: context)
        let sequences = try await journal.append(events: events.map { $0 as any EventBody } + moves.map { $0 as any EventBody }, applyingWith: projector)
        print("replay: appended \(events.count) decisions (#\(sequences.first!)–#\(sequences.last!))")
        for move in moves {
            let from = try store.mailbox(id: move.transfer.source)?.name ?? "?"
            let to = try store.mailbox(id: move.transfer.destination)?.name ?? "?"
            print("replay: moved \(move.transfer.messages.count) message\(move.transfer.messages.count == 1 ? "" : "s") from \(from) to \(to)")
        }
    }

    /// The mailbox moves the new verdicts ask for: into Junk for a message now judged junk or
    /// reject that is still in INBOX, back to INBOX for one no longer judged junk that is still
    /// in Junk. A copy the user moved elsewhere is their decision and stays.
    static func consequences(of changed: [(Past, InboundVerdict)], store: ProjectionStore,
                             context: EventContext) throws -> [MessagesMoved] {
        var grouped: [MailboxPair: [MessageRef]] = [:]
        for (past, verdict) in changed {
            let before = past.recorded["policy"]?.verdict
            let wasJunk = before == "junk" || before == "reject"
            let isJunk = verdict.action == .junk || verdict.action == .reject
            guard wasJunk != isJunk else { continue }
            for copy in try store.messages(bodySequence: past.sequence) {
                guard let mailbox = try store.mailbox(id: copy.mailbox),
                      let junk = try store.mailboxes(user: mailbox.user).first(where: { $0.specialUse.contains("\\Junk") }),
                      let inbox = try store.mailbox(user: mailbox.user, name: "INBOX") else { continue }
                if isJunk, mailbox.id == inbox.id {
                    grouped[MailboxPair(source: inbox.id, destination: junk.id), default: []].append(copy.ref)
                } else if !isJunk, mailbox.id == junk.id {
                    grouped[MailboxPair(source: junk.id, destination: inbox.id), default: []].append(copy.ref)
                }
            }
        }
        return grouped.sorted { ($0.key.source, $0.key.destination) < ($1.key.source, $1.key.destination) }
            .map { MessagesMoved(MessagesTransferred(context: context, source: $0.key.source, messages: $0.value.sorted(), destination: $0.key.destination)) }
    }

    struct MailboxPair: Hashable {
        var source: MailboxID
        var destination: MailboxID
    }

    static func collect(journal: Journal, from: Bound, until: Bound?) throws -> [Past] {
        defer { journal.close() }
        var pasts: [UInt64: Past] = [:]
        var order: [UInt64] = []
        func inRange(_ seq: UInt64, _ time: Int64) -> Bool {
            switch from {
            case .sequence(let n): if seq < n { return false }
            case .time(let t): if time < t { return false }
            }
            switch until {
            case .sequence(let n): return seq <= n
            case .time(let t): return time <= t
            case nil: return true
            }
        }
        try journal.forEach { view in
            guard let event = try? Event.decode(type: view.type, payload: view.payload) else { return }
            switch event.body {
            case let r as MessageReceived where r.envelope.listener == "mx" && inRange(view.sequence, r.envelope.receivedAt):
                pasts[view.sequence] = Past(sequence: view.sequence, received: r)
                order.append(view.sequence)
            case let d as FilterDecision where d.received != 0:
                // The latest decision of each stage counts: an earlier replay's --apply replaces it.
                pasts[d.received]?.recorded[d.stage] = d
            default:
                break
            }
        }
        return order.compactMap { pasts[$0] }
    }

    static func rerun(_ r: MessageReceived, envelope: InboundPipeline, message: InboundPipeline?) async -> InboundVerdict {
        var facts = InboundFacts(clientIP: IPAddress(r.envelope.clientIP), helo: r.envelope.helo, mailFrom: r.envelope.mailFrom,
                                 recipients: r.envelope.recipients.map(\.address), tlsVersion: r.envelope.tlsVersion, listener: r.envelope.listener)
        facts.receivedAt = r.envelope.receivedAt / 1_000_000
        let first = await envelope.evaluate(facts)
        guard let message else { return first }
        facts.message = r.message
        return await message.evaluateMessage(facts, after: first)
    }

    /// Stage by stage, "verdict (result)" before and after; the policy's verdict last.
    static func differences(recorded: [String: FilterDecision], now: InboundVerdict) -> [Change] {
        var changes: [Change] = []
        func describe(_ verdict: String, _ result: String?) -> String {
            guard let result, result != verdict else { return verdict }
            return "\(verdict) (\(result))"
        }
        for judged in now.decisions {
            let after = describe(judged.verdict, judged.decision.result)
            let before = recorded[judged.decision.stage].map { describe($0.verdict, $0.result) } ?? "not run"
            if before != after {
                changes.append(Change(stage: judged.decision.stage, before: before, after: after,
                                      evidence: judged.decision.rules.first?.evidence ?? ""))
            }
        }
        let policyBefore = recorded["policy"]?.verdict ?? "none recorded"
        if policyBefore != now.action.rawValue {
            changes.append(Change(stage: "policy", before: policyBefore, after: now.action.rawValue, evidence: now.reason))
        }
        return changes
    }
}
