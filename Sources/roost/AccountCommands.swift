import ArgumentParser
import Foundation
import Frontends
import Journal
import Projections

/// Where a command finds the data directory: `--data`, else the config file's `data_directory`.
struct DataLocation: ParsableArguments {
    @Option(name: .long, help: "The config file (default /etc/roost/roost.toml).")
    var config: String?
    @Option(name: .long, help: "The data directory; overrides the config file.")
    var data: String?

    func directory() throws -> String {
        if let data { return data }
        let path = config ?? Configuration.defaultPath
        if config != nil || FileManager.default.fileExists(atPath: path) {
            return try ConfigurationFile.load(path: path).dataDirectory
        }
        return Configuration.defaults(hostname: "localhost").dataDirectory
    }
}

/// Runs an admin request through the running server's socket, or directly on the data directory
/// when no server runs. Prints the response; exits non-zero on failure.
func perform(_ request: AdminRequest, location: DataLocation) async throws {
    let directory = try location.directory()
    let response: AdminResponse
    switch try AdminClient.send(request, socket: directory + "/admin.sock") {
    case .server(let r):
        response = r
    case .noServer:
        let journal = try Journal(directory: directory + "/journal")
        defer { journal.close() }
        let store = try ProjectionStore(path: directory + "/projections.sqlite")
        defer { try? store.close() }
        let projector = try Projector(journal: journal, store: store)
        try await projector.catchUp()
        let executor = AdminExecutor(journal: journal, projector: projector, context: EventContext(actor: .system("cli"), proto: "cli"))
        response = await executor.execute(request)
    }
    for line in response.lines { print(line) }
    if !response.ok { throw ExitCode(1) }
}

/// A password from `--password-file` (first line), else asked for on the terminal, else the
/// first line of standard input.
func readPassword(file: String?, prompt: String) throws -> String {
    if let file {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ValidationError("cannot read the password file \(file)")
        }
        return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
    }
    if isatty(0) != 0, let typed = getpass(prompt) {
        return String(cString: typed)
    }
    guard let line = readLine(strippingNewline: true) else { throw ValidationError("no password given") }
    return line
}

/// A new password, read as `readPassword` does, refused when empty, hashed for the journal.
func newPasswordHash(file: String?, prompt: String) throws -> String {
    let password = try readPassword(file: file, prompt: prompt)
    guard !password.isEmpty else { throw ValidationError("the password is empty") }
    return try PasswordHash.make(password)
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Add, change, delete, list and import users.",
        subcommands: [Add.self, Passwd.self, Del.self, List.self, Import.self, Test.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user with the standard mailboxes.")
        @OptionGroup var location: DataLocation
        @Argument(help: "The user's address, e.g. alice@example.org.") var address: String
        @Option(help: "Read the password from the first line of this file.") var passwordFile: String?
        func run() async throws {
            let hash = try newPasswordHash(file: passwordFile, prompt: "password for \(address): ")
            try await perform(.userAdd(address: address, passwordHash: hash), location: location)
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a user's password.")
        @OptionGroup var location: DataLocation
        @Argument var address: String
        @Option(help: "Read the password from the first line of this file.") var passwordFile: String?
        func run() async throws {
            let hash = try newPasswordHash(file: passwordFile, prompt: "new password for \(address): ")
            try await perform(.userPasswd(address: address, passwordHash: hash), location: location)
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a password against a user's stored hash (reads the projections; changes nothing).")
        @OptionGroup var location: DataLocation
        @Argument var address: String
        @Option(help: "Read the password from the first line of this file.") var passwordFile: String?
        func run() async throws {
            let directory = try location.directory()
            let password = try readPassword(file: passwordFile, prompt: "password for \(address): ")
            let store = try ProjectionStore(path: directory + "/projections.sqlite", readOnly: true)
            defer { try? store.close() }
            guard let user = try store.user(address: address) else {
                print("no such user: \(address)")
                throw ExitCode(1)
            }
            guard PasswordHash.verify(password, against: user.passwordHash) else {
                print("password does not match for \(user.address)")
                throw ExitCode(1)
            }
            print("password matches for \(user.address)")
        }
    }

    struct Del: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a user and their mailboxes.")
        @OptionGroup var location: DataLocation
        @Argument var address: String
        func run() async throws { try await perform(.userDel(address: address), location: location) }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var location: DataLocation
        func run() async throws { try await perform(.userList, location: location) }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import users from a Dovecot passwd-file (user@domain:{SCHEME}hash:…); crypt hashes are kept as they are.")
        @OptionGroup var location: DataLocation
        @Argument(help: "The passwd-file.") var file: String
        func run() async throws {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ValidationError("cannot read \(file)") }
            var entries: [AdminRequest.ImportEntry] = []
            for (number, line) in text.split(separator: "\n").enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                let fields = trimmed.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                guard fields.count >= 2 else { throw ValidationError("\(file):\(number + 1): expected user:password") }
                var hash = String(fields[1])
                // Dovecot writes the scheme in braces: {CRYPT}, {SHA512-CRYPT}, {BLF-CRYPT}; libcrypt reads the hash itself.
                if hash.hasPrefix("{"), let close = hash.firstIndex(of: "}") { hash = String(hash[hash.index(after: close)...]) }
                entries.append(.init(address: String(fields[0]), passwordHash: hash))
            }
            try await perform(.userImport(entries: entries), location: location)
        }
    }
}

struct AliasCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alias", abstract: "Aliases, catch-alls (@domain) and forwards to outside addresses.",
        subcommands: [Add.self, Del.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an alias: ADDRESS TARGET… (local users or outside addresses).")
        @OptionGroup var location: DataLocation
        @Argument var address: String
        @Argument var targets: [String]
        func run() async throws { try await perform(.aliasAdd(address: address, targets: targets), location: location) }
    }

    struct Del: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an alias.")
        @OptionGroup var location: DataLocation
        @Argument var address: String
        func run() async throws { try await perform(.aliasDel(address: address), location: location) }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List aliases.")
        @OptionGroup var location: DataLocation
        func run() async throws { try await perform(.aliasList, location: location) }
    }
}

struct DomainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "domain", abstract: "The domains Roost receives mail for.", subcommands: [Add.self, Del.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a local domain.")
        @OptionGroup var location: DataLocation
        @Argument var name: String
        func run() async throws { try await perform(.domainAdd(name: name), location: location) }
    }

    struct Del: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a local domain (it must have no users).")
        @OptionGroup var location: DataLocation
        @Argument var name: String
        func run() async throws { try await perform(.domainDel(name: name), location: location) }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List local domains.")
        @OptionGroup var location: DataLocation
        func run() async throws { try await perform(.domainList, location: location) }
    }
}
