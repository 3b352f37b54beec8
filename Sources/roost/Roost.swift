import ArgumentParser

@main
struct Roost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roost",
        abstract: "A mail server for one household: SMTP, IMAP, POP3, filtering, one journal.",
        subcommands: [JournalCommand.self]
    )
}

/// `--data DIR`, shared by the commands that work on a data directory.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .long, help: "The data directory (journal, projections, keys).")
    var data: String = "/var/lib/roost"

    var journalDirectory: String { data.hasSuffix("/") ? data + "journal" : data + "/journal" }
}
