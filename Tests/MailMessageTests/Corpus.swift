import Foundation

/// The shared corpus lives beside the package: Tests/MailMessageTests/X.swift → up three
/// levels → package root → ../shared/corpus. A fresh clone without it skips the corpus tests
/// (the one allowed skip), saying so.
enum Corpus {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/corpus")

    static var isPresent: Bool {
        FileManager.default.fileExists(atPath: root.appendingPathComponent("mime").path)
    }

    static func reportMissing() {
        print("note: corpus not found at \(root.path); corpus tests skipped (fixtures still run)")
    }

    /// Every `.eml` under `sub` (recursively), sorted by path.
    static func messages(_ sub: String) -> [URL] {
        let dir = root.appendingPathComponent(sub)
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return [] }
        var out: [URL] = []
        for case let url as URL in e where url.pathExtension == "eml" { out.append(url) }
        return out.sorted { $0.path < $1.path }
    }

    static func bytes(_ url: URL) -> [UInt8] {
        (try? [UInt8](Data(contentsOf: url))) ?? []
    }
}
