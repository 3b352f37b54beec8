internal import CCrypt
#if canImport(Glibc)
import Glibc
#endif

/// crypt(3) password hashes through the system libcrypt: new hashes are yescrypt (`$y$`, Debian's
/// default); existing SHA512-crypt (`$6$`), bcrypt (`$2b$`, `$2y$`) and other hashes libcrypt knows
/// verify too, so a Dovecot passwd-file can be imported as is.
///
/// Both calls block for milliseconds (yescrypt ≈ 18 ms): never call them on an event loop.
public enum PasswordHash {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// A new yescrypt hash of `password` with a fresh random salt.
    public static func make(_ password: String) throws -> String {
        var salt = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        // count 0 picks libcrypt's default cost for yescrypt; nil entropy reads the OS's random source.
        guard crypt_gensalt_rn("$y$", 0, nil, 0, &salt, Int32(salt.count)) != nil else {
            throw Failure(description: "crypt_gensalt_rn failed (errno \(errno))")
        }
        let prefix = String(cString: salt)
        guard let hash = crypt(password, setting: prefix), hash.hasPrefix("$y$") else {
            throw Failure(description: "crypt_rn refused the generated salt")
        }
        return hash
    }

    /// Whether `password` matches `hash`. Unknown or malformed hashes never match.
    public static func verify(_ password: String, against hash: String) -> Bool {
        // "*" and "!" prefixes are locked accounts by convention; libcrypt refuses them anyway.
        guard hash.hasPrefix("$"), let computed = crypt(password, setting: hash) else { return false }
        return constantTimeEqual(Array(computed.utf8), Array(hash.utf8))
    }

    /// Whether libcrypt understands this hash's method (so an import can warn about the others).
    public static func isSupported(_ hash: String) -> Bool {
        guard hash.hasPrefix("$") else { return false }
        return crypt("probe", setting: hash) != nil
    }

    private static func crypt(_ password: String, setting: String) -> String? {
        // struct crypt_data is 32 KiB: on the heap, zeroed (PLATFORM.md).
        let data = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<crypt_data>.size, alignment: 16)
        defer {
            data.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<crypt_data>.size)
            data.deallocate()
        }
        data.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<crypt_data>.size)
        guard let result = crypt_rn(password, setting, data, Int32(MemoryLayout<crypt_data>.size)) else { return nil }
        let text = String(cString: result)
        // Failure tokens start with "*".
        return text.hasPrefix("*") ? nil : text
    }
}

/// Compares without an early exit, so timing does not reveal how much of a secret matched.
public func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
    for i in 0..<max(a.count, b.count) {
        let x = i < a.count ? a[i] : 0
        let y = i < b.count ? b[i] : 0
        difference |= x ^ y
    }
    return difference == 0
}
