#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin, throwing wrappers over the POSIX calls the journal makes. Blocking: call them off event loops.
enum FileSystem {
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw JournalError.io(operation: "open", path: path, errno: errno) }
        return fd
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int, path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw JournalError.io(operation: "pwrite", path: path, errno: errno)
            }
            done += n
        }
    }

    static func readAll(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, path: String) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw JournalError.io(operation: "pread", path: path, errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    static func syncData(_ fd: Int32, path: String) throws {
        #if os(Linux)
        let rc = fdatasync(fd)
        #else
        let rc = fsync(fd)
        #endif
        guard rc == 0 else { throw JournalError.io(operation: "fdatasync", path: path, errno: errno) }
    }

    /// Makes a directory entry (a new or renamed file) durable.
    static func syncDirectory(_ path: String) throws {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw JournalError.io(operation: "fsync", path: path, errno: errno) }
    }

    static func size(_ fd: Int32, path: String) throws -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw JournalError.io(operation: "fstat", path: path, errno: errno) }
        return Int(st.st_size)
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    static func makeDirectory(_ path: String) throws {
        // Create each missing component, like `mkdir -p`.
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw JournalError.io(operation: "mkdir", path: prefix, errno: errno)
            }
            prefix += "/"
        }
    }

    static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw JournalError.io(operation: "rename", path: from, errno: errno) }
    }

    static func unlink(_ path: String) {
        _ = Glibc.unlink(path)
    }

    static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw JournalError.io(operation: "opendir", path: path, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Writes zeros over `[offset, offset + count)`.
    static func zeroFill(_ fd: Int32, from offset: Int, count: Int, path: String) throws {
        let chunk = 1 << 20
        let zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: min(chunk, max(count, 1)), alignment: 4096)
        defer { zeros.deallocate() }
        zeros.initializeMemory(as: UInt8.self, repeating: 0)
        var done = 0
        while done < count {
            let n = min(zeros.count, count - done)
            try writeAll(fd, UnsafeRawBufferPointer(rebasing: zeros[0..<n]), at: offset + done, path: path)
            done += n
        }
    }

    /// Microseconds since the Unix epoch.
    static func nowMicroseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}

/// A read-only shared mapping of a whole file; readers see what `pwrite` puts in the page cache.
final class MappedFile: @unchecked Sendable {
    let base: UnsafeRawPointer?
    let count: Int

    init(fd: Int32, count: Int, path: String) throws {
        self.count = count
        if count == 0 { base = nil; return }
        guard let p = mmap(nil, count, PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED else {
            throw JournalError.io(operation: "mmap", path: path, errno: errno)
        }
        _ = madvise(p, count, MADV_SEQUENTIAL)
        base = UnsafeRawPointer(p)
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Drops this mapping's resident pages of the whole pages inside `[from, to)`, so pages read
    /// once (the scan on open, a replay) don't stay counted in the process's RSS. The data stays
    /// in the page cache (the mapping is shared and read-only): a later read faults it back in,
    /// so views into the range stay valid. Returns the end of the released part.
    @discardableResult
    func release(from: Int, to: Int) -> Int {
        guard let base else { return from }
        let page = MappedFile.pageSize
        let start = (from + page - 1) / page * page
        let end = min(to, count) / page * page
        guard end > start else { return from }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
        return end
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }
}
