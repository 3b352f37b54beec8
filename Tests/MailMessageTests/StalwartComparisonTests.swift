import Foundation
import Testing
@testable import MailMessage

/// Compares Roost with the parse results of stalwartlabs/mail-parser stored beside the
/// stalwart corpus messages (`<name>.json`). Only what both models express is compared:
/// subject, From/To, the MIME tree's types, file names, and part offsets. Every difference
/// must be listed in `StalwartKnownDifferences` with the RFC clause that makes Roost right.
@Suite("Stalwart mail-parser comparison")
struct StalwartComparisonTests {
    struct Summary {
        var values: [String: String] = [:]
    }

    @Test("differences from stalwart are exactly the known ones")
    func compareAll() throws {
        guard Corpus.isPresent else { return Corpus.reportMissing() }
        let dir = Corpus.root.appendingPathComponent("mime")
        let jsons = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasPrefix("stalwart-") && $0.hasSuffix(".json") }.sorted()
        #expect(jsons.count > 50)
        var report: [String] = []
        for j in jsons {
            let base = String(j.dropLast(5))
            let eml = dir.appendingPathComponent(base + ".eml")
            guard FileManager.default.fileExists(atPath: eml.path) else { continue }
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(j))) as! [String: Any]
            let theirs = Self.summarize(json: json)
            let raw = Corpus.bytes(eml)
            var ours = Self.summarize(Message(bytes: raw))
            // The stored results were made from LF-only copies of these (CRLF) files: compare
            // offsets on the same bytes.
            ours.values["offsets"] = Self.offsets(Message(bytes: Self.lfOnly(raw)))
            var differing: [String] = []
            for key in Set(theirs.values.keys).union(ours.values.keys).sorted() where theirs.values[key] != ours.values[key] {
                differing.append(key)
                report.append("\(base) \(key)\n  roost:    \(ours.values[key] ?? "-")\n  stalwart: \(theirs.values[key] ?? "-")")
            }
            let known = StalwartKnownDifferences.list[base].map { Set($0.keys) } ?? []
            #expect(Set(differing) == known, "\(base): differs in \(differing.sorted()), known \(known.sorted())")
        }
        if !report.isEmpty {
            print("stalwart differences (\(report.count)):\n" + report.joined(separator: "\n"))
        }
    }

    // MARK: Roost side

    static func summarize(_ m: Message) -> Summary {
        var s = Summary()
        s.values["subject"] = m.subject ?? "-"
        s.values["from"] = render(m.from)
        s.values["to"] = render(m.to)
        s.values["tree"] = shape(m.root)
        s.values["filenames"] = m.root.allParts.compactMap(\.filename).sorted().joined(separator: " | ")
        s.values["offsets"] = offsets(m)
        s.values["texts"] = topLevelParts(m.root).map { p -> String in
            guard case .single = p.body, p.contentType.type == "text" || !p.hasContentTypeField else { return "-" }
            if p.disposition?.isAttachment == true { return "-" }
            return digest(m.text(of: p).text)
        }.joined(separator: " ")
        return s
    }

    /// Short, comparable stand-in for a decoded text: length and a hash of its scalars,
    /// line endings normalised (stalwart's model keeps them as found).
    static func digest(_ t: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var n = 0
        for u in t.unicodeScalars where u != "\r" {
            h = (h ^ UInt64(u.value)) &* 0x100_0000_01b3
            n += 1
        }
        return "\(n):\(String(h, radix: 16).prefix(6))"
    }

    static func offsets(_ m: Message) -> String {
        topLevelParts(m.root).map { "\($0.headerRange.lowerBound),\($0.bodyRange.lowerBound),\($0.bodyRange.upperBound)" }.joined(separator: " ")
    }

    static func lfOnly(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        for (i, c) in b.enumerated() where !(c == 13 && i + 1 < b.count && b[i + 1] == 10) { out.append(c) }
        return out
    }

    static func render(_ a: [Address]) -> String {
        a.flatMap(\.mailboxes).map { "\($0.displayName ?? "") <\($0.domain == nil ? $0.localPart : $0.address)>" }.joined(separator: ", ")
    }

    static func shape(_ p: MessagePart) -> String {
        let kids = p.children.map(shape)
        return p.contentType.mimeType + (kids.isEmpty ? "" : "(" + kids.joined(separator: ",") + ")")
    }

    /// Parts in depth-first order, not descending into encapsulated messages (stalwart lists
    /// those in a nested message of their own).
    static func topLevelParts(_ p: MessagePart) -> [MessagePart] {
        var out = [p]
        if case .multipart(let mp) = p.body { for c in mp.parts { out += topLevelParts(c) } }
        return out
    }

    // MARK: Stalwart side

    static func summarize(json: [String: Any]) -> Summary {
        var s = Summary()
        let parts = json["parts"] as? [[String: Any]] ?? []
        guard let root = parts.first else { return s }
        let headers = root["headers"] as? [[String: Any]] ?? []
        s.values["subject"] = headerText(headers, "subject") ?? "-"
        s.values["from"] = addresses(headers, "from")
        s.values["to"] = addresses(headers, "to")
        s.values["tree"] = shape(json: json, index: 0)
        s.values["filenames"] = allFilenames(json).sorted().joined(separator: " | ")
        var offs: [String] = []
        walkTop(json, 0) { p in
            offs.append("\(p["offset_header"] as? Int ?? -1),\(p["offset_body"] as? Int ?? -1),\(p["offset_end"] as? Int ?? -1)")
        }
        s.values["offsets"] = offs.joined(separator: " ")
        var texts: [String] = []
        walkTop(json, 0) { p in
            let body = p["body"] as? [String: Any] ?? [:]
            if let t = (body["Text"] ?? body["Html"]) as? String {
                let headers = p["headers"] as? [[String: Any]] ?? []
                let attached = headers.contains { h in
                    guard (h["name"] as? String) == "content_disposition", let v = h["value"] as? [String: Any],
                        let ct = v["ContentType"] as? [String: Any] else { return false }
                    return (ct["c_type"] as? String)?.lowercased() == "attachment"
                }
                texts.append(attached ? "-" : digest(t))
            } else {
                texts.append("-")
            }
        }
        s.values["texts"] = texts.joined(separator: " ")
        return s
    }

    static func walkTop(_ json: [String: Any], _ i: Int, _ f: ([String: Any]) -> Void) {
        let parts = json["parts"] as? [[String: Any]] ?? []
        guard i < parts.count else { return }
        f(parts[i])
        if let body = parts[i]["body"] as? [String: Any], let kids = body["Multipart"] as? [Int] {
            for k in kids { walkTop(json, k, f) }
        }
    }

    static func headerText(_ headers: [[String: Any]], _ name: String) -> String? {
        for h in headers where (h["name"] as? String) == name {
            if let v = h["value"] as? [String: Any], let t = v["Text"] as? String { return t }
            return ""
        }
        return nil
    }

    static func addresses(_ headers: [[String: Any]], _ name: String) -> String {
        var out: [String] = []
        for h in headers where (h["name"] as? String) == name {
            guard let v = h["value"] as? [String: Any], let a = v["Address"] as? [String: Any] else { continue }
            var list: [[String: Any]] = a["List"] as? [[String: Any]] ?? []
            if let groups = a["Group"] as? [[String: Any]] {
                for g in groups { list += g["addresses"] as? [[String: Any]] ?? [] }
            }
            for m in list {
                out.append("\(m["name"] as? String ?? "") <\(m["address"] as? String ?? "")>")
            }
        }
        return out.joined(separator: ", ")
    }

    static func contentType(_ headers: [[String: Any]]) -> (String, [[String: Any]])? {
        for h in headers where (h["name"] as? String) == "content_type" {
            guard let v = h["value"] as? [String: Any], let ct = v["ContentType"] as? [String: Any] else { continue }
            let t = (ct["c_type"] as? String ?? "").lowercased()
            let sub = (ct["c_subtype"] as? String)?.lowercased()
            return (sub.map { t + "/" + $0 } ?? t, ct["attributes"] as? [[String: Any]] ?? [])
        }
        return nil
    }

    static func shape(json: [String: Any], index: Int) -> String {
        let parts = json["parts"] as? [[String: Any]] ?? []
        guard index < parts.count else { return "?" }
        let p = parts[index]
        let headers = p["headers"] as? [[String: Any]] ?? []
        let body = p["body"] as? [String: Any] ?? [:]
        var type = contentType(headers)?.0 ?? (body["Message"] != nil ? "message/rfc822" : "text/plain")
        if type == "text" { type = "text/plain" }
        var kids: [String] = []
        if let k = body["Multipart"] as? [Int] { kids = k.map { shape(json: json, index: $0) } }
        if let inner = body["Message"] as? [String: Any] { kids = [shape(json: inner, index: 0)] }
        return type + (kids.isEmpty ? "" : "(" + kids.joined(separator: ",") + ")")
    }

    static func allFilenames(_ json: [String: Any]) -> [String] {
        var out: [String] = []
        for p in json["parts"] as? [[String: Any]] ?? [] {
            let headers = p["headers"] as? [[String: Any]] ?? []
            var name: String?
            for h in headers where (h["name"] as? String) == "content_disposition" {
                if let v = h["value"] as? [String: Any], let ct = v["ContentType"] as? [String: Any] {
                    for a in ct["attributes"] as? [[String: Any]] ?? [] where (a["name"] as? String)?.lowercased() == "filename" {
                        name = a["value"] as? String
                    }
                }
            }
            if name == nil, let (_, attrs) = contentType(headers) {
                for a in attrs where (a["name"] as? String)?.lowercased() == "name" { name = a["value"] as? String }
            }
            if let name { out.append(name) }
            if let body = p["body"] as? [String: Any], let inner = body["Message"] as? [String: Any] {
                out += allFilenames(inner)
            }
        }
        return out
    }
}
