import Crypto
import Foundation
import MailMessage
@testable import Pipeline

/// Signs with Ed25519 in the tests that need signatures no outside signer writes (x= in the past,
/// t= in the future, l= past the end, many signatures). The interop fixtures cover the
/// canonicalisation against dkimpy and OpenDKIM; this only has to agree with itself.
struct DKIMTestSigner {
    let key = Curve25519.Signing.PrivateKey()
    var selector = "unit"
    var domain = "unit.test"

    var keyRecord: DNSRecordData {
        .txt([Array("v=DKIM1; k=ed25519; p=\(DKIMBase64.encode(Array(key.publicKey.rawRepresentation)))".utf8)])
    }

    var table: DNSTable { DNSTable(records: ["\(selector)._domainkey.\(domain)": [keyRecord]]) }

    /// `tags` go between the fixed ones and b=, e.g. "x=100; ".
    func sign(_ message: String, headers: String = "from:to:subject", tags: String = "", bodyLength: Int? = nil) throws -> [UInt8] {
        let bytes = Array(message.utf8)
        let parsed = Message(bytes: bytes)
        let body = DKIMCanonicalization.body(bytes[parsed.root.headerRange.upperBound...], .relaxed)
        let signedBody = bodyLength.map { Array(body.prefix($0)) } ?? body
        let bh = DKIMBase64.encode(Array(SHA256.hash(data: signedBody)))
        let l = bodyLength.map { "l=\($0); " } ?? ""
        let field = "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=\(domain); s=\(selector); \(tags)\(l)h=\(headers); bh=\(bh); b="
        var input: [UInt8] = []
        let names = headers.split(separator: ":").map { String($0).lowercased() }
        for f in DKIMVerifier.selectFields(names, from: parsed.fields, bytes: bytes) {
            input += DKIMCanonicalization.header(bytes[f.range], .relaxed)
        }
        var own = DKIMCanonicalization.header(Array(field.utf8)[...], .relaxed)
        own.removeLast(2)
        input += own
        let signature = try key.signature(for: Array(SHA256.hash(data: input)))
        return Array((field + DKIMBase64.encode(Array(signature)) + "\r\n").utf8) + bytes
    }
}
