import ArgumentParser

@main
struct Roost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roost",
        abstract: "A mail server for one household: SMTP, IMAP, POP3, filtering, one journal.",
        subcommands: []
    )
}
