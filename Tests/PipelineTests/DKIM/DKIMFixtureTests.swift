import Foundation
import Testing
@testable import Pipeline

/// Messages signed by dkimpy and OpenDKIM (scripts/make-dkim-fixtures.py), verified by Roost
/// against the keys of Tests/Fixtures/dns/dkim.test.zone.
@Suite struct DKIMFixtureTests {
    /// After the committed fixtures were signed (their t=), so none is in the future.
    static let now: Int64 = 1_796_200_000

    struct Expectation { var file: String; var index: Int; var status: String; var reason: String }

    static func expectations(_ dir: URL) throws -> [String: [Expectation]] {
        var out: [String: [Expectation]] = [:]
        let text = String(decoding: try Data(contentsOf: dir.appendingPathComponent("expected.tsv")), as: UTF8.self)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            out[cols[0], default: []].append(Expectation(file: cols[0], index: Int(cols[1])!, status: cols[2], reason: cols.count > 3 ? cols[3] : ""))
        }
        return out
    }

    /// Every expectation met, and no fixture without one.
    static func check(fixtures root: URL, now: Int64 = now) async throws {
        let dir = root.appendingPathComponent("dkim")
        let table = try ZoneFile.table([root.appendingPathComponent("dns/dkim.test.zone")])
        let verifier = DKIMVerifier(resolver: table)
        let expected = try expectations(dir)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".eml") }.sorted()
        #expect(files.count >= 25)
        #expect(Set(files) == Set(expected.keys))
        for file in files {
            let results = await verifier.verify(try TestFiles.bytes(dir.appendingPathComponent(file)), now: now)
            let wanted = expected[file] ?? []
            #expect(results.count == wanted.count, "\(file): \(results)")
            for (result, want) in zip(results, wanted) {
                #expect(result.status.rawValue == want.status, "\(file) #\(want.index): \(result.status) \(result.reason ?? "")")
                if want.reason.isEmpty {
                    #expect(result.status != .pass || result.reason == nil, "\(file): \(result.reason ?? "")")
                } else {
                    #expect(result.reason?.contains(want.reason) == true, "\(file) #\(want.index): reason \(result.reason ?? "nil"), want \(want.reason)")
                }
                #expect(result.domain == "dkim.test", "\(file)")
            }
        }
    }

    @Test func committedFixturesVerifyAsTheirSignersMeant() async throws {
        try await Self.check(fixtures: TestFiles.fixtures)
    }

    /// Fresh keys and signatures from dkimpy and OpenDKIM on every run, so this is not only a
    /// replay of one lucky set of files.
    @Test func freshlySignedMessagesVerify() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("roost-dkim-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let script = TestFiles.packageRoot.appendingPathComponent("scripts/make-dkim-fixtures.py").path
        let (status, output) = try await TestFiles.run(["python3", script, out.path])
        try #require(status == 0, "make-dkim-fixtures.py failed (run scripts/install-deps.sh): \(output)")
        try await Self.check(fixtures: out, now: Int64(Date().timeIntervalSince1970) + 5)
    }

    @Test func theTestingFlagAndLengthLimitAreReported() async throws {
        let table = try ZoneFile.table([TestFiles.fixtures.appendingPathComponent("dns/dkim.test.zone")])
        let verifier = DKIMVerifier(resolver: table)
        let dir = TestFiles.fixtures.appendingPathComponent("dkim")
        let testing = await verifier.verify(try TestFiles.bytes(dir.appendingPathComponent("dkimpy-testing.eml")), now: Self.now)
        #expect(testing.first?.testing == true)
        #expect(testing.first?.rule.evidence.contains("t=y") == true)
        let extended = await verifier.verify(try TestFiles.bytes(dir.appendingPathComponent("dkimpy-length-extended.eml")), now: Self.now)
        let result = try #require(extended.first)
        #expect(result.unsignedBodyBytes == 42)
        #expect(result.bodyLengthLimit != nil)
        #expect(result.rule.evidence.contains("unsigned=42"))
    }

    @Test func aResolverFailureIsATemporaryError() async throws {
        let table = try ZoneFile.table([TestFiles.fixtures.appendingPathComponent("dns/dkim.test.zone")],
                                       failing: ["py2048._domainkey.dkim.test"])
        let results = await DKIMVerifier(resolver: table).verify(
            try TestFiles.bytes(TestFiles.fixtures.appendingPathComponent("dkim/dkimpy-rsa-relaxed.eml")), now: Self.now)
        #expect(results.map(\.status) == [.temperror])
        #expect(results.first?.reason?.hasPrefix("key lookup failed") == true)
    }
}
