import Testing
@testable import MailMessage

/// BODYSTRUCTURE reads Content-Type, -Disposition and -Transfer-Encoding in place, or unfolded
/// into 1 KiB of stack scratch (`ViewScratch`), or on the heap past that: each size, one line
/// and folded, gives the same structure.
@Suite struct ViewScratchTests {
    static func structure(_ header: String) -> String {
        let view = IMAPMessageView(Message(header + "\r\n\r\nbody\r\n"))
        var w = IMAPWriter()
        w.bodyStructure(view.bodyStructure, extensions: true)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    @Test func contentFieldsOfEverySizeFoldedOrNot() {
        for n in [10, 1000, 1023, 1024, 1025, 5000] {
            let name = String(repeating: "f", count: n)
            let expected = "(\"text\" \"plain\" (\"charset\" \"utf-8\" \"name\" \"\(name)\") NIL NIL \"base64\" 6 1 NIL"
                + " (\"attachment\" (\"filename\" \"\(name)\")) NIL NIL)"
            for fold in ["", "\r\n ", "\r\n\t"] {
                let header = "Content-Type: text/plain;\(fold) charset=utf-8;\(fold) name=\"\(name)\"\r\n"
                    + "Content-Transfer-Encoding:\(fold) base64\r\n"
                    + "Content-Disposition: attachment;\(fold) filename=\(name)"
                #expect(Self.structure(header) == expected, "\(n) bytes, fold \(Array(fold.utf8))")
            }
        }
    }

    @Test func unfoldedValuesEqualTheArrayUnfold() {
        // `withUnfolded` gives the bytes `unfold` returns, at the scratch's edge and past it.
        for n in [0, 1, 7, 8, 9, 1022, 1023, 1024, 1025, 1026, 4000] {
            for fold in ["", "\r\n ", "\r\n", "\r", "\n\t"] {
                let v = Array((" \t" + String(repeating: "x", count: n / 2) + fold + String(repeating: "y", count: n - n / 2) + " \r\n").utf8)
                let expected = v.withUnsafeBufferPointer { unfold($0, 0..<v.count) }
                let got: [UInt8] = v.withUnsafeBufferPointer { b in
                    ViewScratch.with { s in s.withUnfolded(b, 0..<v.count) { Array($0) } }
                }
                #expect(got == expected, "\(n) bytes, fold \(Array(fold.utf8))")
            }
        }
    }
}
