import Journal
import NIOCore
import Projections

extension IMAPSession {
    // MARK: IDLE (RFC 2177, RFC 9051 §6.3.13)

    /// Sends `+ idling`, then reports changes to the selected mailbox as they are applied
    /// (the projector's change stream wakes a helper task, which owns the selected-mailbox
    /// state until the client's DONE) and ends on DONE.
    func idle(_ tag: String) async throws {
        try synchronize(expungeAllowed: true)
        send(.continuation("idling"))
        try await flush()
        var watcher: Task<(SelectedMailbox, MailboxListing), Never>?
        if let mailbox = selected, let startListing = listing {
            // The projector's last change to the mailbox when `synchronize` left the listing
            // current (read before `listing` goes, which forgets it).
            let currentAt = listingCurrent?.change
            // The helper owns both until DONE; taken out here so that its updates copy nothing.
            listing = nil
            selected = nil
            let changes = handler.projector.changes(for: mailbox.mailbox)
            let projector = handler.projector
            let writer = connection.sharedWriter
            let store = self.store
            let logger = self.logger
            let recent: RecentMarks? = self.state.rev2 ? nil : handler.recent
            let modseq = state.condStore, vanished = state.qresync
            watcher = Task {
                var state = mailbox
                var listing = startListing
                func update() async -> Bool {
                    do {
                        let changes = try store.changes(mailbox: state.mailbox, since: listing.modseq)
                        guard let info = changes.mailbox else { return false }
                        guard info.highestModseq > listing.modseq else { return true }
                        listing.apply(changed: changes.changed, expunged: changes.expunged, through: info.highestModseq)
                        let highest = state.uids.last ?? 0
                        var responses = state.synchronize(with: listing.messages, expungeAllowed: true,
                                                          modseq: modseq, vanished: vanished)
                        if let recent, state.uids.last ?? 0 > highest { responses.append(state.updateRecent(recent)) }
                        guard !responses.isEmpty else { return true }
                        var bytes: [UInt8] = []
                        for r in responses { IMAPEncoder.encode(r, into: &bytes) }
                        try await writer.write(ByteBuffer(bytes: bytes))
                        return true
                    } catch {
                        logger.info("IDLE update failed", metadata: ["error": "\(error)"])
                        return false
                    }
                }
                // Catch what was applied between the synchronize above and the subscription (the
                // stream has everything after it); nothing to read when the mailbox has not changed.
                if currentAt == nil || projector.lastChange(of: state.mailbox) != currentAt {
                    guard await update() else { return (state, listing) }
                }
                for await _ in changes {
                    if Task.isCancelled { break }
                    guard await update() else { break }
                }
                return (state, listing)
            }
        }
        let frame = try await connection.next()
        watcher?.cancel()
        if let watcher {
            let (state, updated) = await watcher.value
            selected = state
            listing = updated
            synchronizedAt = nil
        }
        guard let frame else { throw ClientGone() }
        guard case .line(let line, nil) = frame, String(decoding: line.readableBytesView, as: UTF8.self).uppercased() == "DONE" else {
            bad(tag, "expected DONE to end IDLE")
            return
        }
        try await done(tag, .idle, "IDLE terminated")
    }
}
