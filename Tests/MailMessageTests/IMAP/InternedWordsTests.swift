import Testing
@testable import MailMessage

@Suite struct InternedWordsTests {
    @Test func everyWordFindsItsSharedArray() {
        for w in InternedWords.words {
            let found = w.withUnsafeBufferPointer { InternedWords.lookup($0) }
            #expect(found == w)
            // The same storage, not a copy.
            let same = found?.withUnsafeBufferPointer { f in w.withUnsafeBufferPointer { f.baseAddress == $0.baseAddress } }
            #expect(same == true, "\(String(decoding: w, as: UTF8.self))")
        }
    }

    @Test func otherBytesAreCopiedAsTheyAre() {
        for s in ["tex", "texts", "Plain", "pLain", "x-unknown", "7bi", "", "ab", "quoted-printablex", "TeXT"] {
            let a = Array(s.utf8)
            #expect(InternedWords.array(a[...]) == a)
            #expect(InternedWords.array(s) == a)
        }
    }
}
