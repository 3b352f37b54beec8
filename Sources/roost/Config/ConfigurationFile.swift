import Foundation
import Pipeline
import TOMLKit

/// A mistake in the config file: which file, key and line, what is wrong, and what to do.
struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    var file: String
    var line: Int?
    var key: String
    var message: String
    var hint: String?

    var description: String {
        var s = file + (line.map { ":\($0)" } ?? "") + ": " + (key.isEmpty ? "" : "\(key): ") + message
        if let hint { s += "\n  hint: \(hint)" }
        return s
    }
}

/// Reads `roost.toml`. Every key is checked; an unknown key or a bad value is an error naming the
/// file, the key and its line, and Roost refuses to start rather than guess.
enum ConfigurationFile {
    static func load(path: String, hostname: String = ProcessInfo.processInfo.hostName) throws -> Configuration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(file: path, line: nil, key: "", message: "cannot read the file",
                                     hint: "create one with `roost init`, or pass --config FILE")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(file: path, line: nil, key: "", message: "the file is not UTF-8", hint: nil)
        }
        return try parse(text, file: path, hostname: hostname)
    }

    static func parse(_ text: String, file: String, hostname: String) throws -> Configuration {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError(file: file, line: error.source.begin.line, key: "",
                                     message: "not valid TOML: \(error.description)", hint: "see https://toml.io for the syntax")
        }
        var reader = Reader(file: file, locator: SourceLocator(text))
        var config = Configuration.defaults(hostname: hostname)

        try reader.allow(table, path: [], keys: ["hostname", "data_directory", "domains", "tls", "listeners", "limits", "logging", "metrics",
                                                       "dns", "pipeline", "policy"])
        if let v = try reader.string(table, "hostname", path: []) { config.hostname = try reader.hostname(v, key: "hostname", path: []) }
        if let v = try reader.string(table, "data_directory", path: []) { config.dataDirectory = v }
        if let v = try reader.strings(table, "domains", path: []) {
            config.domains = try v.map { try reader.hostname($0.lowercased(), key: "domains", path: []) }
        }

        if let tls = try reader.table(table, "tls", path: []) {
            try reader.allow(tls, path: ["tls"], keys: ["certificate", "key", "plaintext_auth_on_loopback"])
            if let v = try reader.string(tls, "certificate", path: ["tls"]) { config.tls.certificate = v }
            if let v = try reader.string(tls, "key", path: ["tls"]) { config.tls.key = v }
            if let v = try reader.bool(tls, "plaintext_auth_on_loopback", path: ["tls"]) { config.tls.plaintextAuthOnLoopback = v }
        }

        if let value = table["listeners"] {
            guard let array = value.array else {
                throw reader.error(["listeners"], "must be an array of tables: [[listeners]]", hint: "write each listener as a [[listeners]] section")
            }
            config.listeners = []
            for (index, element) in array.enumerated() {
                let path = ["listeners"]
                guard let listener = element.table else {
                    throw reader.error(path, "each entry must be a table", index: index, hint: nil)
                }
                try reader.allow(listener, path: path, keys: ["protocol", "address", "port", "tls"], index: index)
                guard let protoName = try reader.string(listener, "protocol", path: path, index: index) else {
                    throw reader.error(path, "a listener needs `protocol`", index: index,
                                       hint: "one of " + Configuration.ListenerProtocol.allCases.map(\.rawValue).joined(separator: ", "))
                }
                guard let proto = Configuration.ListenerProtocol(rawValue: protoName) else {
                    throw reader.error(path + ["protocol"], "unknown protocol \"\(protoName)\"", index: index,
                                       hint: "one of " + Configuration.ListenerProtocol.allCases.map(\.rawValue).joined(separator: ", "))
                }
                var entry = Configuration.Listener(proto: proto, address: "0.0.0.0", port: proto.standardPort, tls: proto.standardTLS)
                if let v = try reader.string(listener, "address", path: path, index: index) {
                    entry.address = try reader.ipAddress(v, key: "address", path: path, index: index)
                }
                if let v = try reader.int(listener, "port", path: path, index: index, in: 1...65535) { entry.port = v }
                if let v = try reader.choice(listener, "tls", path: path, index: index, Configuration.TLSMode.self) { entry.tls = v }
                if let clash = config.listeners.first(where: { $0.port == entry.port && ($0.address == entry.address || $0.address == "0.0.0.0" || entry.address == "0.0.0.0") }) {
                    throw reader.error(path + ["port"], "port \(entry.port) is already used by the \(clash.proto.rawValue) listener", index: index, hint: nil)
                }
                config.listeners.append(entry)
            }
        }

        // Passwords in the clear only where nobody but this machine can listen in.
        if config.tls.plaintextAuthOnLoopback, let open = config.listeners.first(where: { !Self.isLoopback($0.address) }) {
            throw reader.error(["tls", "plaintext_auth_on_loopback"], "needs every listener on a loopback address; the \(open.proto.rawValue) listener is on \(open.address)",
                               hint: "set address = \"127.0.0.1\" (or \"::1\") on each [[listeners]] section, or remove the key")
        }

        if let limits = try reader.table(table, "limits", path: []) {
            let p = ["limits"]
            try reader.allow(limits, path: p, keys: ["message_size", "connections_total", "connections_per_ip", "idle_timeout", "auth_failures_per_ip", "auth_refusal",
                                                 "smtp_idle_timeout", "smtp_line_timeout", "smtp_recipients", "smtp_messages_per_minute"])
            if let v = try reader.int(limits, "message_size", path: p, in: 1024...(2 << 30)) { config.limits.messageSize = v }
            if let v = try reader.int(limits, "connections_total", path: p, in: 1...1_000_000) { config.limits.connectionsTotal = v }
            if let v = try reader.int(limits, "connections_per_ip", path: p, in: 1...1_000_000) { config.limits.connectionsPerIP = v }
            // RFC 1939 §3 and RFC 9051 §5.4 ask for at least 10 and 30 minutes; 5 s is for tests.
            if let v = try reader.int(limits, "idle_timeout", path: p, in: 5...86_400) { config.limits.idleTimeoutSeconds = v }
            if let v = try reader.int(limits, "auth_failures_per_ip", path: p, in: 1...10_000) { config.limits.authFailuresPerIP = v }
            if let v = try reader.int(limits, "auth_refusal", path: p, in: 1...604_800) { config.limits.authRefusalSeconds = v }
            // RFC 5321 §4.5.3.2.7 asks for at least 5 minutes; the short end is for tests.
            if let v = try reader.int(limits, "smtp_idle_timeout", path: p, in: 2...86_400) { config.limits.smtpIdleTimeoutSeconds = v }
            if let v = try reader.int(limits, "smtp_line_timeout", path: p, in: 1...86_400) { config.limits.smtpLineTimeoutSeconds = v }
            // RFC 5321 §4.5.3.1.8: at least 100 recipients.
            if let v = try reader.int(limits, "smtp_recipients", path: p, in: 100...100_000) { config.limits.smtpRecipients = v }
            if let v = try reader.int(limits, "smtp_messages_per_minute", path: p, in: 0...1_000_000) { config.limits.smtpMessagesPerMinute = v }
        }

        if let logging = try reader.table(table, "logging", path: []) {
            let p = ["logging"]
            try reader.allow(logging, path: p, keys: ["level", "format"])
            if let v = try reader.string(logging, "level", path: p) {
                let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
                guard levels.contains(v) else { throw reader.error(p + ["level"], "unknown level \"\(v)\"", hint: "one of " + levels.joined(separator: ", ")) }
                config.logging.level = v
            }
            if let v = try reader.choice(logging, "format", path: p, Configuration.Logging.Format.self) { config.logging.format = v }
        }

        if let metrics = try reader.table(table, "metrics", path: []) {
            let p = ["metrics"]
            try reader.allow(metrics, path: p, keys: ["enabled", "address", "port"])
            if let v = try reader.bool(metrics, "enabled", path: p) { config.metrics.enabled = v }
            if let v = try reader.string(metrics, "address", path: p) { config.metrics.address = try reader.ipAddress(v, key: "address", path: p) }
            if let v = try reader.int(metrics, "port", path: p, in: 1...65535) { config.metrics.port = v }
        }
        try readPipeline(table, into: &config, reader: reader)
        return config
    }

    /// `[dns]`, `[pipeline]` (with `[[pipeline.dnsbl]]`) and `[policy]`.
    static func readPipeline(_ table: TOMLTable, into config: inout Configuration, reader: Reader) throws {
        if let dns = try reader.table(table, "dns", path: []) {
            let p = ["dns"]
            try reader.allow(dns, path: p, keys: ["nameservers", "timeout", "attempts"])
            if let v = try reader.strings(dns, "nameservers", path: p) {
                config.dns.nameservers = try v.map { try reader.hostPort($0, key: "nameservers", path: p) }
            }
            if let v = try reader.seconds(dns, "timeout", path: p, in: 0.05...60) { config.dns.timeoutMilliseconds = Int(v * 1000) }
            if let v = try reader.int(dns, "attempts", path: p, in: 1...5) { config.dns.attempts = v }
        }
        if let pipeline = try reader.table(table, "pipeline", path: []) {
            let p = ["pipeline"]
            try reader.allow(pipeline, path: p, keys: ["stages", "trusted_networks", "junk_score", "reject_score", "dnsbl"])
            if let v = try reader.strings(pipeline, "stages", path: p) {
                for stage in v where !Configuration.Pipeline.knownStages.contains(stage) {
                    throw reader.error(p + ["stages"], "unknown stage \"\(stage)\"", hint: "known stages: " + Configuration.Pipeline.knownStages.joined(separator: ", "))
                }
                config.pipeline.stages = v
            }
            if let v = try reader.strings(pipeline, "trusted_networks", path: p) {
                for network in v where Configuration.parseNetwork(network) == nil {
                    throw reader.error(p + ["trusted_networks"], "\"\(network)\" is not an address/prefix", hint: "e.g. 127.0.0.0/8, ::1/128 or 192.0.2.0/24")
                }
                config.pipeline.trustedNetworks = v
            }
            if let v = try reader.score(pipeline, "junk_score", path: p) { config.pipeline.junkScoreMilli = v }
            if let v = try reader.score(pipeline, "reject_score", path: p) { config.pipeline.rejectScoreMilli = v }
            if let value = pipeline["dnsbl"] {
                let zp = p + ["dnsbl"]
                guard let array = value.array else {
                    throw reader.error(zp, "must be an array of tables: [[pipeline.dnsbl]]", hint: "write each zone as a [[pipeline.dnsbl]] section")
                }
                for (index, element) in array.enumerated() {
                    guard let zone = element.table else { throw reader.error(zp, "each entry must be a table", index: index, hint: nil) }
                    try reader.allow(zone, path: zp, keys: ["zone", "score", "codes"], index: index)
                    guard let name = try reader.string(zone, "zone", path: zp, index: index) else {
                        throw reader.error(zp, "a DNSBL entry needs `zone`", index: index, hint: "e.g. zone = \"bl.example.net\"")
                    }
                    let absolute = name.hasSuffix(".") ? String(name.dropLast()) : name
                    var entry = Configuration.Pipeline.Zone(zone: try reader.hostname(absolute.lowercased(), key: "zone", path: zp))
                    if let v = try reader.score(zone, "score", path: zp, index: index) { entry.scoreMilli = v }
                    if let codes = zone["codes"] {
                        guard let codes = codes.table else {
                            throw reader.error(zp + ["codes"], "must be a table of return codes", index: index, hint: "codes = { \"127.0.0.2\" = \"spam source\" }")
                        }
                        for key in codes.keys.sorted() {
                            guard let address = IPAddressText.v4(key), address.hasPrefix("127.") else {
                                throw reader.error(zp + ["codes"], "\"\(key)\" is not a 127.0.0.x return code", index: index, hint: "RFC 5782 §2.1: answers are in 127.0.0.0/8")
                            }
                            guard let meaning = codes[key]?.string else {
                                throw reader.error(zp + ["codes"], "the meaning of \(key) must be a string", index: index, hint: nil)
                            }
                            entry.codes[address] = meaning
                        }
                    }
                    config.pipeline.dnsbl.append(entry)
                }
            }
        }
        if let policy = try reader.table(table, "policy", path: []) {
            // Both `"spf.fail" = "reject"` and the dotted-key form `spf.fail = "reject"` (a table).
            var entries: [(String, any TOMLValueConvertible)] = []
            for key in policy.keys.sorted() {
                if let inner = policy[key]?.table {
                    for result in inner.keys.sorted() { entries.append((key + "." + result, inner[result]!)) }
                } else {
                    entries.append((key, policy[key]!))
                }
            }
            for (key, value) in entries {
                let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
                let p = ["policy", key]
                guard parts.count == 2, let results = Configuration.Pipeline.results[parts[0]] else {
                    throw reader.error(p, "not a stage.result key", hint: "stages: " + Configuration.Pipeline.knownStages.joined(separator: ", ") + "; e.g. \"spf.fail\" = \"reject\"")
                }
                guard results.contains(parts[1]) else {
                    throw reader.error(p, "\(parts[0]) has no result \"\(parts[1])\"", hint: "its results: " + results.sorted().joined(separator: ", "))
                }
                guard let text = value.string, PolicyAction(text) != nil else {
                    throw reader.error(p, "must be \"accept\", \"junk\", \"reject\", \"tempfail\" or \"score N\"", hint: "e.g. \"score 1.5\"")
                }
                config.pipeline.policy[key] = text
            }
        }
    }
}

