import Foundation
import Pipeline

/// Paths beside the package: Tests/PipelineTests/Support/X.swift → up four levels → package root.
enum TestFiles {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")
    static let corpus = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus")

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    /// Runs a program to completion on a thread of its own (never on the cooperative pool).
    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = arguments
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = pipe
                do {
                    try process.run()
                    let data = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

/// Reads the TXT and A records of the simple master files the fixture scripts write
/// (`$ORIGIN`, one record per line, `name [ttl] IN TYPE data`) into a `DNSTable`.
enum ZoneFile {
    static func table(_ urls: [URL], failing: Set<String> = []) throws -> DNSTable {
        var records: [String: [DNSRecordData]] = [:]
        for url in urls {
            var origin = ""
            for raw in String(decoding: try Data(contentsOf: url), as: UTF8.self).split(separator: "\n") {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.isEmpty || line.hasPrefix(";") { continue }
                if line.hasPrefix("$ORIGIN") { origin = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces); continue }
                if line.hasPrefix("$") { continue }
                var words = line.split(separator: " ", maxSplits: 3).map(String.init)
                if words.count >= 2, Int(words[1]) != nil { words.remove(at: 1) }
                guard words.count >= 3, words[1] == "IN" else { continue }
                let name = words[0] == "@" ? origin : (words[0].hasSuffix(".") ? words[0] : words[0] + "." + origin)
                switch words[2] {
                case "TXT":
                    records[name, default: []].append(.txt(quotedStrings(String(line.drop { $0 != "\"" }))))
                case "A":
                    if let ip = IPAddress(line.split(separator: " ").last.map(String.init) ?? "") {
                        records[name, default: []].append(.a(ip))
                    }
                default: continue
                }
            }
        }
        return DNSTable(records: records, failing: failing)
    }

    static func quotedStrings(_ text: String) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var current: [UInt8]?
        var escaped = false
        for b in text.utf8 {
            if var c = current {
                if escaped { c.append(b); escaped = false; current = c; continue }
                if b == UInt8(ascii: "\\") { escaped = true; continue }
                if b == UInt8(ascii: "\"") { out.append(c); current = nil; continue }
                c.append(b)
                current = c
            } else if b == UInt8(ascii: "\"") {
                current = []
            }
        }
        return out
    }
}
