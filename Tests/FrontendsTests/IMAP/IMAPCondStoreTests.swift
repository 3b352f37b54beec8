import Journal
import MailMessage
import Testing
@testable import Frontends
@testable import Projections

/// RFC 7162's grammar (SELECT parameters, FETCH and STORE modifiers, SEARCH MODSEQ) and the
/// CONDSTORE / QRESYNC forms of the untagged updates, without I/O.
@Suite struct IMAPCondStoreTests {
    func command(_ text: String) -> IMAPCommand? {
        guard case .success(let parsed) = IMAPParser.parse(Array(text.utf8)) else { return nil }
        return parsed.command
    }

    func set(_ ranges: [(UInt32, UInt32)]) -> SequenceSet {
        SequenceSet(ranges: ranges.map { .init(.number($0.0), .number($0.1)) })
    }

    @Test func fixtures() {
        let q = SelectParameters.QuickResync(uidValidity: 67_890_007, modseq: 90_060_115_194_045_000, knownUIDs: set([(41, 211), (214, 541)]))
        let cases: [(String, IMAPCommand)] = [
            ("a SELECT INBOX (CONDSTORE)", .select("INBOX", readOnly: false, parameters: SelectParameters(condStore: true))),
            ("A03 SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541))",
             .select("INBOX", readOnly: false, parameters: SelectParameters(quickResync: q))),
            ("a examine inbox (qresync (1 2))",
             .select("INBOX", readOnly: true, parameters: SelectParameters(quickResync: .init(uidValidity: 1, modseq: 2)))),
            ("B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500 15000,22500)) CONDSTORE)",
             .select("INBOX", readOnly: false, parameters: SelectParameters(condStore: true, quickResync: .init(
                uidValidity: 67_890_007, modseq: 90_060_115_194_045_000, knownUIDs: set([(1, 29997)]),
                knownSequenceNumbers: set([(5000, 5000), (7500, 7500)]), knownSequenceUIDs: set([(15000, 15000), (22500, 22500)]))))),
            ("a SELECT INBOX (QRESYNC (7 9 (1:2 4:5)))",
             .select("INBOX", readOnly: false, parameters: SelectParameters(quickResync: .init(
                uidValidity: 7, modseq: 9, knownSequenceNumbers: set([(1, 2)]), knownSequenceUIDs: set([(4, 5)]))))),
            ("s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)",
             .fetch(SequenceSet(ranges: [.init(.number(1), .last)]), [.uid, .flags], uid: true, modifiers: FetchModifiers(changedSince: 12345))),
            ("s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)",
             .fetch(set([(300, 500)]), [.uid, .flags], uid: true, modifiers: FetchModifiers(changedSince: 12345, vanished: true))),
            ("a FETCH 1:3 (MODSEQ)", .fetch(set([(1, 3)]), [.modseq], uid: false)),
            ("a FETCH 2 FLAGS (changedsince 9223372036854775807)",
             .fetch(.single(2), [.flags], uid: false, modifiers: FetchModifiers(changedSince: UInt64(Int64.max)))),
            ("a103 UID STORE 6,4,8 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)",
             .store(set([(6, 6), (4, 4), (8, 8)]), StoreOperation(kind: .add, silent: true, flags: ["\\Deleted"], unchangedSince: 12_121_230_045), uid: true)),
            ("a102 STORE 12 (UNCHANGEDSINCE 0) +FLAGS.SILENT ($MDNSent)",
             .store(.single(12), StoreOperation(kind: .add, silent: true, flags: ["$MDNSent"], unchangedSince: 0), uid: false)),
            ("a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338", .search(.modseq(620_162_338), returns: nil, uid: false)),
            ("t SEARCH OR NOT MODSEQ 720162338 LARGER 50000", .search(.or(.not(.modseq(720_162_338)), .larger(50000)), returns: nil, uid: false)),
            ("a SEARCH RETURN (ALL) MODSEQ 1234", .search(.modseq(1234), returns: [.all], uid: false)),
            ("x ENABLE QRESYNC CONDSTORE", .enable(["QRESYNC", "CONDSTORE"])),
        ]
        for (text, expected) in cases {
            #expect(command(text) == expected, "\(text)")
        }
    }

