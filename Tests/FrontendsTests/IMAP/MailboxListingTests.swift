import Journal
import Testing
@testable import Frontends
@testable import Projections

/// The session's copy of a mailbox listing, brought up to date from the projection's changes.
@Suite struct MailboxListingTests {
    let box = MailboxID(rawValue: 1)

    func message(_ uid: UInt32, _ flags: [String] = [], modseq: UInt64 = 1) -> MessageInfo {
        MessageInfo(mailbox: box, uid: uid, ref: MessageRef(event: UInt64(uid)), modseq: modseq, flags: flags, internalDate: 0,
                    size: 10, bodySequence: UInt64(uid), headerSequence: nil)
    }

    @Test func changesReplaceExpungesRemoveAndNewMessagesGoInOrder() {
        var listing = MailboxListing(messages: [message(5), message(2), message(9)], modseq: 10)
        #expect(listing.messages.map(\.uid) == [2, 5, 9])
        listing.apply(changed: [message(5, ["\\Seen"], modseq: 11), message(12, modseq: 12), message(14, modseq: 13)],
                      expunged: [2, 7], through: 13)
        #expect(listing.messages.map(\.uid) == [5, 9, 12, 14])
        #expect(listing.message(uid: 5)?.flags == ["\\Seen"] && listing.modseq == 13)
        #expect(listing.message(uid: 2) == nil && listing.message(uid: 13) == nil && listing.message(uid: 100) == nil)
        // Out of order (never made by the projection, but kept sorted all the same).
        listing.apply(changed: [message(10, modseq: 14)], expunged: [], through: 14)
        #expect(listing.messages.map(\.uid) == [5, 9, 10, 12, 14])
        // Changes already applied (a MODSEQ not above the listing's) are not applied again.
        listing.apply(changed: [], expunged: [5], through: 14)
        #expect(listing.count == 5)
        listing.apply(changed: [], expunged: [5, 9, 10, 12, 14], through: 20)
        #expect(listing.messages.isEmpty && listing.message(uid: 5) == nil)
        listing.apply(changed: [message(21, modseq: 21)], expunged: [], through: 21)
        #expect(listing.messages.map(\.uid) == [21])
    }

    /// Applying the changes after each step gives the listing read anew, for any mix of steps.
    @Test func followsTheProjectionThroughRandomChanges() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var truth: [UInt32: MessageInfo] = [:]
            var next: UInt32 = 1
            var modseq: UInt64 = 1
            var listing = MailboxListing(messages: [], modseq: 1)
            for _ in 0..<30 {
                var changed: [MessageInfo] = [], expunged: [UInt32] = []
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    modseq += 1
                    switch Int.random(in: 0..<3, using: &generator) {
                    case 0:
                        truth[next] = message(next, modseq: modseq)
                        next += 1
                    case 1:
                        if let uid = truth.keys.randomElement(using: &generator) {
                            truth[uid] = message(uid, ["k\(modseq)"], modseq: modseq)
                        }
                    default:
                        if let uid = truth.keys.randomElement(using: &generator) {
                            truth[uid] = nil
                            expunged.append(uid)
                        }
                    }
                }
                // As ProjectionStore.changes answers: rows changed since, and expunged UIDs, in UID order.
                changed = truth.values.filter { $0.modseq > listing.modseq }.sorted { $0.uid < $1.uid }
                listing.apply(changed: changed, expunged: expunged.sorted(), through: modseq)
                #expect(listing.messages == truth.values.sorted { $0.uid < $1.uid })
            }
        }
    }
}

/// SEARCH's substring test: the ASCII fast path answers as the Unicode path does.
@Suite struct SearchSubstringTests {
    @Test func asciiFastPathAgreesWithTheGeneralPath() {
        let cases: [(String, String)] = [
            ("Report 7 on the Kiwi project", "the kiwi project"), ("Report 7", "REPORT 7"), ("abc", "abcd"),
            ("sender7@sender7.example.org", "sender7@sender7.example.org"), ("sender77@x", "sender7@"),
            ("aaab", "aab"), ("", "a"), ("[x]^_`{", "^_`{"), ("@[", "`{"), ("Mixed CASE", "d c"),
        ]
        for (haystack, needle) in cases {
            #expect(SearchContext.asciiContains(haystack, needle) == haystack.lowercased().contains(needle.lowercased()),
                    "\(haystack) / \(needle)")
        }
        // Upper- and lower-case letters only fold within A–Z: "@" (0x40) and "`" (0x60) stay apart.
        #expect(SearchContext.asciiContains("@", "`") == false && SearchContext.asciiContains("[", "{") == false)
        // Not ASCII on either side: left to the Unicode comparison.
        #expect(SearchContext.asciiContains("Grüße", "grü") == nil && SearchContext.asciiContains("abc", "é") == nil)
        #expect(SearchContext.contains("Grüße aus Köln", "GRÜSSE") == "grüße aus köln".contains("grüsse"))
        #expect(SearchContext.contains("Grüße aus Köln", "KÖLN") && SearchContext.contains("x", ""))
    }
}
