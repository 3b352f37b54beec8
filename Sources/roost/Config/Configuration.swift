/// Everything `roost serve` is told by its one config file (docs/configuration.md lists every key).
/// Nested Sendable values with defaults; reading them from TOML is in ConfigurationFile.swift.
struct Configuration: Sendable, Equatable {
    var hostname: String
    var dataDirectory: String
    /// Domains Roost receives mail for; each is added (as an event) at start if it is new.
    var domains: [String]
    var listeners: [Listener]
    var tls: TLSFiles
    var limits: Limits
    var logging: Logging
    var metrics: Metrics
    var dns = DNS()
    var pipeline = Pipeline()
    /// True only for `roost serve --dev`: loopback only, plaintext AUTH allowed.
    var isDevelopment = false

    /// Whether a password may be accepted on a connection without TLS.
    var allowsPlaintextAuthentication: Bool { isDevelopment || tls.plaintextAuthOnLoopback }

    enum TLSMode: String, Sendable, CaseIterable { case none, starttls, implicit }

    enum ListenerProtocol: String, Sendable, CaseIterable {
        case smtp, submission, submissions, imap, imaps, pop3, pop3s, managesieve

        /// The conventional port (RFC 5321, 6409, 8314, 9051, 1939, 5804).
        var standardPort: Int {
            switch self {
            case .smtp: 25
            case .submission: 587
            case .submissions: 465
            case .imap: 143
            case .imaps: 993
            case .pop3: 110
            case .pop3s: 995
            case .managesieve: 4190
            }
        }

        var standardTLS: TLSMode {
            switch self {
            case .submissions, .imaps, .pop3s: .implicit
            default: .starttls
            }
        }
    }

    struct Listener: Sendable, Equatable {
        var proto: ListenerProtocol
        var address: String
        var port: Int
        var tls: TLSMode
    }

    struct TLSFiles: Sendable, Equatable {
        var certificate: String
        var key: String
        /// `[tls] plaintext_auth_on_loopback`: passwords without TLS, accepted only when every
        /// listener is on a loopback address (benchmarks against peers that run without TLS).
        var plaintextAuthOnLoopback = false
    }

    struct Limits: Sendable, Equatable {
        var messageSize = 50 * 1024 * 1024
        var connectionsTotal = 500
        var connectionsPerIP = 20
        var idleTimeoutSeconds = 600
        var authFailuresPerIP = 10
        var authRefusalSeconds = 900
        /// SMTP (RFC 5321 §4.5.3.2): waiting for a command or the next data line, and for a line
        /// that was started and not finished.
        var smtpIdleTimeoutSeconds = 300
        var smtpLineTimeoutSeconds = 180
        var smtpRecipients = 100
        /// Messages per client address per minute, over all SMTP listeners; 0 for no limit.
        var smtpMessagesPerMinute = 120
    }

    struct Logging: Sendable, Equatable {
        enum Format: String, Sendable, CaseIterable { case console, json }
        var level = "info"
        var format = Format.console
    }

    struct Metrics: Sendable, Equatable {
        var enabled = true
        var address = "127.0.0.1"
        var port = 9464
    }

    /// `[dns]`: where the inbound checks ask.
    struct DNS: Sendable, Equatable {
        /// "host:port" ("[v6]:port"); empty for the system resolver (/etc/resolv.conf).
        var nameservers: [String] = []
        var timeoutMilliseconds = 2000
        var attempts = 2
    }

    /// `[pipeline]` and `[policy]`: which inbound checks run on the MX listener, and what their
    /// results do.
    struct Pipeline: Sendable, Equatable {
        static let knownStages = ["sender", "sender-domain", "spf", "rdns", "dnsbl", "dkim", "dmarc"]
        /// The results each stage can give, for checking `[policy]` keys.
        static let results: [String: Set<String>] = [
            "sender": ["valid", "invalid", "null"],
            "sender-domain": ["pass", "nullmx", "nxdomain", "norecords", "temperror", "skipped"],
            "spf": ["none", "neutral", "pass", "fail", "softfail", "temperror", "permerror", "skipped"],
            "rdns": ["confirmed", "unconfirmed", "none", "temperror", "skipped"],
            "dnsbl": ["listed", "none", "temperror", "skipped"],
            "dkim": ["pass", "fail", "policy", "neutral", "temperror", "permerror", "none", "skipped"],
            // A failing message's result is the disposition its domain asked for (docs/pipeline.md).
            "dmarc": ["pass", "reject", "quarantine", "fail", "none", "temperror", "permerror", "skipped"],
        ]
        struct Zone: Sendable, Equatable {
            var zone: String
            var scoreMilli: Int64 = 0
            /// "127.0.0.2" → meaning.
            var codes: [String: String] = [:]
        }
        /// nil: the profile's default (every known stage; "dnsbl" only with zones).
        var stages: [String]?
        var trustedNetworks = ["127.0.0.0/8", "::1/128"]
        var dnsbl: [Zone] = []
        /// `[policy]` entries over the profile's defaults: "stage.result" → action text.
        var policy: [String: String] = [:]
        var junkScoreMilli: Int64?
        var rejectScoreMilli: Int64?
    }

    static let defaultPath = "/etc/roost/roost.toml"

    /// The defaults a config file starts from.
    static func defaults(hostname: String) -> Configuration {
        Configuration(
            hostname: hostname, dataDirectory: "/var/lib/roost", domains: [],
            listeners: ListenerProtocol.allCases.map {
                Listener(proto: $0, address: "0.0.0.0", port: $0.standardPort, tls: $0.standardTLS)
            },
            tls: TLSFiles(certificate: "/etc/roost/tls/cert.pem", key: "/etc/roost/tls/key.pem"),
            limits: Limits(), logging: Logging(), metrics: Metrics())
    }

    /// The development profile (DESIGN.md's table): works on a fresh machine, never needs root.
    static func development(directory: String = ".roost-dev") -> Configuration {
        let ports: [ListenerProtocol: Int] = [
            .smtp: 2525, .submission: 2587, .submissions: 2465, .imap: 1143, .imaps: 1993,
            .pop3: 1110, .pop3s: 1995, .managesieve: 4190,
        ]
        var config = defaults(hostname: "localhost")
        config.dataDirectory = directory
        config.domains = ["roost.test"]
        config.listeners = ListenerProtocol.allCases.map {
            Listener(proto: $0, address: "127.0.0.1", port: ports[$0]!, tls: $0.standardTLS)
        }
        config.tls = TLSFiles(certificate: directory + "/tls/cert.pem", key: directory + "/tls/key.pem")
        config.metrics = Metrics(enabled: true, address: "127.0.0.1", port: 9464)
        config.isDevelopment = true
        return config
    }
}
