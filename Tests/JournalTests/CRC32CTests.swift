import Testing
@testable import Journal

@Suite struct CRC32CTests {
    // RFC 3720 §B.4 test vectors.
    @Test func knownVectors() {
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum(Array(0..<32).map(UInt8.init)) == 0x46DD_794E)
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func hardwareAndPortableAgree() {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 7, 8, 9, 63, 64, 65, 1000, 4099] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let fast = bytes.withUnsafeBytes { CRC32C.checksum($0) }
            let slow = bytes.withUnsafeBytes { CRC32C.portableChecksum($0) }
            #expect(fast == slow, "length \(length)")
            // Continuing over two halves equals one pass.
            let half = length / 2
            let first = CRC32C.checksum(bytes[..<half])
            #expect(CRC32C.checksum(bytes[half...], continuing: first) == fast)
        }
    }
}
