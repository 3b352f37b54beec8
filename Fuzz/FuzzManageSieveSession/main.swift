// libFuzzer target: the ManageSieve frame decoder, command parser, session, script rules and
// encoder, and the Sieve parser and checks, must survive any client input. The input is fed to
// the decoder in pieces (sizes from its first byte), commands run against an in-memory script
// list, and the whole input is also checked as a Sieve script.
import FuzzDriver
import Frontends
import NIOCore
import Pipeline

func check(_ response: ManageSieveResponse) {
    let bytes = ManageSieveEncoder.encode(response)
    if case .scripts(let list) = response, list.isEmpty { precondition(bytes.isEmpty); return }
    precondition(bytes.count >= 2 && bytes[bytes.count - 2] == 13 && bytes[bytes.count - 1] == 10)
    if case .status = response { precondition(bytes.starts(with: Array("OK".utf8)) || bytes.starts(with: Array("NO".utf8)) || bytes.starts(with: Array("BYE".utf8))) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? SieveValidator.validate(bytes)
    let step = Int(bytes.first ?? 1) % 64 + 1
    var decoder = ManageSieveFrameDecoder()
    var buffer = ByteBuffer()
    var session = ManageSieveSession(environment: .init(tlsActive: false, startTLSAvailable: true, plaintextAllowed: step % 2 == 0))
    var scripts: [(name: String, active: Bool)] = []
    var offset = 0
    while offset < bytes.count {
        let end = min(offset + step, bytes.count)
        buffer.writeBytes(bytes[offset..<end])
        offset = end
        while true {
            let frame: ManageSieveFrame?
            do { frame = try decoder.decode(buffer: &buffer) } catch { return 0 }
            guard let frame else { break }
            var pending = session.command(ManageSieveCommandParser.parse(frame))
            var steps = 0
            while !pending.isEmpty {
                steps += 1
                precondition(steps < 16)
                switch pending.removeFirst() {
                case .reply(let response): check(response)
                case .startTLS(let response): check(response); pending += session.tlsStarted()
                case .authenticate: pending += session.authenticationFinished(.success(account: "a@example.org"))
                case .close: return 0
                case .scripts(let request, _):
                    switch request {
                    case .list: check(.scripts(scripts))
                    case .get: check(.script(Array("keep;".utf8)))
                    default:
                        switch ManageSieveScriptRules.decide(request, scripts: scripts) {
                        case .reply(let response): check(response)
                        case .change(let change, let response):
                            check(response)
                            switch change {
                            case .store(let name, _): if !scripts.contains(where: { $0.name == name }) { scripts.append((name, false)) }
                            case .rename(let name, let newName): scripts = scripts.map { $0.name == name ? (newName, $0.active) : $0 }
                            case .delete(let name): scripts.removeAll { $0.name == name }
                            case .activate(let name): scripts = scripts.map { ($0.name, $0.name == name) }
                            }
                            precondition(scripts.filter(\.active).count <= 1)
                            precondition(Set(scripts.map(\.name)).count == scripts.count)
                        }
                    }
                }
            }
        }
    }
    return 0
}

runFuzzer(fuzzOne)