extension ConfigurationFile {
    /// 127.0.0.0/8 and ::1.
    static func isLoopback(_ address: String) -> Bool {
        address == "::1" || address.split(separator: ".").first == "127"
    }
}

/// Finds the line of a key in the TOML text (TOMLKit reports lines only for syntax errors).
struct SourceLocator {
    private let lines: [Substring]
    init(_ text: String) { lines = text.split(separator: "\n", omittingEmptySubsequences: false) }

    /// The 1-based line of `key` in table `table` (the `index`-th `[[table]]` for arrays), or the
    /// table's header line when the key is not written, or nil.
    func line(table: [String], key: String?, index: Int? = nil) -> Int? {
        var current: [String] = []
        var arrayCount: [String: Int] = [:]
        var headerLine: Int?
        var inTarget = table.isEmpty
        for (number, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[[") {
                let name = String(line.dropFirst(2).prefix { $0 != "]" }).trimmingCharacters(in: .whitespaces)
                current = name.split(separator: ".").map(String.init)
                let n = arrayCount[name, default: -1] + 1
                arrayCount[name] = n
                inTarget = current == table && (index == nil || index == n)
                if inTarget { headerLine = number + 1 }
                continue
            }
            if line.hasPrefix("[") {
                let name = String(line.dropFirst().prefix { $0 != "]" }).trimmingCharacters(in: .whitespaces)
                current = name.split(separator: ".").map(String.init)
                inTarget = current == table
                if inTarget { headerLine = number + 1 }
                continue
            }
            guard inTarget, let key else { continue }
            let name = line.prefix { $0 != "=" }.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            if line.contains("="), name == key { return number + 1 }
        }
        return headerLine
    }
}

/// Typed access to TOML values that turns every mismatch into a ConfigurationError.
struct Reader {
    let file: String
    let locator: SourceLocator

