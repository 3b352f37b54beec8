import Foundation
import Pipeline
import Synchronization

/// The local Knot DNS server (scripts/dns-test-server.sh) serving Tests/Fixtures/dns/*.zone,
/// started once per test process on a free loopback port and stopped when the process exits.
/// A missing knotd fails the tests that need it, with the script's message.
enum DNSTestServer {
    struct Running: Sendable {
        var port: UInt16
        /// Knot on 127.0.0.1:port.
        var server: DNSServerAddress { DNSServerAddress(host: "127.0.0.1", port: port) }
        /// A UDP socket on port+1 that takes queries and never answers.
        var silentServer: DNSServerAddress { DNSServerAddress(host: "127.0.0.1", port: port + 1) }
    }

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    private static let state = Mutex<Result<Running, StartFailure>?>(nil)
    private static let queue = DispatchQueue(label: "dns-test-server")

    static let repository: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The running server, started on first use (off the cooperative pool: the script blocks).
    static func shared() async throws -> Running {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Running, StartFailure>, Never>) in
            queue.async {
                let result = state.withLock { current -> Result<Running, StartFailure> in
                    if let current { return current }
                    let started = start()
                    current = started
                    return started
                }
                continuation.resume(returning: result)
            }
        }
        return try result.get()
    }

    private static func start() -> Result<Running, StartFailure> {
        var lastOutput = ""
        for _ in 0..<5 {
            guard let port = freePortPair() else { continue }
            let (status, output) = run(["start", String(port)])
            if status == 0 {
                stopPort.withLock { $0 = port }
                atexit { if let port = DNSTestServer.stopPort.withLock({ $0 }) { _ = DNSTestServer.run(["stop", String(port)]) } }
                return .success(Running(port: port))
            }
            lastOutput = output
            if output.contains("not found") { break }
        }
        return .failure(StartFailure(description: "scripts/dns-test-server.sh start failed: \(lastOutput)"))
    }

    static let stopPort = Mutex<UInt16?>(nil)

    /// Runs the script with posix_spawn and waitpid (Foundation's Process could miss the exit of
    /// a script whose children daemonize), output to a temporary file.
    static func run(_ arguments: [String]) -> (Int32, String) {
        let outputPath = NSTemporaryDirectory() + "dns-test-server-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var environment = ProcessInfo.processInfo.environment
        environment["ROOST_DNS_OWNER_PID"] = String(getpid())
        let argv = ["/bin/bash", repository + "/scripts/dns-test-server.sh"] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var cArgv = argv.map { strdup($0) } + [nil]
        var cEnvp = envp.map { strdup($0) } + [nil]
        defer { (cArgv + cEnvp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/bash", &actions, nil, &cArgv, &cEnvp)
        guard spawned == 0 else { return (-1, "posix_spawn: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED / WEXITSTATUS are macros.
        let exitCode: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
        return (exitCode, output)
    }

    /// A port whose UDP and TCP, and UDP on the next port, are free right now.
    private static func freePortPair() -> UInt16? {
        for _ in 0..<20 {
            let port = UInt16.random(in: 20_000...59_000)
            if canBind(port, SOCK_DGRAM) && canBind(port, SOCK_STREAM) && canBind(port + 1, SOCK_DGRAM) { return port }
        }
        return nil
    }

    private static func canBind(_ port: UInt16, _ kind: __socket_type) -> Bool {
        let fd = socket(AF_INET, Int32(kind.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
