import Foundation
@testable import Journal

/// A fresh directory under the system temp dir, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "journal") throws {
        var template = Array((NSTemporaryDirectory() + "roost-test-\(label)-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        path = String(cString: made)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func sub(_ name: String) -> String { path + "/" + name }
}

/// Message-like text, so compression behaves as with mail.
func sampleText(_ length: Int, seed: Int) -> [UInt8] {
    let words = ["Received:", "from", "mail.example.org", "by", "roost.test", "with", "ESMTPS", "id", "\(seed)",
                 "Subject:", "Re:", "the", "quarterly", "report", "attached", "please", "find", "=?utf-8?q?caf=C3=A9?=", "\r\n"]
    var out: [UInt8] = []
    out.reserveCapacity(length)
    var i = seed
    while out.count < length {
        out.append(contentsOf: words[i % words.count].utf8)
        out.append(0x20)
        i = i &* 1103515245 &+ 12345
        i = (i >> 4) & 0x7FFF_FFFF
    }
    return Array(out.prefix(length))
}

/// Copies a directory tree (small journals only).
func copyDirectory(_ from: String, to: String) throws {
    try? FileManager.default.removeItem(atPath: to)
    try FileManager.default.copyItem(atPath: from, toPath: to)
}

func segmentFiles(_ directory: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".seg") }.sorted()
}

/// Overwrites bytes of a file in place.
func patch(_ path: String, at offset: Int, with bytes: [UInt8]) throws {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: UInt64(offset))
    handle.write(Data(bytes))
}

func readBytes(_ path: String, at offset: Int, count: Int) throws -> [UInt8] {
    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: UInt64(offset))
    return Array(handle.readData(ofLength: count))
}
