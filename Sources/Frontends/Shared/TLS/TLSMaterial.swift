public import NIOSSL
#if canImport(Glibc)
import Glibc
#endif

/// The certificate chain and private key a listener serves, read from PEM files, and the
/// server-side TLS context made from them: TLS 1.2 minimum (1.3 preferred), swift-nio-ssl's
/// modern cipher list for TLS 1.2 (ECDHE + AEAD only), no client certificates, no renegotiation.
public struct TLSMaterial: Sendable {
    /// Where the PEM files are. The chain file holds the leaf certificate first, then intermediates.
    public struct Files: Sendable, Hashable {
        public var certificateChain: String
        public var privateKey: String
        public init(certificateChain: String, privateKey: String) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
        }
    }

    /// Why the files could not be used; names the file.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var reason: String
        public var description: String { "TLS: cannot use \(file): \(reason)" }
    }

    public let files: Files
    public let context: NIOSSLContext
    /// The leaf certificate's serial number, hex (for logs: which certificate is being served).
    public let serialNumber: String

    /// TLS 1.2 and later only (RFC 8996 deprecates 1.0 and 1.1; RFC 8314 asks for 1.2 or later).
    public static let minimumVersion: TLSVersion = .tlsv12

    /// Reads both files and builds the context. Blocking file I/O: call it at start-up or off the
    /// event loops.
    public init(files: Files) throws {
        self.files = files
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificateChain)
        } catch {
            throw LoadError(file: files.certificateChain, reason: "not a PEM certificate chain (\(error))")
        }
        guard let leaf = chain.first else {
            throw LoadError(file: files.certificateChain, reason: "no certificate in the file")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.privateKey, format: .pem)
        } catch {
            throw LoadError(file: files.privateKey, reason: "not a PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        configuration.minimumTLSVersion = Self.minimumVersion
        configuration.maximumTLSVersion = nil
        configuration.cipherSuites = Self.tls12CipherSuites
        configuration.renegotiationSupport = .none
        configuration.certificateVerification = .none
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw LoadError(file: files.privateKey, reason: "the key does not fit the certificate, or TLS setup failed (\(error))")
        }
        serialNumber = leaf.serialNumber.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    /// TLS 1.2 suites: forward secrecy and AEAD only (Mozilla's "intermediate" list). TLS 1.3's
    /// suites are fixed by BoringSSL and all modern.
    public static let tls12CipherSuites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")
}

/// What a front-end may record about a connection's TLS (Received headers, events, logs).
/// swift-nio-ssl 2.37 exposes the negotiated protocol version but not the cipher suite.
public struct TLSInfo: Sendable, Hashable, CustomStringConvertible {
    /// "TLSv1.3", "TLSv1.2".
    public var version: String
    public init(version: String) { self.version = version }
    public var description: String { version }

    init(_ version: TLSVersion?) {
        switch version {
        case .tlsv13: self.version = "TLSv1.3"
        case .tlsv12: self.version = "TLSv1.2"
        case .tlsv11: self.version = "TLSv1.1"
        case .tlsv1: self.version = "TLSv1.0"
        case nil: self.version = "TLS"
        }
    }
}

/// The identity of a file's current contents, for noticing replacement (rename or rewrite).
struct FileFingerprint: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modifiedSeconds: Int
    var modifiedNanoseconds: Int

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modifiedSeconds = Int(info.st_mtim.tv_sec)
        modifiedNanoseconds = Int(info.st_mtim.tv_nsec)
    }
}
