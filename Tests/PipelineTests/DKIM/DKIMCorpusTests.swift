import Foundation
import Testing
@testable import Pipeline

/// The DKIM-signed messages of ../shared/corpus/mime. Their senders' keys are not in DNS here,
/// except RFC 8463's example, whose keys that RFC publishes (Appendix A.2).
@Suite struct DKIMCorpusTests {
    static let rfc8463Keys = DNSTable(records: [
        "brisbane._domainkey.football.example.com": [.txt([Array("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=".utf8)])],
        "test._domainkey.football.example.com": [.txt([
            Array("v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR".utf8),
            Array("iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC".utf8),
            Array("DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3".utf8),
            Array("Ip3G+2kryOTIKT+l/K4w3QIDAQAB".utf8),
        ])],
    ])

    static func message(_ name: String) throws -> [UInt8]? {
        let url = TestFiles.corpus.appendingPathComponent("mime/\(name)")
        guard FileManager.default.fileExists(atPath: url.path) else {
            print("note: corpus not found at \(TestFiles.corpus.path); DKIM corpus test skipped (fixtures still run)")
            return nil
        }
        return try TestFiles.bytes(url)
    }

    /// Both signatures of the RFC's example verify, the RSA one with its 1024-bit key.
    @Test func rfc8463ExamplePassesWithTheRFCKeys() async throws {
        guard let bytes = try Self.message("mimekit-dkim-rfc8463-example.eml") else { return }
        let results = await DKIMVerifier(resolver: Self.rfc8463Keys).verify(bytes, now: 1_600_000_000)
        #expect(results.map(\.status) == [.pass, .pass])
        #expect(results.map(\.algorithm) == ["ed25519-sha256", "rsa-sha256"])
        #expect(results.allSatisfy { $0.domain == "football.example.com" })
        // And one changed byte in the body breaks both.
        let tampered = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "hungry", with: "angry").utf8)
        let broken = await DKIMVerifier(resolver: Self.rfc8463Keys).verify(tampered, now: 1_600_000_000)
        #expect(broken.map(\.reason) == ["body hash mismatch", "body hash mismatch"])
    }

    @Test(arguments: [
        ("mimekit-dkim-multipart-no-end-boundary.eml", ["20120113._domainkey.gmail.com"]),
        ("mimekit-messages-issue358.eml", ["selector1-cmmlaser-it._domainkey.cmmsrl.onmicrosoft.com"]),
        ("stalwart-thirdparty-015.eml", ["202512r._domainkey.proxforge.de", "202512e._domainkey.proxforge.de"]),
    ])
    func realSignaturesWithoutTheirKeysAreNoKeyErrors(_ name: String, _ keys: [String]) async throws {
        guard let bytes = try Self.message(name) else { return }
        let results = await DKIMVerifier(resolver: DNSTable()).verify(bytes, now: 1_800_000_000)
        #expect(results.map(\.status) == keys.map { _ in .permerror })
        #expect(results.map(\.reason) == keys.map { "no key for signature at \($0)" })
        // With DNS failing, the same signatures are temporary errors, never fail.
        let failing = await DKIMVerifier(resolver: DNSTable(failing: Set(keys))).verify(bytes, now: 1_800_000_000)
        #expect(failing.allSatisfy { $0.status == .temperror })
    }

    /// Every corpus message, signed or not, verifies without trapping.
    @Test func wholeCorpusIsHandled() async throws {
        let dir = TestFiles.corpus.appendingPathComponent("mime")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else {
            print("note: corpus not found at \(TestFiles.corpus.path); DKIM corpus test skipped (fixtures still run)")
            return
        }
        var signatures = 0
        for name in names.sorted() where name.hasSuffix(".eml") {
            signatures += await DKIMVerifier(resolver: DNSTable()).verify(try TestFiles.bytes(dir.appendingPathComponent(name)), now: 0).count
        }
        #expect(signatures >= 6)
    }
}
