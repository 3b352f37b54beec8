import Foundation

/// Monotonic nanoseconds (CLOCK_MONOTONIC), cheap enough to call around every command.
@inline(__always) func now() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}

/// Latencies of one kind of operation, in nanoseconds.
struct Latencies: Sendable {
    var samples: [UInt64] = []

    mutating func add(_ ns: UInt64) { samples.append(ns) }
    mutating func merge(_ other: Latencies) { samples += other.samples }

    /// Percentile summary in milliseconds: p50, p90, p99, max.
    func summary() -> (count: Int, p50: Double, p90: Double, p99: Double, max: Double) {
        guard !samples.isEmpty else { return (0, 0, 0, 0, 0) }
        let sorted = samples.sorted()
        func at(_ q: Double) -> Double {
            Double(sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)]) / 1e6
        }
        return (sorted.count, at(0.50), at(0.90), at(0.99), Double(sorted.last!) / 1e6)
    }
}

/// The server's CPU time: utime + stime of its processes plus cutime + cstime (the children they
/// reaped), from /proc/PID/stat. For a multi-process server (Postfix, Dovecot) every process whose
/// executable starts with one of `executablePrefixes` is summed, so short-lived workers count once
/// they are reaped by a master that is itself in the set.
struct ServerCPU: Sendable {
    var pids: [Int32]
    var executablePrefixes: [String]

    var isEmpty: Bool { pids.isEmpty && executablePrefixes.isEmpty }

    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// Seconds of CPU used so far by the selected processes, and how many there are.
    func sample() -> (seconds: Double, processes: Int) {
        var selected = Set(pids)
        if !executablePrefixes.isEmpty, let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") {
            for entry in entries {
                guard let pid = Int32(entry) else { continue }
                guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/exe") else { continue }
                if executablePrefixes.contains(where: { exe.hasPrefix($0) }) { selected.insert(pid) }
            }
        }
        var ticks = 0
        for pid in selected {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Fields after the command name start at field 3 (state); utime is field 14.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 14 else { continue }
            for i in 11...14 { ticks += Int(fields[i]) ?? 0 }
        }
        return (Double(ticks) / Self.ticksPerSecond, selected.count)
    }
}

/// This process's own CPU seconds (user + system), to show the client is not the bottleneck.
func clientCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
}

/// Lets N sessions finish their setup (connect, log in) before the timed part starts together.
actor Barrier {
    private let parties: Int
    private var arrived = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var onRelease: (@Sendable () -> Void)?

    init(parties: Int, onRelease: (@Sendable () -> Void)? = nil) {
        self.parties = parties
        self.onRelease = onRelease
    }

    func arrive() async {
        arrived += 1
        if arrived == parties {
            onRelease?()
            for w in waiting { w.resume() }
            waiting = []
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// A session that failed during setup still has to arrive, or the others would wait forever.
    func leave() {
        arrived += 1
        if arrived == parties {
            onRelease?()
            for w in waiting { w.resume() }
            waiting = []
        }
    }
}

/// A small deterministic generator, so both servers see the same sequence of operations.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Test messages: plausible headers (so ENVELOPE and SEARCH have something to read) and a body of
/// text lines; no line starts with "." so no dot-stuffing is needed.
enum MessageText {
    static let bodyLines = [
        "Hello, here are the notes from today's meeting about the garden and the new shed.",
        "We agreed to order the wood next week; the delivery can come on Thursday morning.",
        "Please bring the measurements of the back wall and the photos of the old fence.",
        "The quick brown fox jumps over the lazy dog, again and again and again.",
        "If anything changes I will write again; otherwise see you all on Saturday at ten.",
    ]

    /// A message of exactly `size` bytes (at least the headers' length).
    static func make(number: Int, to: String, size: Int, from: String = "Load Sender <load@example.com>") -> [UInt8] {
        let sender = number % 7
        var text = "Return-Path: <sender\(sender)@example.com>\r\n"
        text += "From: \(sender == 0 ? from : "Sender \(sender) <sender\(sender)@example.com>")\r\n"
        text += "To: <\(to)>\r\n"
        text += "Subject: Load message \(number) about topic \(number % 13)\r\n"
        text += "Date: Tue, 1 Dec 2026 10:\(String(format: "%02d", number % 60)):00 +0000\r\n"
        text += "Message-ID: <load-\(number)-\(to)@example.com>\r\n"
        text += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        var bytes = Array(text.utf8)
        var line = number
        while bytes.count < size {
            bytes += Array(bodyLines[line % bodyLines.count].utf8) + [13, 10]
            line += 1
        }
        if bytes.count > size && size >= text.utf8.count + 2 {
            bytes.removeLast(bytes.count - size)
            bytes[size - 2] = 13
            bytes[size - 1] = 10
            // A cut line must not end in a lone CR before the final CRLF.
            if bytes[size - 3] == 13 { bytes[size - 3] = UInt8(ascii: "x") }
        }
        return bytes
    }

    /// Sizes for populated mailboxes: mostly small, some larger, like a real inbox.
    static func populationSize(_ i: Int) -> Int {
        [2_048, 4_096, 3_000, 8_192, 4_096, 16_384, 2_500, 6_000, 4_096, 40_000][i % 10]
    }
}

/// Prints a line at once (the compare script reads standard output from a pipe).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

func ms(_ ns: UInt64) -> Double { Double(ns) / 1e6 }

func format(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }

/// One JSON object on a line starting with RESULT, for scripts.
func emitResult(_ fields: [String: any Sendable]) {
    var object: [String: Any] = [:]
    for (k, v) in fields { object[k] = v }
    if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
       let text = String(data: data, encoding: .utf8) {
        say("RESULT " + text)
    }
}