    @Test func malformedInputIsBadAndKeepsTheTag() {
        let cases = [
            "a SELECT INBOX (", "a SELECT INBOX ()", "a SELECT INBOX (CONDSTORE", "a SELECT INBOX (FROB)",
            "a SELECT INBOX (QRESYNC)", "a SELECT INBOX (QRESYNC ())", "a SELECT INBOX (QRESYNC (1))", "a SELECT INBOX (QRESYNC (0 5))",
            "a SELECT INBOX (QRESYNC (1 0))", "a SELECT INBOX (QRESYNC (1 5 1:*))", "a SELECT INBOX (QRESYNC (1 5 $))",
            "a SELECT INBOX (QRESYNC (1 5 1:9 (1:2)))", "a SELECT INBOX (QRESYNC (1 5 1:9 (1:2 3:4))",
            "a SELECT INBOX (QRESYNC (1 5) QRESYNC (1 5))", "a SELECT INBOX (QRESYNC (1 99999999999999999999))",
            "a SELECT INBOX (QRESYNC (1 9223372036854775808))",
            "a FETCH 1 FLAGS (", "a FETCH 1 FLAGS ()", "a FETCH 1 FLAGS (VANISHED)", "a FETCH 1 FLAGS (CHANGEDSINCE)",
            "a FETCH 1 FLAGS (CHANGEDSINCE 0)", "a FETCH 1 FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)", "a FETCH 1 FLAGS (CHANGEDSINCE x)",
            "a FETCH 1 FLAGS (CHANGEDSINCE 5 VANISHED VANISHED)", "a FETCH 1 FLAGS (FROB 1)",
            "a STORE 1 (UNCHANGEDSINCE) +FLAGS (\\Seen)", "a STORE 1 (UNCHANGEDSINCE 5 UNCHANGEDSINCE 6) +FLAGS (\\Seen)",
            "a STORE 1 (UNCHANGEDSINCE 5)+FLAGS (\\Seen)", "a STORE 1 (FROB 5) +FLAGS (\\Seen)", "a STORE 1 (UNCHANGEDSINCE 5",
            "a SEARCH MODSEQ", "a SEARCH MODSEQ x", "a SEARCH MODSEQ \"/flags/\\\\seen\" 5", "a SEARCH MODSEQ \"/x\" all 5",
            "a SEARCH MODSEQ \"/flags/\" all 5", "a SEARCH MODSEQ \"/flags/\\\\seen\" both 5",
            "a SELECT INBOX (QRESYNC " + String(repeating: "(", count: 40),
        ]
        for text in cases {
            guard case .failure(let failure) = IMAPParser.parse(Array(text.utf8)) else {
                Issue.record("parsed: \(text.debugDescription)")
                continue
            }
            #expect(failure.tag == "a", "\(text.debugDescription)")
        }
        // Every prefix of a valid command either parses or fails cleanly.
        let full = "a SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500 15000,22500)) CONDSTORE)"
        for end in 0..<full.utf8.count { _ = IMAPParser.parse(Array(full.utf8.prefix(end))) }
    }

