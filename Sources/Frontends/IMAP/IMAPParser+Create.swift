extension Cursor {
    /// `SP "(" create-param *(SP create-param) ")"` after CREATE's mailbox (RFC 4466 §2.2): the
    /// one Roost knows is `USE (use-attr …)` (RFC 6154 §3); others are refused (BAD).
    mutating func createParameters() throws(Failure) -> [String] {
        try expect(UInt8(ascii: "("), "'(' to start the CREATE parameters")
        guard keyword("USE") else { throw Failure("unknown CREATE parameter") }
        try space()
        try expect(UInt8(ascii: "("), "'(' to start the USE attributes")
        var uses: [String] = []
        if !skip(UInt8(ascii: ")")) {
            repeat {
                try expect(92, "a special-use attribute (\\Sent, \\Trash, …)")
                let name = try atom()
                uses.append("\\" + name)
                guard uses.count <= 16 else { throw Failure("too many special-use attributes") }
            } while skip(32)
            try expect(UInt8(ascii: ")"), "')' to end the USE attributes")
        }
        try expect(UInt8(ascii: ")"), "')' to end the CREATE parameters")
        return uses
    }
}
