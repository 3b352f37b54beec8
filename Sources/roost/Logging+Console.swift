import Foundation
import Logging

/// One line per event, readable at 2 a.m.: `2026-12-01T07:00:00.123Z info roost: message key=value`.
/// With `format = "json"`, one JSON object per line instead.
struct ConsoleLogHandler: LogHandler {
    let label: String
    let json: Bool
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let time = ISO8601DateFormatter.roost.string(from: Date())
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let line: String
        if json {
            var object: [String: String] = ["time": time, "level": event.level.rawValue, "logger": label, "message": "\(event.message)"]
            for (k, v) in all { object[k] = "\(v)" }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            line = String(decoding: data, as: UTF8.self)
        } else {
            let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\(quoteIfNeeded("\($0.value)"))" }
            line = ([time, event.level.rawValue, label + ":", "\(event.message)"] + fields).joined(separator: " ")
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    private func quoteIfNeeded(_ s: String) -> String {
        s.contains(" ") || s.isEmpty ? "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : s
    }
}

extension ISO8601DateFormatter {
    nonisolated(unsafe) static let roost: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
}

enum RoostLogging {
    static func bootstrap(level: String, format: Configuration.Logging.Format) {
        let parsed = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in ConsoleLogHandler(label: label, json: format == .json, logLevel: parsed) }
    }
}
