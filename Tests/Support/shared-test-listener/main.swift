// The toy protocol (SharedTestProtocol) on real ports, for scripts/test-tls.sh:
//   shared-test-listener --cert C --key K --ready FILE [--poll SECONDS] [--user NAME:PASSWORD]
// Binds a STARTTLS listener, an implicit-TLS listener and the metrics endpoint on ephemeral
// loopback ports, writes "starttls=P implicit=P metrics=P" to FILE, and serves until SIGTERM.
// SIGHUP reloads the certificate; so does a change of the files (polled every --poll seconds).
import Foundation
import Frontends
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SharedTestProtocol

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

var options: [String: String] = [:]
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard flag.hasPrefix("--"), let value = arguments.popFirst() else {
        fail("usage: shared-test-listener --cert C --key K --ready FILE [--poll S] [--user NAME:PASSWORD]")
    }
    options[String(flag.dropFirst(2))] = value
}
guard let cert = options["cert"], let key = options["key"], let ready = options["ready"] else {
    fail("shared-test-listener: --cert, --key and --ready are required")
}

var logger = Logger(label: "shared-test-listener")
logger.logLevel = .info
let user = options["user"] ?? "demo@roost.test:secret"
let separator = user.firstIndex(of: ":")!
let account = String(user[..<separator]).lowercased()
let hash = try PasswordHash.make(String(user[user.index(after: separator)...]))

let metrics = RoostMetrics()
let tls = try TLSContextProvider(
    files: .init(certificateChain: cert, privateKey: key),
    pollInterval: .seconds(Int(options["poll"] ?? "2") ?? 2),
    logger: logger
)
let throttle = AuthenticationThrottle(
    configuration: .init(freeFailures: 2, baseDelay: .milliseconds(200), maximumDelay: .seconds(1), clientFailureLimit: 5, cooldown: .seconds(60)),
    logger: logger
)
let authenticator = Authenticator(
    lookup: { name in name.lowercased() == account ? StoredCredential(account: account, passwordHash: hash) : nil },
    throttle: throttle, policy: .init(allowPlaintextWithoutTLS: false), metrics: metrics, logger: logger
)
let handler = ToyHandler(authenticator: authenticator, metrics: metrics)
let limiter = ConnectionLimiter()
let startTLSServer = Server(
    configuration: .init(name: "toy", host: "127.0.0.1", port: 0, tls: .startTLS),
    handler: handler, tls: tls, limiter: limiter, metrics: metrics, logger: logger
)
let implicitServer = Server(
    configuration: .init(name: "toy-tls", host: "127.0.0.1", port: 0, tls: .implicit),
    handler: handler, tls: tls, limiter: limiter, metrics: metrics, logger: logger
)
let metricsServer = MetricsServer(configuration: .init(host: "127.0.0.1", port: 0), metrics: metrics, logger: logger)

let ports = [
    "starttls=\(try await startTLSServer.bind().port!)",
    "implicit=\(try await implicitServer.bind().port!)",
    "metrics=\(try await metricsServer.bind().port!)",
].joined(separator: " ")
try Data((ports + "\n").utf8).write(to: URL(fileURLWithPath: ready), options: .atomic)

let services = ServiceGroup(configuration: .init(
    services: [.init(service: tls), .init(service: startTLSServer), .init(service: implicitServer), .init(service: metricsServer)],
    gracefulShutdownSignals: [.sigterm, .sigint],
    logger: logger
))
try await services.run()
