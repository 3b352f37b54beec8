import ArgumentParser
import Foundation
import Journal
import Projections

struct RebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Build every projection from the journal into a new database and swap it in.",
        discussion: """
            The live database stays in place until the new one is complete; an interrupted rebuild \
            changes nothing. Run it with the server stopped.
            """)
    @OptionGroup var options: DataDirectoryOption

    func run() async throws {
        // Opening for writing takes the journal's writer lock, so a running server is detected.
        let journal = try Journal(directory: options.journalDirectory)
        defer { journal.close() }
        if let recovery = journal.recovery { print(recovery) }
        let meter = ProgressMeter(interactive: isatty(1) != 0)
        let applied = try await Rebuild.run(journal: journal, databasePath: options.projectionsPath) { meter.show($0) }
        meter.finish()
        print("rebuilt \(options.projectionsPath) from \(applied) events")
    }
}

/// A progress bar on a terminal, plain lines every few seconds otherwise (logs, CI).
final class ProgressMeter: @unchecked Sendable {
    let interactive: Bool
    private var lastLine = Date.distantPast
    private let lock = NSLock()

    init(interactive: Bool) { self.interactive = interactive }

    func show(_ p: Rebuild.Progress) {
        lock.lock()
        defer { lock.unlock() }
        let fraction = p.total == 0 ? 1 : Double(p.applied) / Double(p.total)
        let rate = Int(p.eventsPerSecond)
        let eta = p.remainingSeconds.map { "\(Int($0.rounded(.up)))s" } ?? "?"
        if interactive {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardOutput.write(Data("\r[\(bar)] \(Int(fraction * 100))% \(p.applied)/\(p.total) events, \(rate) events/s, ETA \(eta)   ".utf8))
        } else if Date().timeIntervalSince(lastLine) >= 2 || p.applied == p.total {
            lastLine = Date()
            print("rebuild: \(p.applied)/\(p.total) events (\(Int(fraction * 100))%), \(rate) events/s, ETA \(eta)")
        }
    }

    func finish() {
        if interactive { FileHandle.standardOutput.write(Data("\n".utf8)) }
    }
}
