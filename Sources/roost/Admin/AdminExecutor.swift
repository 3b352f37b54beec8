import Foundation
import Frontends
import Journal
import Projections

/// Carries out admin requests as journal events, waiting until they are applied before it
/// answers (DESIGN.md invariant 2). The same code runs inside `roost serve` (for the admin socket)
/// and in the CLI when no server runs.
struct AdminExecutor: Sendable {
    let journal: Journal
    let projector: Projector
    var store: ProjectionStore { projector.store }
    let context: EventContext

    /// The mailboxes every new user gets (RFC 6154 special-use), created by events here.
    static let standardMailboxes: [(name: String, specialUse: String?)] = [
        ("INBOX", nil), ("Sent", "\\Sent"), ("Drafts", "\\Drafts"), ("Junk", "\\Junk"),
        ("Trash", "\\Trash"), ("Archive", "\\Archive"),
    ]

    func execute(_ request: AdminRequest) async -> AdminResponse {
        do {
            return try await run(request)
        } catch {
            return .failure("error: \(error)")
        }
    }

    private func run(_ request: AdminRequest) async throws -> AdminResponse {
        switch request {
        case .userAdd(let address, let hash):
            return try await addUser(address: address, passwordHash: hash)
        case .userPasswd(let address, let hash):
            guard let user = try store.user(address: address) else { return .failure("no such user: \(address)") }
            let seq = try await append([PasswordChanged(context: context, user: user.id, passwordHash: hash)])
            return AdminResponse(ok: true, lines: ["password changed for \(user.address) (event \(seq))"])
        case .userDel(let address):
            guard let user = try store.user(address: address) else { return .failure("no such user: \(address)") }
            let seq = try await append([UserDeleted(context: context, user: user.id)])
            return AdminResponse(ok: true, lines: ["deleted \(user.address) and their mailboxes (event \(seq))"])
        case .userList:
            return AdminResponse(ok: true, lines: try store.users().map(\.address))
        case .userImport(let entries):
            var lines: [String] = []
            var ok = true
            for entry in entries {
                guard PasswordHash.isSupported(entry.passwordHash) else {
                    lines.append("skipped \(entry.address): its password hash method is not supported by libcrypt")
                    ok = false
                    continue
                }
                let result = try await addUser(address: entry.address, passwordHash: entry.passwordHash)
                lines += result.lines
                ok = ok && result.ok
            }
            return AdminResponse(ok: ok, lines: lines)
        case .aliasAdd(let address, let targets):
            return try await addAlias(address: address, targets: targets)
        case .aliasDel(let address):
            let seq = try await append([AliasRemoved(context: context, address: address.lowercased())])
            return AdminResponse(ok: true, lines: ["removed alias \(address) (event \(seq))"])
        case .aliasList:
            return AdminResponse(ok: true, lines: try store.aliases().map { "\($0.address) -> \($0.targets.joined(separator: ", "))" })
        case .domainAdd(let name):
            let name = name.lowercased()
            if try store.isLocalDomain(name) { return AdminResponse(ok: true, lines: ["\(name) is already a local domain"]) }
            let seq = try await append([DomainAdded(context: context, domain: .random(), name: name)])
            return AdminResponse(ok: true, lines: ["added domain \(name) (event \(seq))"])
        case .domainDel(let name):
            guard let domain = try store.domains().first(where: { $0.name == name.lowercased() }) else {
                return .failure("no such domain: \(name)")
            }
            let users = try store.users().filter { $0.domain == domain.id }
            guard users.isEmpty else {
                return .failure("domain \(name) still has users (\(users.map(\.address).joined(separator: ", "))); delete them first")
            }
            let seq = try await append([DomainRemoved(context: context, domain: domain.id)])
            return AdminResponse(ok: true, lines: ["removed domain \(name) (event \(seq))"])
        case .domainList:
            return AdminResponse(ok: true, lines: try store.domains().map(\.name))
        }
    }

    /// Appends and waits until applied; returns the last sequence number.
    private func append(_ events: [any EventBody]) async throws -> UInt64 {
        try await journal.append(events: events, applyingWith: projector).last!
    }

    private func addUser(address: String, passwordHash: String) async throws -> AdminResponse {
        let address = address.lowercased()
        guard let at = address.lastIndex(of: "@"), at != address.startIndex, address.index(after: at) != address.endIndex else {
            return .failure("\(address) is not an address (user@domain)")
        }
        let local = String(address[..<at]), domainName = String(address[address.index(after: at)...])
        guard !local.contains("+") else { return .failure("a user's address cannot contain '+': it is the subaddress separator") }
        if try store.user(address: address) != nil { return .failure("user \(address) exists already") }
        var events: [any EventBody] = []
        let domain: DomainID
        if let existing = try store.domains().first(where: { $0.name == domainName }) {
            domain = existing.id
        } else {
            domain = .random()
            events.append(DomainAdded(context: context, domain: domain, name: domainName))
        }
        let user = UserID.random()
        events.append(UserCreated(context: context, user: user, domain: domain, localPart: local, passwordHash: passwordHash))
        for box in AdminExecutor.standardMailboxes {
            events.append(MailboxCreated(context: context, mailbox: .random(), user: user, name: box.name,
                                         uidValidity: UInt32.random(in: 1...UInt32.max), specialUse: box.specialUse.map { [$0] } ?? []))
            events.append(MailboxSubscribed(MailboxSubscription(context: context, user: user, name: box.name)))
        }
        let seq = try await append(events)
        return AdminResponse(ok: true, lines: ["added \(address) with INBOX, Sent, Drafts, Junk, Trash, Archive (event \(seq))"])
    }

    private func addAlias(address: String, targets: [String]) async throws -> AdminResponse {
        let address = address.lowercased()
        guard let at = address.lastIndex(of: "@") else { return .failure("\(address) is not an address (local@domain, or @domain for a catch-all)") }
        let domainName = String(address[address.index(after: at)...])
        guard try store.isLocalDomain(domainName) else { return .failure("\(domainName) is not a local domain; `roost domain add \(domainName)` first") }
        guard !targets.isEmpty else { return .failure("an alias needs at least one target") }
        var users: [UserID] = [], forwards: [String] = []
        for target in targets {
            if let user = try store.user(address: target) {
                users.append(user.id)
            } else if let targetDomain = target.split(separator: "@").last, try store.isLocalDomain(String(targetDomain)) {
                return .failure("no such local user: \(target)")
            } else if target.contains("@") {
                forwards.append(target)
            } else {
                return .failure("\(target) is not an address")
            }
        }
        let kind: AliasAdded.Kind = address.hasPrefix("@") ? .catchAll : (users.isEmpty ? .forward : .alias)
        let seq = try await append([AliasAdded(context: context, address: address, kind: kind, users: users, forwardTo: forwards)])
        return AdminResponse(ok: true, lines: ["\(address) -> \(targets.joined(separator: ", ")) (event \(seq))"])
    }
}
