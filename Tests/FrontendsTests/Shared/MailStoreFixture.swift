import Foundation
import Journal
import Logging
@testable import Frontends
@testable import Projections

/// What the protocol test servers stand on: a real journal and projection database in a fresh
/// temporary directory, a projector applying to it, and a test certificate on disk; all removed
/// when the fixture goes.
class MailStoreFixture: @unchecked Sendable {
    let directory: String
    let journal: Journal
    let store: ProjectionStore
    let projector: Projector
    let certificates: TemporaryDirectory
    let certificateFile: String
    var startTLSPort = 0
    var implicitPort = 0

    init(prefix: String, segmentSize: Int, batchSize: Int, certificate: TestCertificates.Pair) throws {
        var template = Array((NSTemporaryDirectory() + prefix + "-XXXXXX").utf8CString)
        directory = String(cString: mkdtemp(&template)!)
        journal = try Journal(directory: directory + "/journal", options: JournalOptions(segmentSize: segmentSize))
        store = try ProjectionStore(path: directory + "/projections.sqlite")
        projector = try Projector(journal: journal, store: store, batchSize: batchSize)
        certificates = TemporaryDirectory()
        certificateFile = try certificates.install(certificate).certificateChain
    }

    deinit {
        try? store.close()
        journal.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The TLS material and a password authenticator over the projection (no plaintext before
    /// TLS), as the protocol handlers under test need them.
    func tlsAndAuthenticator(logger: Logger) throws -> (TLSContextProvider, Authenticator) {
        let tls = try TLSContextProvider(files: .init(certificateChain: certificateFile, privateKey: certificates.path + "/key.pem"),
                                         logger: logger)
        let authenticator = Authenticator(lookup: Authenticator.lookup(in: store), throttle: AuthenticationThrottle(logger: logger),
                                          policy: .init(allowPlaintextWithoutTLS: false), logger: logger)
        return (tls, authenticator)
    }

    /// Serves `handler` on two ephemeral loopback ports, STARTTLS (`startTLSPort`) and implicit
    /// TLS (`implicitPort`), for the duration of `body`, then cancels both listeners.
    func serve<Handler: ConnectionHandler>(
        _ handler: Handler, names: (startTLS: String, implicit: String), timeouts: ConnectionTimeouts,
        tls: TLSContextProvider, logger: Logger, body: () async throws -> Void
    ) async throws {
        let startTLS = Server(configuration: .init(name: names.startTLS, host: "127.0.0.1", port: 0, tls: .startTLS, timeouts: timeouts),
                              handler: handler, tls: tls, logger: logger)
        let implicit = Server(configuration: .init(name: names.implicit, host: "127.0.0.1", port: 0, tls: .implicit, timeouts: timeouts),
                              handler: handler, tls: tls, logger: logger)
        startTLSPort = try await startTLS.bind().port!
        implicitPort = try await implicit.bind().port!
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await startTLS.run() }
            group.addTask { try await implicit.run() }
            do {
                try await body()
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }
}
