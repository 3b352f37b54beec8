/// A user's Sieve script uploaded (ManageSieve PUTSCRIPT, RFC 5804 §2.6): a new script or a
/// replacement of the one with the same name. Only scripts that passed the checks are stored.
public struct SieveScriptStored: EventBody {
    public static let type = EventType.sieveScriptStored
    public var context: EventContext
    public var user: UserID
    public var name: String
    public var script: [UInt8]
    public init(context: EventContext, user: UserID, name: String, script: [UInt8]) {
        self.context = context; self.user = user; self.name = name; self.script = script
    }
    public func encode(to w: inout FieldWriter) { w.message(1, context); w.uint(2, user.rawValue); w.string(3, name); w.data(4, script) }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), user: UserID(rawValue: 0), name: "", script: [])
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: user = UserID(rawValue: try v.uint())
            case 3: name = try v.string()
            case 4: script = try v.bytes()
            default: break
            }
        }
    }
}

/// RENAMESCRIPT (RFC 5804 §2.11.1): the script keeps its content and, if it was active, stays active.
public struct SieveScriptRenamed: EventBody {
    public static let type = EventType.sieveScriptRenamed
    public var context: EventContext
    public var user: UserID
    public var name: String
    public var newName: String
    public init(context: EventContext, user: UserID, name: String, newName: String) {
        self.context = context; self.user = user; self.name = name; self.newName = newName
    }
    public func encode(to w: inout FieldWriter) { w.message(1, context); w.uint(2, user.rawValue); w.string(3, name); w.string(4, newName) }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), user: UserID(rawValue: 0), name: "", newName: "")
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: user = UserID(rawValue: try v.uint())
            case 3: name = try v.string()
            case 4: newName = try v.string()
            default: break
            }
        }
    }
}

/// DELETESCRIPT (RFC 5804 §2.10); never the active script.
public struct SieveScriptDeleted: EventBody {
    public static let type = EventType.sieveScriptDeleted
    public var context: EventContext
    public var user: UserID
    public var name: String
    public init(context: EventContext, user: UserID, name: String) { self.context = context; self.user = user; self.name = name }
    public func encode(to w: inout FieldWriter) { w.message(1, context); w.uint(2, user.rawValue); w.string(3, name) }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), user: UserID(rawValue: 0), name: "")
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: user = UserID(rawValue: try v.uint())
            case 3: name = try v.string()
            default: break
            }
        }
    }
}

/// SETACTIVE (RFC 5804 §2.8): at most one script per user is active; an empty name deactivates.
public struct SieveScriptActivated: EventBody {
    public static let type = EventType.sieveScriptActivated
    public var context: EventContext
    public var user: UserID
    public var name: String
    public init(context: EventContext, user: UserID, name: String) { self.context = context; self.user = user; self.name = name }
    public func encode(to w: inout FieldWriter) { w.message(1, context); w.uint(2, user.rawValue); w.string(3, name) }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), user: UserID(rawValue: 0), name: "")
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: user = UserID(rawValue: try v.uint())
            case 3: name = try v.string()
            default: break
            }
        }
    }
}
