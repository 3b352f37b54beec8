// Account events: domains, users, passwords, aliases. Field 1 of every event is its context.

public struct DomainAdded: EventBody {
    public static let type = EventType.domainAdded
    public var context: EventContext
    public var domain: DomainID
    /// Lowercased ASCII (A-labels for IDNs).
    public var name: String
    public init(context: EventContext, domain: DomainID, name: String) {
        self.context = context; self.domain = domain; self.name = name
    }
    public func encode(to w: inout FieldWriter) {
        w.message(1, context); w.uint(2, domain.rawValue); w.string(3, name)
    }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), domain: DomainID(rawValue: 0), name: "")
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: domain = DomainID(rawValue: try v.uint())
            case 3: name = try v.string()
            default: break
            }
        }
    }
}

public struct DomainRemoved: EventBody {
    public static let type = EventType.domainRemoved
    public var context: EventContext
    public var domain: DomainID
    public init(context: EventContext, domain: DomainID) { self.context = context; self.domain = domain }
    public func encode(to w: inout FieldWriter) { w.message(1, context); w.uint(2, domain.rawValue) }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), domain: DomainID(rawValue: 0))
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: domain = DomainID(rawValue: try v.uint())
            default: break
            }
        }
    }
}

public struct UserCreated: EventBody {
    public static let type = EventType.userCreated
    public var context: EventContext
    public var user: UserID
    public var domain: DomainID
    /// The local part of the user's primary address (the login is local@domain).
    public var localPart: String
    /// A crypt(3) hash (`$y$…`, `$6$…`); never the password.
    public var passwordHash: String
    public var displayName: String?
    public init(context: EventContext, user: UserID, domain: DomainID, localPart: String,
                passwordHash: String, displayName: String? = nil) {
        self.context = context; self.user = user; self.domain = domain; self.localPart = localPart
        self.passwordHash = passwordHash; self.displayName = displayName
    }
    public func encode(to w: inout FieldWriter) {
        w.message(1, context); w.uint(2, user.rawValue); w.uint(3, domain.rawValue)
        w.string(4, localPart); w.string(5, passwordHash); w.string(6, displayName)
    }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), user: UserID(rawValue: 0), domain: DomainID(rawValue: 0),
                  localPart: "", passwordHash: "")
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: user = UserID(rawValue: try v.uint())
            case 3: domain = DomainID(rawValue: try v.uint())
            case 4: localPart = try v.string()
            case 5: passwordHash = try v.string()
            case 6: displayName = try v.string()
            default: break
            }
        }
    }
}

public struct UserDeleted: EventBody {
    public static let type = EventType.userDeleted
    public var context: EventContext
    public var user: UserID
    public init(context: EventContext, user: UserID) { self.context = context; self.user = user }
    public func encode(to w: inout FieldWriter) { w.message(1, context); w.uint(2, user.rawValue) }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), user: UserID(rawValue: 0))
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: user = UserID(rawValue: try v.uint())
            default: break
            }
        }
    }
}

public struct PasswordChanged: EventBody {
    public static let type = EventType.passwordChanged
    public var context: EventContext
    public var user: UserID
    public var passwordHash: String
    public init(context: EventContext, user: UserID, passwordHash: String) {
        self.context = context; self.user = user; self.passwordHash = passwordHash
    }
    public func encode(to w: inout FieldWriter) { w.message(1, context); w.uint(2, user.rawValue); w.string(3, passwordHash) }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), user: UserID(rawValue: 0), passwordHash: "")
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: user = UserID(rawValue: try v.uint())
            case 3: passwordHash = try v.string()
            default: break
            }
        }
    }
}

/// An address that delivers somewhere else: to local users, to outside addresses (forward), or,
/// for a catch-all, every otherwise unknown local part of a domain.
public struct AliasAdded: EventBody {
    public static let type = EventType.aliasAdded
    public enum Kind: UInt64, Sendable, Hashable { case alias = 0, catchAll = 1, forward = 2 }
    public var context: EventContext
    /// "local@domain"; for a catch-all, "@domain".
    public var address: String
    public var kind: Kind
    public var users: [UserID]
    /// Outside addresses mail is forwarded to.
    public var forwardTo: [String]
    public init(context: EventContext, address: String, kind: Kind, users: [UserID] = [], forwardTo: [String] = []) {
        self.context = context; self.address = address; self.kind = kind; self.users = users; self.forwardTo = forwardTo
    }
    public func encode(to w: inout FieldWriter) {
        w.message(1, context); w.string(2, address); w.uint(3, kind.rawValue)
        for u in users { w.uint(4, u.rawValue) }
        for f in forwardTo { w.string(5, f) }
    }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), address: "", kind: .alias)
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: address = try v.string()
            case 3: kind = Kind(rawValue: try v.uint()) ?? .alias
            case 4: users.append(UserID(rawValue: try v.uint()))
            case 5: forwardTo.append(try v.string())
            default: break
            }
        }
    }
}

public struct AliasRemoved: EventBody {
    public static let type = EventType.aliasRemoved
    public var context: EventContext
    public var address: String
    public init(context: EventContext, address: String) { self.context = context; self.address = address }
    public func encode(to w: inout FieldWriter) { w.message(1, context); w.string(2, address) }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), address: "")
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: address = try v.string()
            default: break
            }
        }
    }
}
