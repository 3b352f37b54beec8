import ArgumentParser

/// Load generators for mail servers (issue 15): the same load against Roost and against the
/// classic stack, each run printing a summary and one `RESULT {json}` line for scripts.
@main
struct RoostLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "RoostLoad",
        abstract: "SMTP, IMAP and POP3 load against any server on this machine.",
        subcommands: [SMTPCommand.self, IMAPCommand.self, POP3Command.self])
}
