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

    /// Long ranges: 64 bytes per step, the lanes added up every 63 steps (4 032 bytes), where a
    /// range of nothing but LF would overflow them; every length and start near those edges.
    @Test func longRangesAcrossTheBlockEdges() {
        var generator = SystemRandomNumberGenerator()
        let dense = [UInt8](repeating: 10, count: 8300)
        let mixed = (0..<8300).map { _ in [UInt8]([10, 65, 13, 0x8A])[Int.random(in: 0..<4, using: &generator)] }
        for bytes in [dense, mixed] {
            bytes.withUnsafeBufferPointer { p in
                for lower in [0, 1, 7, 8, 15, 16, 63] {
                    for length in [63, 64, 65, 127, 128, 4031, 4032, 4033, 4095, 4096, 8064, 8065, 8200] {
                        let slice = bytes[lower..<(lower + length)]
                        let expected = slice.filter { $0 == 10 }.count + (slice.last == 10 ? 0 : 1)
                        #expect(p.lineCount(lower..<(lower + length)) == expected, "\(lower) + \(length)")
                    }
                }
            }
        }
    }
}