    func error(_ path: [String], _ message: String, index: Int? = nil, hint: String?) -> ConfigurationError {
        let table = Array(path.dropLast())
        let key = path.last
        let shown = path.joined(separator: ".") + (index.map { " (entry \($0 + 1))" } ?? "")
        // A whole-table problem points at its header.
        let line = locator.line(table: key.map { _ in table } ?? path, key: key, index: index)
            ?? locator.line(table: path, key: nil, index: index)
        return ConfigurationError(file: file, line: line, key: shown, message: message, hint: hint)
    }

    func allow(_ table: TOMLTable, path: [String], keys: Set<String>, index: Int? = nil) throws {
        for key in table.keys.sorted() where !keys.contains(key) {
            let close = keys.min { distance($0, key) < distance($1, key) }
            throw error(path + [key], "unknown key", index: index,
                        hint: close.map { distance($0, key) <= 3 ? "did you mean `\($0)`?" : nil } ?? nil
                            ?? "known keys here: " + keys.sorted().joined(separator: ", "))
        }
    }

    func string(_ t: TOMLTable, _ key: String, path: [String], index: Int? = nil) throws -> String? {
        guard let value = t[key] else { return nil }
        guard let s = value.string else { throw error(path + [key], "must be a string (in quotes), found \(value.type)", index: index, hint: nil) }
        return s
    }

