public import Projections

/// The projection's messages of the selected mailbox as of `modseq`, kept by the session so that
/// a command reads only what changed since the last one (`ProjectionStore.changes`) instead of the
/// whole listing. Pure; unlike `SelectedMailbox` it follows the projection, not what the client
/// was told. Only a selected session has one, so an idle authenticated connection stays small.
public struct MailboxListing: Sendable, Hashable {
    /// In UID order.
    public private(set) var messages: [MessageInfo]
    /// The mailbox's HIGHESTMODSEQ the listing is current with.
    public private(set) var modseq: UInt64

    public init(messages: [MessageInfo], modseq: UInt64) {
        self.messages = messages.sorted { $0.uid < $1.uid }
        self.modseq = modseq
    }

    public var count: Int { messages.count }

    /// Applies what changed after `modseq`: expunged UIDs leave, changed messages replace their
    /// old form, new ones go in at their UID's place.
    public mutating func apply(changed: [MessageInfo], expunged: [UInt32], through modseq: UInt64) {
        guard modseq > self.modseq else { return }
        self.modseq = modseq
        if !expunged.isEmpty {
            let gone = Set(expunged)
            messages.removeAll { gone.contains($0.uid) }
        }
        for message in changed {
            if let last = messages.last, last.uid < message.uid {
                messages.append(message)
                continue
            }
            let k = lowerBound(message.uid)
            if k < messages.count, messages[k].uid == message.uid {
                messages[k] = message
            } else {
                messages.insert(message, at: k)
            }
        }
    }

    public func message(uid: UInt32) -> MessageInfo? {
        let k = lowerBound(uid)
        return k < messages.count && messages[k].uid == uid ? messages[k] : nil
    }

    private func lowerBound(_ uid: UInt32) -> Int {
        var lo = 0, hi = messages.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if messages[mid].uid < uid { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
