/// A state-changing (or listing) operation on accounts, sent over the admin socket to a running
/// server or executed directly on the data directory when none runs. Passwords travel only as
/// crypt(3) hashes, made by the CLI.
enum AdminRequest: Codable, Sendable, Equatable {
    case userAdd(address: String, passwordHash: String)
    case userPasswd(address: String, passwordHash: String)
    case userDel(address: String)
    case userList
    /// Entries of a Dovecot-style passwd-file: (address, hash).
    case userImport(entries: [ImportEntry])
    case aliasAdd(address: String, targets: [String])
    case aliasDel(address: String)
    case aliasList
    case domainAdd(name: String)
    case domainDel(name: String)
    case domainList

    struct ImportEntry: Codable, Sendable, Equatable {
        var address: String
        var passwordHash: String
    }
}

/// What the operation did, as lines for the operator, and whether it succeeded.
struct AdminResponse: Codable, Sendable, Equatable {
    var ok: Bool
    var lines: [String]

    static func failure(_ message: String) -> AdminResponse { AdminResponse(ok: false, lines: [message]) }
}
