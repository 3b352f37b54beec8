import Testing
import Foundation

/// The message files in Tests/MailMessageTests/IMAP/Fixtures (also fed to Dovecot by
/// scripts/compare-dovecot.sh), read by path.
enum IMAPFixtures {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".eml") }.sorted()
    }

    static func bytes(_ name: String) -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else {
            Issue.record("missing fixture \(name)")
            return []
        }
        return [UInt8](d)
    }

    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = s.utf8.makeIterator()
        func v(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : c - 87 }
        while let a = it.next(), let b = it.next() { out.append(v(a) << 4 | v(b)) }
        return out
    }
}