    func strings(_ t: TOMLTable, _ key: String, path: [String]) throws -> [String]? {
        guard let value = t[key] else { return nil }
        guard let array = value.array else { throw error(path + [key], "must be an array of strings, like [\"a\", \"b\"]", hint: nil) }
        return try array.map { element in
            guard let s = element.string else { throw error(path + [key], "every element must be a string", hint: nil) }
            return s
        }
    }

    func int(_ t: TOMLTable, _ key: String, path: [String], index: Int? = nil, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = t[key] else { return nil }
        guard let n = value.int else { throw error(path + [key], "must be a whole number, found \(value.type)", index: index, hint: nil) }
        guard range.contains(n) else {
            throw error(path + [key], "\(n) is out of range", index: index, hint: "allowed: \(range.lowerBound)…\(range.upperBound)")
        }
        return n
    }

    func bool(_ t: TOMLTable, _ key: String, path: [String]) throws -> Bool? {
        guard let value = t[key] else { return nil }
        guard let b = value.bool else { throw error(path + [key], "must be true or false, found \(value.type)", hint: nil) }
        return b
    }

    func table(_ t: TOMLTable, _ key: String, path: [String]) throws -> TOMLTable? {
        guard let value = t[key] else { return nil }
        guard let table = value.table else { throw error(path + [key], "must be a table: [\(key)]", hint: nil) }
        return table
    }

