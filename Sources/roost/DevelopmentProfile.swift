import Foundation
import Frontends
import Journal
import Projections

/// What `roost serve --dev` sets up once per data directory: the self-signed certificate and the
/// demo account with a generated password (kept in `demo-password`, mode 0600).
enum DevelopmentProfile {
    static let demoAddress = "demo@roost.test"

    static func prepareCertificate(_ config: Configuration) throws -> Bool {
        guard !FileManager.default.fileExists(atPath: config.tls.certificate) else { return false }
        try SelfSignedCertificate.write(hostname: config.hostname, certificatePath: config.tls.certificate, keyPath: config.tls.key)
        return true
    }

    /// The demo password, made (and the account created or its password set) on first use.
    static func ensureDemoAccount(_ config: Configuration, executor: AdminExecutor) async throws -> String {
        let file = config.dataDirectory + "/demo-password"
        let existing = (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        let user = try executor.store.user(address: demoAddress)
        if let existing, !existing.isEmpty, let user, PasswordHash.verify(existing, against: user.passwordHash) {
            return existing
        }
        let password = generatePassword()
        let hash = try PasswordHash.make(password)
        let response = await executor.execute(user == nil ? .userAdd(address: demoAddress, passwordHash: hash)
                                                           : .userPasswd(address: demoAddress, passwordHash: hash))
        guard response.ok else { throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: response.lines.joined()]) }
        guard FileManager.default.createFile(atPath: file, contents: Data((password + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file])
        }
        return password
    }

    /// 16 characters from an alphabet without look-alikes.
    static func generatePassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}
