import Testing
@testable import MailMessage

@Suite struct LineCountTests {
    /// The word-at-a-time count equals a byte-by-byte count for every range of random bytes
    /// that mix LF with its near neighbours (0x0B, 0x8A, 0x00, 0xFF).
    @Test func equalsTheByteByByteCount() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [10, 10, 11, 0x8A, 0, 0xFF, 13, 65, 9]
        for _ in 0..<500 {
            let bytes = (0..<Int.random(in: 0...70, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            bytes.withUnsafeBufferPointer { p in
                for lower in 0...bytes.count {
                    let upper = Int.random(in: lower...bytes.count, using: &generator)
                    let slice = bytes[lower..<upper]
                    let expected = slice.isEmpty ? 0 : slice.filter { $0 == 10 }.count + (slice.last == 10 ? 0 : 1)
                    #expect(p.lineCount(lower..<upper) == expected)
                }
            }
        }
    }
}
