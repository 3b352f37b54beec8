import Testing
@testable import Frontends

@Suite struct PasswordHashTests {
    @Test func newHashesAreYescryptAndVerify() throws {
        let hash = try PasswordHash.make("correct horse")
        #expect(hash.hasPrefix("$y$"))
        #expect(PasswordHash.verify("correct horse", against: hash))
        #expect(!PasswordHash.verify("correct horsf", against: hash))
        #expect(!PasswordHash.verify("", against: hash))
        #expect(try PasswordHash.make("correct horse") != hash, "fresh salt each time")
    }

    /// Hashes as other tools write them (made with `mkpasswd` and Python's crypt; the test script
    /// `scripts/test-passwords.sh` checks freshly made ones too).
    @Test func foreignHashesVerify() {
        // SHA512-crypt and bcrypt of "secret", made with Python's crypt module (libcrypt).
        let foreign = [
            "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1",
            "$2b$04$WelXfz59byI9uJe9Djpc5eM4yFQbNayJQnGRnV8K4i7u598zy6Tg.",
        ]
        for hash in foreign {
            #expect(PasswordHash.isSupported(hash))
            #expect(PasswordHash.verify("secret", against: hash), "\(hash.prefix(4))")
            #expect(!PasswordHash.verify("Secret", against: hash))
        }
    }

    @Test func malformedAndLockedHashesNeverMatch() {
        for hash in ["", "*", "!", "!$y$j9T$abc$def", "plain", "$unknown$xx", "$6$", "$y$"] {
            #expect(!PasswordHash.verify("", against: hash), "\(hash)")
            #expect(!PasswordHash.verify("plain", against: hash), "\(hash)")
        }
    }

    @Test func constantTimeComparison() {
        #expect(constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(constantTimeEqual([], []))
    }
}
