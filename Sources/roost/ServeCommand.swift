import ArgumentParser
import Foundation
import Frontends
import Journal
import Logging
import Projections
import ServiceLifecycle
import UnixSignals

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the mail server: recover the journal, catch up the projections, start the listeners.")
    @Option(help: "The config file.") var config: String = Configuration.defaultPath
    @Option(help: "The data directory; overrides the config file (and the dev profile's .roost-dev).") var data: String?
    @Flag(help: "The development profile: .roost-dev/, loopback ports 2525/2587/2465/1143/1993/1110/1995/4190, demo account.")
    var dev = false

    func run() async throws {
        var configuration: Configuration
        do {
            configuration = dev ? .development(directory: data ?? ".roost-dev") : try ConfigurationFile.load(path: config)
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("roost: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        if let data { configuration.dataDirectory = data }
        RoostLogging.bootstrap(level: configuration.logging.level, format: configuration.logging.format)
        let logger = Logger(label: "roost")
        do {
            let server = try await RoostServer.start(configuration, configPath: dev ? nil : config, logger: logger)
            try await server.run()
        } catch let error as StartupError {
            logger.critical("\(error.message)")
            throw ExitCode(1)
        }
    }
}

/// Why `roost serve` refuses to start, in words for the operator.
struct StartupError: Error {
    var message: String
}

/// The running server: the journal, the projections, the admin socket, and the listeners.
final class RoostServer: Sendable {
    let configuration: Configuration
    let configPath: String?
    let journal: Journal
    let store: ProjectionStore
    let projector: Projector
    let executor: AdminExecutor
    let logger: Logger
    let metrics: RoostMetrics
    let tls: TLSContextProvider

    private init(configuration: Configuration, configPath: String?, journal: Journal, store: ProjectionStore,
                 projector: Projector, metrics: RoostMetrics, tls: TLSContextProvider, logger: Logger) {
        self.metrics = metrics
        self.tls = tls
        self.configuration = configuration
        self.configPath = configPath
        self.journal = journal
        self.store = store
        self.projector = projector
        self.executor = AdminExecutor(journal: journal, projector: projector, context: EventContext(actor: .system("admin"), proto: "admin-socket"))
        self.logger = logger
    }

    /// Everything that must finish before any port is bound: recovery, catch-up, accounts.
    static func start(_ config: Configuration, configPath: String?, logger: Logger) async throws -> RoostServer {
        let data = config.dataDirectory
        do {
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StartupError(message: "cannot create the data directory \(data): \(error.localizedDescription)")
        }
        if config.isDevelopment, try DevelopmentProfile.prepareCertificate(config) {
            logger.info("made a self-signed certificate", metadata: ["certificate": "\(config.tls.certificate)"])
        }
        let tls: TLSContextProvider
        do {
            tls = try TLSContextProvider(
                files: .init(certificateChain: config.tls.certificate, privateKey: config.tls.key), logger: logger)
        } catch {
            throw StartupError(message: "\(error) (set [tls] certificate and key in the config file)")
        }
        let metrics = RoostMetrics()
        let journal: Journal
        do {
            journal = try Journal(directory: data + "/journal", observer: JournalMetrics(metrics: metrics))
        } catch let error as JournalError {
            if case .locked(_, let holder) = error {
                throw StartupError(message: "another Roost is running on the data directory \(data) (\(holder)); stop it first")
            }
            throw StartupError(message: "cannot open the journal: \(error)")
        }
        if let recovery = journal.recovery {
            logger.warning("journal recovered after an unclean stop", metadata: [
                "segment": "\(recovery.segment)", "offset": "\(recovery.offset)", "bytesCut": "\(recovery.bytesCut)",
                "lastGoodSequence": "\(recovery.lastGoodSequence)", "savedTo": "\(recovery.savedTo)"])
        }
        do {
            try checkPorts(config)
        } catch {
            journal.close()
            throw error
        }
        logger.info("journal open", metadata: ["lastSequence": "\(journal.lastSequence)", "directory": "\(data)/journal"])

        let store = try ProjectionStore(path: data + "/projections.sqlite")
        let projector = try Projector(journal: journal, store: store)
        let before = projector.appliedSequence
        let started = Date()
        try await projector.catchUp()
        let after = projector.appliedSequence
        logger.info("projections caught up", metadata: [
            "applied": "\(after - before)", "sequence": "\(after)", "seconds": "\(Int(Date().timeIntervalSince(started) * 1000) / 1000)"])

        let server = RoostServer(configuration: config, configPath: configPath, journal: journal, store: store,
                                 projector: projector, metrics: metrics, tls: tls, logger: logger)
        for domain in config.domains where try !store.isLocalDomain(domain) {
            let response = await server.executor.execute(.domainAdd(name: domain))
            logger.info("\(response.lines.joined(separator: "; "))")
        }
        if config.isDevelopment {
            let password = try await DevelopmentProfile.ensureDemoAccount(config, executor: server.executor)
            // Written unbuffered: `make run` and its tests read this line from a pipe.
            FileHandle.standardOutput.write(Data("demo account: \(DevelopmentProfile.demoAddress) password: \(password)\n".utf8))
        }
        return server
    }

    /// A taken port is refused before anything starts, with the listener named.
    static func checkPorts(_ config: Configuration) throws {
        var endpoints = config.listeners.map { ("\($0.proto.rawValue) listener", $0.address, $0.port) }
        if config.metrics.enabled { endpoints.append(("metrics", config.metrics.address, config.metrics.port)) }
        for (what, address, port) in endpoints {
            if let problem = PortProbe.problem(address: address, port: port) {
                throw StartupError(message: "cannot use \(address):\(port) for the \(what): \(problem)")
            }
        }
    }

    /// The front-ends this build has, one `Server` per configured listener of theirs.
    func frontends() async throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let limits = configuration.limits
        let limiter = ConnectionLimiter(configuration: .init(perClient: limits.connectionsPerIP, total: limits.connectionsTotal))
        let throttle = AuthenticationThrottle(
            configuration: .init(clientFailureLimit: limits.authFailuresPerIP, cooldown: .seconds(limits.authRefusalSeconds)),
            logger: logger)
        let authenticator = Authenticator(
            lookup: Authenticator.lookup(in: store), throttle: throttle,
            policy: AuthenticationPolicy(allowPlaintextWithoutTLS: configuration.allowsPlaintextAuthentication), metrics: metrics, logger: logger)
        let maildrops = MaildropLocks()
        // IMAP4rev1 \Recent: one record for all IMAP listeners, as the maildrop locks for POP3.
        let recentMarks = RecentMarks()
        // `[limits] idle_timeout`; its default (600 s) meets RFC 1939's 10 minutes for POP3.
        let idle = Duration.seconds(limits.idleTimeoutSeconds)
        let smtpRate = SMTPRateLimiter(perMinute: limits.smtpMessagesPerMinute)
        let resolver = inboundResolver()
        let inbound = inboundPipeline(resolver: resolver)
        let inboundMessage = messagePipeline(resolver: resolver)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        for listener in configuration.listeners {
            let mode: TLSMode = switch listener.tls {
            case .none: .none
            case .starttls: .startTLS
            case .implicit: .implicit
            }
            switch listener.proto {
            case .pop3, .pop3s:
                let server = Server(
                    configuration: ListenerConfiguration(name: "pop3", host: listener.address, port: listener.port, tls: mode,
                                                         timeouts: ConnectionTimeouts(idle: idle, command: .seconds(120), tlsHandshake: .seconds(30))),
                    handler: POP3Handler(journal: journal, projector: projector, authenticator: authenticator, locks: maildrops,
                                         metrics: metrics, logger: logger),
                    tls: tls, limiter: limiter, metrics: metrics, logger: logger)
                services.append(try await bound(server))
            case .managesieve:
                let server = Server(
                    configuration: ListenerConfiguration(name: "managesieve", host: listener.address, port: listener.port, tls: mode,
                                                         timeouts: ConnectionTimeouts(idle: idle, command: .seconds(120), tlsHandshake: .seconds(30))),
                    handler: ManageSieveHandler(journal: journal, projector: projector, authenticator: authenticator,
                                                metrics: metrics, logger: logger),
                    tls: tls, limiter: limiter, metrics: metrics, logger: logger)
                services.append(try await bound(server))
            case .imap, .imaps:
                let server = Server(
                    configuration: ListenerConfiguration(name: "imap", host: listener.address, port: listener.port, tls: mode,
                                                         timeouts: IMAPHandler.timeouts),
                    handler: IMAPHandler(journal: journal, projector: projector, authenticator: authenticator, metrics: metrics,
                                         recent: recentMarks, logger: logger),
                    tls: tls, limiter: limiter, metrics: metrics, logger: logger)
                services.append(try await bound(server))
            case .smtp, .submission, .submissions:
                let server = smtpServer(listener, mode: mode, authenticator: authenticator, limiter: limiter, rate: smtpRate,
                                        pipeline: inbound, messagePipeline: inboundMessage)
                services.append(try await bound(server))
            }
        }
        return services
    }

    /// Binds a listener now, so a taken port stops the start with a clear message.
    func bound<Handler: ConnectionHandler>(_ server: Server<Handler>) async throws -> ServiceGroupConfiguration.ServiceConfiguration {
        do {
            _ = try await server.bind()
        } catch {
            throw StartupError(message: "\(error)")
        }
        return .init(service: server)
    }

    func run() async throws {
        let listeners: [ServiceGroupConfiguration.ServiceConfiguration]
        do {
            listeners = try await frontends()
        } catch {
            journal.close()
            throw error
        }
        let admin = AdminSocketService(path: configuration.dataDirectory + "/admin.sock", executor: executor, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: admin), .init(service: ReloadService(server: self)), .init(service: tls),
            .init(service: ProjectorLagService(journal: journal, projector: projector, metrics: metrics)),
        ] + listeners
        if configuration.metrics.enabled {
            let server = MetricsServer(configuration: .init(host: configuration.metrics.address, port: configuration.metrics.port),
                                       metrics: metrics, logger: logger)
            do {
                _ = try await server.bind()
            } catch {
                journal.close()
                throw StartupError(message: "\(error)")
            }
            services.append(.init(service: server))
        }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        logger.info("roost is running", metadata: ["data": "\(configuration.dataDirectory)", "pid": "\(getpid())"])
        try await group.run()
        journal.close()
        try? store.close()
        logger.info("roost stopped cleanly", metadata: ["lastSequence": "\(journal.lastSequence)"])
    }

    /// SIGHUP: re-read the config file and say what takes effect.
    func reload() {
        guard let configPath else {
            logger.info("SIGHUP: the dev profile has no config file to reload")
            return
        }
        do {
            let fresh = try ConfigurationFile.load(path: configPath)
            if fresh == configuration {
                logger.info("SIGHUP: configuration unchanged", metadata: ["file": "\(configPath)"])
            } else {
                logger.warning("SIGHUP: the configuration file changed; listeners, limits and the data directory take effect at the next start",
                               metadata: ["file": "\(configPath)"])
            }
        } catch {
            logger.error("SIGHUP: the configuration file has a mistake; keeping the running configuration", metadata: ["error": "\(error)"])
        }
    }
}