    func choice<T: RawRepresentable & CaseIterable>(_ t: TOMLTable, _ key: String, path: [String], index: Int? = nil, _ type: T.Type) throws -> T? where T.RawValue == String {
        guard let s = try string(t, key, path: path, index: index) else { return nil }
        guard let v = T(rawValue: s) else {
            throw error(path + [key], "\"\(s)\" is not allowed", index: index, hint: "one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return v
    }

    func hostname(_ s: String, key: String, path: [String]) throws -> String {
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        let valid = !s.isEmpty && s.count <= 253 && labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
        guard valid else { throw error(path + [key], "\"\(s)\" is not a valid domain name", hint: "use ASCII (A-labels for international names), e.g. example.org") }
        return s
    }

    func ipAddress(_ s: String, key: String, path: [String], index: Int? = nil) throws -> String {
        var v4 = in_addr(), v6 = in6_addr()
        guard inet_pton(AF_INET, s, &v4) == 1 || inet_pton(AF_INET6, s, &v6) == 1 else {
            throw error(path + [key], "\"\(s)\" is not an IP address", index: index, hint: "e.g. 0.0.0.0, ::, 127.0.0.1 or 192.0.2.10")
        }
        return s
    }
}

extension Reader {
    /// "host:port" or "[v6]:port" with an IP address host.
    func hostPort(_ s: String, key: String, path: [String]) throws -> String {
        let host: Substring, port: Substring
        if s.hasPrefix("["), let close = s.firstIndex(of: "]"), s[s.index(after: close)...].hasPrefix(":") {
            host = s[s.index(after: s.startIndex)..<close]
            port = s[s.index(close, offsetBy: 2)...]
        } else if let colon = s.lastIndex(of: ":"), s.firstIndex(of: ":") == colon {
            host = s[..<colon]
            port = s[s.index(after: colon)...]
        } else {
            host = Substring(s)
            port = "53"
        }
        guard let address = IPAddress(String(host)), let n = Int(port), (1...65535).contains(n) else {
            throw error(path + [key], "\"\(s)\" is not an IP address with an optional port", hint: "e.g. \"127.0.0.1:5353\" or \"192.0.2.53\"")
        }
        // The resolver (libresolv) is given IPv4 nameservers only.
        guard address.isIPv4 else {
            throw error(path + [key], "\"\(s)\": nameservers must be IPv4 addresses", hint: "e.g. \"127.0.0.1:53\"; leave nameservers out to use /etc/resolv.conf")
        }
        return address.description + ":\(n)"
    }

    /// Seconds as a whole or decimal number.
    func seconds(_ t: TOMLTable, _ key: String, path: [String], in range: ClosedRange<Double>) throws -> Double? {
        guard let value = t[key] else { return nil }
        guard let v = value.double ?? value.int.map(Double.init) else {
            throw error(path + [key], "must be a number of seconds, found \(value.type)", hint: "e.g. 2 or 0.5")
        }
        guard range.contains(v) else { throw error(path + [key], "\(v) is out of range", hint: "allowed: \(range.lowerBound)…\(range.upperBound) seconds") }
        return v
    }

    /// A score in points (whole or with up to three decimals), as thousandths.
    func score(_ t: TOMLTable, _ key: String, path: [String], index: Int? = nil) throws -> Int64? {
        guard let value = t[key] else { return nil }
        let text: String? = if let i = value.int { String(i) } else if let d = value.double { String(d) } else { nil }
        guard let text, let milli = PolicyAction.milli(text), abs(milli) <= 1_000_000_000 else {
            throw error(path + [key], "must be a number of points, found \(value.type)", index: index, hint: "e.g. 5 or 2.5")
        }
        return milli
    }
}

/// Text forms of addresses the config checks.
enum IPAddressText {
    /// A dotted quad, normalized; nil otherwise.
    static func v4(_ s: String) -> String? {
        guard let address = IPAddress(s), address.isIPv4 else { return nil }
        return address.description
    }
}

extension Configuration {
    /// "192.0.2.0/24", "::1/128", or a bare address (a host).
    static func parseNetwork(_ s: String) -> (address: IPAddress, prefixLength: Int)? {
        let parts = s.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else { return nil }
        let bits = address.isIPv4 ? 32 : 128
        guard parts.count == 2 else { return (address, bits) }
        guard let n = Int(parts[1]), (0...bits).contains(n) else { return nil }
        return (address, n)
    }
}

/// Edit distance, for "did you mean" hints.
private func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var row = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var previous = row[0]
        row[0] = i
        for j in 1...max(b.count, 1) where !b.isEmpty {
            let old = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
            previous = old
        }
    }
    return row[b.count]
}
