import ArgumentParser
import Foundation
import Frontends
import Journal
import Projections

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Set up Roost: a commented config, the data directory, the first user and a certificate.")
    @Option(help: "Your mail domain, e.g. example.org.") var domain: String
    @Option(help: "The first user's local part, e.g. alice (alice@DOMAIN).") var user: String
    @Option(help: "Read the first user's password from the first line of this file (else you are asked).") var passwordFile: String?
    @Option(help: "Where to write the config file.") var config: String = Configuration.defaultPath
    @Option(help: "The data directory.") var data: String = "/var/lib/roost"
    @Option(help: "This server's name (MX target, TLS name); default mail.DOMAIN.") var hostname: String?
    @Option(help: "An existing certificate chain (PEM); default: a self-signed one is made.") var certificate: String?
    @Option(help: "The certificate's private key (PEM).") var key: String?
    @Flag(help: "Overwrite an existing config file and use a data directory that already has a journal.") var force = false

    func validate() throws {
        if (certificate == nil) != (key == nil) { throw ValidationError("give both --certificate and --key, or neither") }
    }

    func run() async throws {
        let domain = domain.lowercased()
        let hostname = self.hostname ?? "mail." + domain
        let data = (data as NSString).standardizingPath
        let fm = FileManager.default
        if !force {
            if fm.fileExists(atPath: config) { throw ValidationError("\(config) exists already; use --force to overwrite it") }
            if fm.fileExists(atPath: data + "/journal") { throw ValidationError("\(data) already holds a journal; use --force to add to it") }
        }
        let password = try readPassword(file: passwordFile, prompt: "password for \(user)@\(domain): ")
        guard !password.isEmpty else { throw ValidationError("the password is empty") }

        try fm.createDirectory(atPath: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let certificatePath = certificate ?? data + "/tls/cert.pem"
        let keyPath = key ?? data + "/tls/key.pem"
        if certificate == nil {
            try SelfSignedCertificate.write(hostname: hostname, certificatePath: certificatePath, keyPath: keyPath)
        }
        let text = ConfigTemplate.render(hostname: hostname, domain: domain, data: data, certificate: certificatePath, key: keyPath)
        // Check what we write parses, before writing it.
        _ = try ConfigurationFile.parse(text, file: config, hostname: hostname)
        try fm.createDirectory(atPath: (config as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: config, atomically: true, encoding: .utf8)

        let journal = try Journal(directory: data + "/journal")
        defer { journal.close() }
        let store = try ProjectionStore(path: data + "/projections.sqlite")
        defer { try? store.close() }
        let projector = try Projector(journal: journal, store: store)
        try await projector.catchUp()
        let executor = AdminExecutor(journal: journal, projector: projector, context: EventContext(actor: .system("init"), proto: "cli"))
        for request in [AdminRequest.domainAdd(name: domain), .userAdd(address: "\(user)@\(domain)", passwordHash: try PasswordHash.make(password))] {
            let response = await executor.execute(request)
            for line in response.lines { print(line) }
            if !response.ok { throw ExitCode(1) }
        }
        print("""

            Roost is set up.
              config:      \(config)
              data:        \(data)
              certificate: \(certificatePath)\(certificate == nil ? " (self-signed; replace it with a real one, e.g. from Let's Encrypt)" : "")

            Next steps:
              1. Publish these DNS records for \(domain):
                   \(domain).            MX   10 \(hostname).
                   \(hostname).   A    <this server's public IPv4 address>
                   \(domain).            TXT  "v=spf1 mx -all"
                   _dmarc.\(domain).     TXT  "v=DMARC1; p=quarantine; rua=mailto:postmaster@\(domain)"
              2. Start the server:   roost serve --config \(config)
              3. Add more users:     roost user add bob@\(domain)
            """)
    }
}

/// The commented config `roost init` writes; every key is in docs/configuration.md.
enum ConfigTemplate {
    static func render(hostname: String, domain: String, data: String, certificate: String, key: String) -> String {
        """
        # Roost configuration. Every key and its default: docs/configuration.md.
        # After editing, `roost serve` checks the whole file and refuses to start on a mistake.

        # This server's name: the MX target, the SMTP greeting, the TLS certificate's name.
        hostname = "\(hostname)"
        # Journal, projections and keys. Back up the journal; the rest can be rebuilt.
        data_directory = "\(data)"
        # The domains Roost receives mail for (more with `roost domain add`).
        domains = ["\(domain)"]

        [tls]
        # PEM files; reloaded on SIGHUP.
        certificate = "\(certificate)"
        key = "\(key)"

        # One [[listeners]] section per port; without any, all standard ports are used:
        # smtp 25, submission 587, submissions 465, imap 143, imaps 993, pop3 110, pop3s 995, managesieve 4190.
        [[listeners]]
        protocol = "smtp"
        address = "0.0.0.0"
        port = 25
        tls = "starttls"

        [[listeners]]
        protocol = "submission"
        port = 587
        tls = "starttls"

        [[listeners]]
        protocol = "submissions"
        port = 465
        tls = "implicit"

        [[listeners]]
        protocol = "imaps"
        port = 993
        tls = "implicit"

        [limits]
        message_size = 52428800      # bytes; announced in SMTP SIZE
        connections_total = 500
        connections_per_ip = 20
        idle_timeout = 600           # seconds
        auth_failures_per_ip = 10    # then the address is refused for auth_refusal seconds
        auth_refusal = 900

        [logging]
        level = "info"               # trace, debug, info, notice, warning, error, critical
        format = "console"           # console or json

        [metrics]
        enabled = true
        address = "127.0.0.1"        # Prometheus scrapes http://127.0.0.1:9464/metrics
        port = 9464

        # The inbound checks on port 25 (docs/pipeline.md). Without [dns] the system resolver is used.
        [dns]
        # nameservers = ["127.0.0.1:53"]
        timeout = 2                  # seconds per attempt
        attempts = 2

        [pipeline]
        stages = ["sender", "sender-domain", "spf", "rdns"]   # add "dnsbl" with [[pipeline.dnsbl]] zones
        trusted_networks = ["127.0.0.0/8", "::1/128"]        # network checks skipped for these clients
        junk_score = 5               # total score at or above: delivered to Junk
        # reject_score = 15          # total score at or above: refused at SMTP time

        # [[pipeline.dnsbl]]
        # zone = "bl.example.net"
        # score = 3
        # codes = { "127.0.0.2" = "spam source" }

        # What each stage result does, over the defaults: accept, junk, reject, tempfail, "score N".
        [policy]
        "spf.fail" = "reject"
        "spf.softfail" = "score 2"
        "spf.temperror" = "tempfail"
        "rdns.none" = "score 1.5"

        """
    }
}
