/// Human-readable one-line renderings of events, for `roost journal dump`.
public enum EventDescription {
    /// `name=value` pairs of every field; message bodies as their size and first header lines
    /// unless `bodies` is set.
    public static func describe(_ event: Event, bodies: Bool = false) -> String {
        render(event.body, bodies: bodies)
    }

    static func render(_ value: Any, bodies: Bool) -> String {
        // An empty [String] would also cast to [UInt8].
        if let array = value as? [Any], array.isEmpty { return "[]" }
        switch value {
        case let id as any StableID: return id.description
        case let ref as MessageRef: return ref.description
        case let s as String: return quote(s)
        case let bytes as [UInt8]: return renderBytes(bytes, bodies: bodies)
        case let n as any BinaryInteger: return "\(n)"
        case let b as Bool: return b ? "true" : "false"
        case let context as EventContext: return renderContext(context)
        default: break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            return mirror.children.first.map { render($0.value, bodies: bodies) } ?? "nil"
        case .collection:
            return "[" + mirror.children.map { render($0.value, bodies: bodies) }.joined(separator: ", ") + "]"
        case .enum:
            if let child = mirror.children.first { return "\(child.label ?? "")(\(render(child.value, bodies: bodies)))" }
            return "\(value)"
        case .struct, .class:
            let fields = mirror.children.compactMap { child -> String? in
                let rendered = render(child.value, bodies: bodies)
                if rendered == "nil" || rendered == "[]" { return nil }
                // Wrapper bodies (copy/move/subscribe) show their inner fields directly.
                if mirror.children.count == 1, Mirror(reflecting: child.value).displayStyle == .struct,
                   !(child.value is EventContext) { return rendered }
                return "\(child.label ?? "?")=\(rendered)"
            }
            return fields.joined(separator: " ")
        default:
            return "\(value)"
        }
    }

    private static func renderContext(_ c: EventContext) -> String {
        var s: String
        switch c.actor {
        case .user(let id): s = "user:\(id)"
        case .system(let component): s = component
        }
        if let p = c.proto { s += "/\(p)" }
        if let a = c.clientAddress { s += "@\(a)" }
        return s
    }

    private static func renderBytes(_ bytes: [UInt8], bodies: Bool) -> String {
        if bodies { return quote(String(decoding: bytes, as: UTF8.self)) }
        // The first few header lines say what a message is without printing it.
        var lines: [String] = []
        var current: [UInt8] = []
        for byte in bytes.prefix(4096) {
            if byte == 0x0A {
                if current.last == 0x0D { current.removeLast() }
                if current.isEmpty { break }
                if current.first != 0x20 && current.first != 0x09 { lines.append(String(decoding: current, as: UTF8.self)) }
                current.removeAll()
                if lines.count == 3 { break }
            } else {
                current.append(byte)
            }
        }
        let head = lines.isEmpty ? "" : " " + lines.map { quote(String($0.prefix(80))) }.joined(separator: " ")
        return "<\(bytes.count) bytes\(head)>"
    }

    private static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { out += "\\u{\(String(scalar.value, radix: 16))}" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
