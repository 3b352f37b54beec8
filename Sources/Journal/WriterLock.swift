import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The one-writer-at-a-time rule: an exclusive `flock` on `LOCK` in the journal directory, holding a
/// line that names the holder so the next process can say who it is.
final class WriterLock: Sendable {
    private let fd: Mutex<Int32?>

    init(directory: String) throws {
        let path = directory + "/LOCK"
        let fd = try FileSystem.open(path, O_RDWR | O_CREAT, mode: 0o600)
        // A lock just released can linger for a moment in a child process forked before its
        // exec closed the descriptor: try again briefly before naming a holder.
        var attempts = 0
        var err: Int32 = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            err = errno
            guard err == EWOULDBLOCK, attempts < 20 else { break }
            attempts += 1
            usleep(50_000)
            err = 0
        }
        if err != 0 {
            var buffer = [UInt8](repeating: 0, count: 512)
            let n = buffer.withUnsafeMutableBytes { (try? FileSystem.readAll(fd, into: $0, at: 0, path: path)) ?? 0 }
            close(fd)
            guard err == EWOULDBLOCK else { throw JournalError.io(operation: "flock", path: path, errno: err) }
            let holder = String(decoding: buffer[0..<n], as: UTF8.self).trimmingTrailingNewlines()
            throw JournalError.locked(directory: directory, holder: holder.isEmpty ? "unknown process" : holder)
        }
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let hostName = host.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let line = "pid \(getpid()) on \(hostName) since \(FileSystem.nowMicroseconds() / 1_000_000) (unix time)\n"
        _ = ftruncate(fd, 0)
        try Array(line.utf8).withUnsafeBytes { try FileSystem.writeAll(fd, $0, at: 0, path: path) }
        self.fd = Mutex(fd)
    }

    /// Closing the descriptor releases the flock.
    func release() {
        fd.withLock { fd in
            if let open = fd { close(open) }
            fd = nil
        }
    }

    deinit { release() }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var s = Substring(self)
        while let last = s.last, last == "\n" || last == "\r" { s = s.dropLast() }
        return String(s)
    }
}
