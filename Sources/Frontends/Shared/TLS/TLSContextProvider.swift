public import Logging
public import NIOSSL
public import ServiceLifecycle
import Synchronization
import UnixSignals

/// Holds the TLS context listeners hand to new connections, and replaces it when the certificate
/// files change: on SIGHUP, and when a poll of the files' metadata (every `pollInterval`) sees
/// a new inode, size or modification time. Connections already open keep the context they
/// started with; new handshakes get the new one. A reload that fails (a half-written file, a key
/// that does not fit the certificate) is logged and the old certificate stays in use; the poll
/// tries again when the files change again.
///
/// A `Service`: run it beside the listeners in `roost serve`.
public final class TLSContextProvider: Service, Sendable {
    private struct Current {
        var material: TLSMaterial
        var fingerprints: [FileFingerprint?]
    }

    public let files: TLSMaterial.Files
    public let pollInterval: Duration
    private let logger: Logger
    private let current: Mutex<Current>

    /// Loads the files now; throws `TLSMaterial.LoadError` if they cannot be used.
    public init(files: TLSMaterial.Files, pollInterval: Duration = .seconds(5), logger: Logger) throws {
        self.files = files
        self.pollInterval = pollInterval
        self.logger = logger
        let fingerprints = Self.fingerprints(files)
        let material = try TLSMaterial(files: files)
        current = Mutex(Current(material: material, fingerprints: fingerprints))
        logger.info("TLS certificate loaded", metadata: ["file": "\(files.certificateChain)", "serial": "\(material.serialNumber)"])
    }

    /// The context for a new handshake.
    public var context: NIOSSLContext { current.withLock { $0.material.context } }

    /// The material in use now.
    public var material: TLSMaterial { current.withLock { $0.material } }

    /// Reads the files again and switches to them. Throws (and keeps the old context) if they
    /// cannot be used. Blocking file I/O: call it from a task, not an event loop.
    public func reload() throws {
        let fingerprints = Self.fingerprints(files)
        do {
            let material = try TLSMaterial(files: files)
            current.withLock { $0 = Current(material: material, fingerprints: fingerprints) }
            logger.notice("TLS certificate reloaded", metadata: ["file": "\(files.certificateChain)", "serial": "\(material.serialNumber)"])
        } catch {
            // Remember what was tried, so the poll waits for the next change instead of retrying
            // (and logging) every few seconds.
            current.withLock { $0.fingerprints = fingerprints }
            logger.error("TLS certificate reload failed; still serving the previous certificate", metadata: ["error": "\(error)"])
            throw error
        }
    }

    /// Reloads if the files changed since the last load or attempt. Returns whether it reloaded.
    @discardableResult
    public func reloadIfChanged() -> Bool {
        let now = Self.fingerprints(files)
        guard current.withLock({ $0.fingerprints != now }) else { return false }
        return (try? reload()) != nil
    }

    /// Watches for SIGHUP and file changes until cancelled or graceful shutdown.
    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await _ in signals {
                        self.logger.info("SIGHUP: reloading the TLS certificate")
                        try? self.reload()
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        do { try await Task.sleep(for: self.pollInterval) } catch { return }
                        self.reloadIfChanged()
                    }
                }
            }
        }
    }

    private static func fingerprints(_ files: TLSMaterial.Files) -> [FileFingerprint?] {
        [FileFingerprint(path: files.certificateChain), FileFingerprint(path: files.privateKey)]
    }
}