    @Test func garbageNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array(" ()1:,*$\"\\0123456789QRESYNCONDSTOREHANGEDSINCEVANISHEDMODSEQUNCHANGED".utf8) + [0, 0xff, 13, 10]
        for prefix in ["t SELECT INBOX (", "t UID FETCH 1:* (FLAGS) (", "t STORE 1 (", "t SEARCH MODSEQ "] {
            for _ in 0..<2000 {
                let n = Int.random(in: 0..<60, using: &generator)
                _ = IMAPParser.parse(Array(prefix.utf8) + (0..<n).map { _ in alphabet.randomElement(using: &generator)! })
            }
        }
    }

    let box = MailboxID(rawValue: 1)

    func message(_ uid: UInt32, _ flags: [String] = [], modseq: UInt64 = 1) -> MessageInfo {
        MessageInfo(mailbox: box, uid: uid, ref: MessageRef(event: UInt64(uid)), modseq: modseq, flags: flags, internalDate: 0,
                    size: 10, bodySequence: UInt64(uid), headerSequence: nil)
    }

    func selected(_ uids: [UInt32]) -> SelectedMailbox {
        let info = MailboxInfo(id: box, user: UserID(rawValue: 1), name: "INBOX", uidValidity: 9, uidNext: 700, highestModseq: 1,
                               specialUse: [], messageCount: uids.count)
        return SelectedMailbox(info, messages: uids.map { message($0) }, readOnly: false)
    }

    func text(_ responses: [IMAPResponse]) -> [String] {
        responses.map { String(decoding: IMAPEncoder.encode($0).dropLast(2), as: UTF8.self) }
    }

    /// RFC 7162 §3.2.10.2's example: VANISHED lists the UIDs once; numbers shift as for EXPUNGE.
    @Test func vanishedReplacesExpunge() {
        let uids: [UInt32] = [500, 504, 505, 507, 508, 509, 510, 511, 512, 513, 625]
        var s = selected(uids)
        let remaining = uids.filter { ![505, 507, 510, 625].contains($0) }.map { message($0) }
        // Held back during a command by sequence number, as EXPUNGE is.
        #expect(text(s.synchronize(with: remaining, expungeAllowed: false, modseq: true, vanished: true)).isEmpty)
        #expect(s.count == 11)
        #expect(text(s.synchronize(with: remaining, expungeAllowed: true, modseq: true, vanished: true)) == ["* VANISHED 505,507,510,625"])
        #expect(s.count == 7 && s.sequenceNumber(of: 508) == 3)
        let later = remaining.filter { $0.uid != 504 && $0.uid != 508 }
        #expect(text(s.synchronize(with: later, expungeAllowed: true, modseq: true, vanished: true)) == ["* VANISHED 504,508"])
    }

    /// Example 14: once CONDSTORE is on, flag changes from elsewhere carry UID and MODSEQ.
    @Test func flagUpdatesCarryUIDAndModseq() {
        var s = selected([4, 7])
        let now = [message(4), message(7, ["\\Deleted", "\\Answered"], modseq: 12_121_231_000)]
        #expect(text(s.synchronize(with: now, expungeAllowed: true, modseq: true)) ==
                ["* 2 FETCH (UID 7 FLAGS (\\Deleted \\Answered) MODSEQ (12121231000))"])
        // New messages are still EXISTS; the count is not sent again for VANISHED.
        let more = now + [message(9, modseq: 12_121_231_500)]
        #expect(text(s.synchronize(with: more, expungeAllowed: true, modseq: true, vanished: true)) == ["* 3 EXISTS"])
    }

    @Test func compactSets() {
        #expect(SelectedMailbox.compactSet([1, 2, 4, 5, 7, 8, 9, 11, 4_294_967_295]) == "1:2,4:5,7:9,11,4294967295")
        #expect(SelectedMailbox.compactSet([]) == "")
    }

    /// §3.2.5.2: the last (number, UID) pair that still matches bounds what VANISHED reports.
    @Test func sequenceMatchData() {
        let s = selected([3, 6, 9, 12, 15, 18])
        func floor(_ numbers: [(UInt32, UInt32)], _ uids: [(UInt32, UInt32)]) -> UInt32 {
            s.sequenceMatchFloor(.init(uidValidity: 9, modseq: 1, knownSequenceNumbers: set(numbers), knownSequenceUIDs: set(uids)))
        }
        #expect(floor([(2, 2), (4, 4)], [(6, 6), (12, 12)]) == 12)
        #expect(floor([(2, 2), (4, 4)], [(6, 6), (11, 11)]) == 6)
        #expect(floor([(1, 3)], [(3, 3), (6, 6), (9, 9)]) == 9)
        #expect(floor([(1, 1)], [(4, 4)]) == 0)
        // Past the last message, out of order, or a huge range: the walk stops.
        #expect(floor([(6, 4_000_000_000)], [(18, 4_000_000_000)]) == 18)
        #expect(floor([(4, 4), (2, 2)], [(12, 12), (6, 6)]) == 12)
        #expect(s.sequenceMatchFloor(.init(uidValidity: 9, modseq: 1)) == 0)
    }

    @Test func searchKeysMentioningModseq() {
        #expect(SearchKey.and([.seen, .or(.all, .not(.modseq(5)))]).mentionsModseq)
        #expect(!SearchKey.and([.seen, .or(.all, .not(.larger(5)))]).mentionsModseq)
    }
}