/// Listens for SIGHUP for as long as the server runs.
struct ReloadService: Service {
    let server: RoostServer
    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        try await withGracefulShutdownHandler {
            for await _ in signals.cancelOnGracefulShutdown() { server.reload() }
        } onGracefulShutdown: {}
    }
}

/// Whether a TCP port can be bound (checked before starting anything).
enum PortProbe {
    static func problem(address: String, port: Int) -> String? {
        var v4 = sockaddr_in(), v6 = sockaddr_in6()
        let family: Int32
        if inet_pton(AF_INET, address, &v4.sin_addr) == 1 {
            family = AF_INET
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(port).bigEndian)
        } else if inet_pton(AF_INET6, address, &v6.sin6_addr) == 1 {
            family = AF_INET6
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(port).bigEndian)
        } else {
            return "not an IP address"
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let rc: Int32 = family == AF_INET
            ? withUnsafePointer(to: &v4) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            : withUnsafePointer(to: &v6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        guard rc == 0 else {
            return errno == EADDRINUSE ? "the port is already in use by another program"
                : errno == EACCES ? "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
                : String(cString: strerror(errno))
        }
        return nil
    }
}

/// Journal commits as metrics (appends, bytes, fdatasync latency).
struct JournalMetrics: JournalObserver {
    let metrics: RoostMetrics
    func committed(records: Int, bytes: Int, syncDuration: Duration) {
        metrics.journalAppended(events: records, bytes: bytes)
        metrics.journalFsync(duration: syncDuration)
    }
}

/// Samples how far the projections trail the journal, every few seconds.
struct ProjectorLagService: Service {
    let journal: Journal
    let projector: Projector
    let metrics: RoostMetrics
    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    let applied = projector.appliedSequence
                    metrics.projectorLag(events: Int(journal.lastSequence - min(applied, journal.lastSequence)))
                    try await Task.sleep(for: .seconds(2))
                }
            }
        } catch is CancellationError {
            // Shutting down.
        }
    }
}
