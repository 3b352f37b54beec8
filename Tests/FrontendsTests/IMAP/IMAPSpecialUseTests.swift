import Testing
@testable import Frontends

/// CREATE-SPECIAL-USE (RFC 6154 §3): the USE parameter of CREATE.
@Suite struct IMAPSpecialUseTests {
    func command(_ text: String) -> IMAPCommand? {
        guard case .success(let parsed) = IMAPParser.parse(Array(text.utf8)) else { return nil }
        return parsed.command
    }

    @Test func parses() {
        #expect(command("t1 CREATE MySpecial (USE (\\Drafts \\Sent))") == .create("MySpecial", specialUse: ["\\Drafts", "\\Sent"]))
        #expect(command("t1 create \"Sent Items\" (use (\\sent))") == .create("Sent Items", specialUse: ["\\sent"]))
        #expect(command("t1 CREATE Plain (USE ())") == .create("Plain", specialUse: []))
        #expect(command("t1 CREATE Plain") == .create("Plain"))
        for bad in ["t1 CREATE a (USE)", "t1 CREATE a (USE (Sent))", "t1 CREATE a (FROB)", "t1 CREATE a (USE (\\Sent)",
                    "t1 CREATE a (USE (\\Sent \\))", "t1 CREATE a ()", "t1 CREATE a (USE (\\Sent) USE (\\Trash))"] {
            guard case .failure(let failure) = IMAPParser.parse(Array(bad.utf8)) else {
                Issue.record("parsed: \(bad)")
                continue
            }
            #expect(failure.tag == "t1", "\(bad)")
        }
    }
}
