import Journal
import Testing
@testable import Frontends

/// Which commands each connection state allows, the capability list, and the encoder.
@Suite struct IMAPStateTests {
    @Test func commandsPerState() {
        var state = IMAPState(tlsActive: false, startTLSAvailable: true, plaintextAllowed: false)
        #expect(state.allows(.login(user: "a", password: "b")) && state.allows(.startTLS) && state.allows(.capability))
        #expect(!state.allows(.select("INBOX", readOnly: false)) && !state.allows(.expunge) && !state.allows(.enable(["X"])))
        state.phase = .authenticated(user: UserID(rawValue: 1), account: "a")
        #expect(!state.allows(.login(user: "a", password: "b")) && !state.allows(.startTLS))
        #expect(state.allows(.select("INBOX", readOnly: false)) && state.allows(.enable(["X"])) && state.allows(.idle))
        #expect(!state.allows(.fetch(.single(1), [.flags], uid: false)) && !state.allows(.close))
        state.phase = .selected(user: UserID(rawValue: 1), account: "a")
        #expect(state.allows(.fetch(.single(1), [.flags], uid: false)) && state.allows(.uidExpunge(.single(1))))
        #expect(!state.allows(.enable(["X"])))
        state.phase = .logout
        #expect(state.allows(.noop) && !state.allows(.list(reference: "", pattern: ["*"], subscribedOnly: false, specialUseOnly: false,
                                                                     returnSubscribed: false, returnSpecialUse: false, returnChildren: false, returnStatus: nil)))
    }

    @Test func capabilitiesFollowTLSAndPolicy() {
        var state = IMAPState(tlsActive: false, startTLSAvailable: true, plaintextAllowed: false)
        #expect(state.capabilities.contains("STARTTLS") && state.capabilities.contains("LOGINDISABLED"))
        #expect(!state.capabilities.contains("AUTH=PLAIN"))
        state.tlsActive = true
        state.startTLSAvailable = false
        #expect(!state.capabilities.contains("STARTTLS") && !state.capabilities.contains("LOGINDISABLED"))
        #expect(state.capabilities.contains("AUTH=PLAIN") && state.capabilities.contains("SASL-IR"))
        #expect(state.capabilities.contains("AUTH=LOGIN"), "AUTHENTICATE LOGIN works, so it is announced")
        state.phase = .authenticated(user: UserID(rawValue: 1), account: "a")
        #expect(!state.capabilities.contains("AUTH=PLAIN") && state.capabilities.contains("IMAP4rev2") && state.capabilities.contains("IDLE"))
        let dev = IMAPState(tlsActive: false, startTLSAvailable: true, plaintextAllowed: true)
        #expect(dev.capabilities.contains("AUTH=PLAIN") && !dev.capabilities.contains("LOGINDISABLED"))
    }

    @Test func encoderNeverBreaksALine() {
        let cases: [(IMAPResponse, String)] = [
            (.tagged("a1", .ok, code: "READ-WRITE", text: "done"), "a1 OK [READ-WRITE] done\r\n"),
            (.tagged("a1", .bad, code: nil, text: "evil\r\n* OK injected"), "a1 BAD evil  * OK injected\r\n"),
            (.status(.bye, code: nil, text: ""), "* BYE done\r\n"),
            (.data(Array("3 EXISTS".utf8)), "* 3 EXISTS\r\n"),
            (.continuation(""), "+ \r\n"),
            (.continuation("Ready"), "+ Ready\r\n"),
        ]
        for (response, wire) in cases {
            #expect(String(decoding: IMAPEncoder.encode(response), as: UTF8.self) == wire)
        }
    }

    @Test func uidSets() {
        #expect(IMAPSession.uidSet([1, 2, 3, 5, 7, 8]) == "1:3,5,7:8")
        #expect(IMAPSession.uidSet([4]) == "4")
        #expect(IMAPSession.internalDate(1_793_608_260_000_000) == "02-Nov-2026 08:31:00 +0000")
        #expect(IMAPSession.internalDate(0) == "01-Jan-1970 00:00:00 +0000")
    }
}
