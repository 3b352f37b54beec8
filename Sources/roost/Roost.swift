import ArgumentParser

@main
struct Roost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roost",
        abstract: "A mail server for one household: SMTP, IMAP, POP3, filtering, one journal.",
        subcommands: [ServeCommand.self, InitCommand.self, UserCommand.self, AliasCommand.self, DomainCommand.self,
                      JournalCommand.self, RebuildCommand.self, AuditCommand.self, ReplayCommand.self]
    )
}

/// `--data DIR`, shared by the commands that work on a data directory.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .long, help: "The data directory (journal, projections, keys).")
    var data: String = "/var/lib/roost"

    var journalDirectory: String { path("journal") }
    var projectionsPath: String { path("projections.sqlite") }

    private func path(_ name: String) -> String { data.hasSuffix("/") ? data + name : data + "/" + name }
}
