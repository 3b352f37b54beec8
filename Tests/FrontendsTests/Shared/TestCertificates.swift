import Foundation
@testable import Frontends

/// Two self-signed P-256 certificates (CN roost-test-1 and roost-test-2, valid 100 years), made
/// with `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 36500 -nodes`.
enum TestCertificates {
    struct Pair {
        var certificate: String
        var key: String
        /// `openssl x509 -noout -serial`, lowercased.
        var serial: String
    }

    static let first = Pair(certificate: """
-----BEGIN CERTIFICATE-----
MIIBhjCCASugAwIBAgIUMqqGUG49M3Ydixk6dAAyzaykmDAwCgYIKoZIzj0EAwIw
FzEVMBMGA1UEAwwMcm9vc3QtdGVzdC0xMCAXDTI2MTIwMTA3NTkyOVoYDzIxMjYx
MTA3MDc1OTI5WjAXMRUwEwYDVQQDDAxyb29zdC10ZXN0LTEwWTATBgcqhkjOPQIB
BggqhkjOPQMBBwNCAARfBr57StR/Nx8M+H4kbdJjt2MBfbGZAgCxu7D1ZumLCakr
gZm7J9f0AQsXZht9zZBQk8E1CCB9/kl59oF63obao1MwUTAdBgNVHQ4EFgQUUlzL
6e43Fm1LnY5esd3mfUnU0NMwHwYDVR0jBBgwFoAUUlzL6e43Fm1LnY5esd3mfUnU
0NMwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEAmVnym6IGOjMx
MqdaYnnT39Ttc+NuIxzciP+wwtEFh7QCIQDEozW2epNx64VCf2ZWRe4jy8hVr3bZ
Mgm+qRd4icxj7Q==
-----END CERTIFICATE-----
""", key: """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg9LTX8GLc1K77porJ
lj9p0WepNNAq7YT+YKpB0OSi6BShRANCAARfBr57StR/Nx8M+H4kbdJjt2MBfbGZ
AgCxu7D1ZumLCakrgZm7J9f0AQsXZht9zZBQk8E1CCB9/kl59oF63oba
-----END PRIVATE KEY-----
""", serial: "32aa86506e3d33761d8b193a740032cdaca49830")

    static let second = Pair(certificate: """
-----BEGIN CERTIFICATE-----
MIIBhTCCASugAwIBAgIUaEK+3ECQ1q1L2AOk4qt3v8WNi3kwCgYIKoZIzj0EAwIw
FzEVMBMGA1UEAwwMcm9vc3QtdGVzdC0yMCAXDTI2MTIwMTA3NTkyOVoYDzIxMjYx
MTA3MDc1OTI5WjAXMRUwEwYDVQQDDAxyb29zdC10ZXN0LTIwWTATBgcqhkjOPQIB
BggqhkjOPQMBBwNCAAQEEPjOK1xvxEd3piercLbDhaz5GQIY8dI2K3NU/bmME0gs
FQXt5TMXwNmP3ALyDlzUiBXpsfB2FecU8YM/XkPko1MwUTAdBgNVHQ4EFgQU4f37
Nnu6wA9tXK/m8uz+Gv14oI0wHwYDVR0jBBgwFoAU4f37Nnu6wA9tXK/m8uz+Gv14
oI0wDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiB4iqRHpj7yxhSW
hh9an82e8ubdNbytfduiCMOkq2fCpgIhAIaU6vxpQKNo+x+sKyK6w7/FwnpOE2hW
gJUueyJW2xGq
-----END CERTIFICATE-----
""", key: """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVnSl+UPiaFj0Fh6I
Ic/In9uhvva2avcLkI7dFoAbWpWhRANCAAQEEPjOK1xvxEd3piercLbDhaz5GQIY
8dI2K3NU/bmME0gsFQXt5TMXwNmP3ALyDlzUiBXpsfB2FecU8YM/XkPk
-----END PRIVATE KEY-----
""", serial: "6842bedc4090d6ad4bd803a4e2ab77bfc58d8b79")
}

/// A temporary directory removed when the value is dropped.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "roost-shared-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes the pair as cert.pem / key.pem (replacing by rename, as certbot does) and returns the files.
    @discardableResult
    func install(_ pair: TestCertificates.Pair) throws -> TLSMaterial.Files {
        let files = TLSMaterial.Files(certificateChain: path + "/cert.pem", privateKey: path + "/key.pem")
        try pair.certificate.write(toFile: files.certificateChain + ".new", atomically: false, encoding: .utf8)
        try pair.key.write(toFile: files.privateKey + ".new", atomically: false, encoding: .utf8)
        _ = rename(files.privateKey + ".new", files.privateKey)
        _ = rename(files.certificateChain + ".new", files.certificateChain)
        return files
    }
}
