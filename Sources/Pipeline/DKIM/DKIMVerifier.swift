import Crypto
import _CryptoExtras
import Foundation
public import MailMessage

/// Verifies every DKIM-Signature of a message (RFC 6376 §6), asking DNS for the keys. Pure
/// logic over the message bytes, the resolver's answers and the given time, so a replay with
/// the recorded answers gives the recorded results.
public struct DKIMVerifier: Sendable {
    /// Signatures beyond this many are reported as neutral without a lookup (bounded DNS work).
    public static let maxSignatures = 8
    /// RFC 6376 §3.5 t=: a little clock skew is not the signer's fault.
    public static let allowedClockSkew: Int64 = 300

    public var resolver: any DNSResolving
    public var limits: Limits

    public init(resolver: any DNSResolving, limits: Limits = .default) {
        self.resolver = resolver
        self.limits = limits
    }

    /// One result per DKIM-Signature field, top to bottom; empty when the message is unsigned.
    public func verify(_ raw: [UInt8], now: Int64) async -> [DKIMResult] {
        let bytes = DKIMCanonicalization.normalizedLineEndings(raw)
        let message = Message(bytes: bytes, limits: limits)
        let fields = message.fields
        let body = bytes[message.root.headerRange.upperBound...]
        var bodies = BodyCache(body: body)
        var results: [DKIMResult] = []
        for (index, field) in fields.enumerated() where message.name(of: field).lowercased() == "dkim-signature" {
            let value = bytes[field.valueRange]
            if results.count >= Self.maxSignatures {
                results.append(Self.unverified(value, .neutral, "not checked: more than \(Self.maxSignatures) signatures"))
                continue
            }
            results.append(await verifyOne(fieldIndex: index, fields: fields, bytes: bytes, bodies: &bodies, now: now))
        }
        return results
    }

    private func verifyOne(fieldIndex: Int, fields: [HeaderField], bytes: [UInt8], bodies: inout BodyCache, now: Int64) async -> DKIMResult {
        let field = fields[fieldIndex]
        let value = bytes[field.valueRange]
        let signature: DKIMSignature
        switch DKIMSignature.parse(value) {
        case let .success(parsed): signature = parsed
        case let .failure(error): return Self.unverified(value, .permerror, error.description)
        }
        var result = DKIMResult(status: .pass, domain: signature.domain, selector: signature.selector,
                                algorithm: signature.algorithm.rawValue, identity: signature.identity,
                                signaturePrefix: String(signature.signatureText.prefix(8)))
        func outcome(_ status: DKIMResult.Status, _ reason: String?) -> DKIMResult {
            result.status = status
            result.reason = reason
            return result
        }
        if let x = signature.expiration, x < now { return outcome(.permerror, "signature expired (x=\(x))") }
        if let t = signature.timestamp, t > now + Self.allowedClockSkew { return outcome(.permerror, "signature timestamp t=\(t) is in the future") }

        // The key (RFC 6376 §6.1.2).
        let keyName = "\(signature.selector)._domainkey.\(signature.domain)"
        let key: DKIMKeyRecord
        switch await resolver.query(keyName, .txt) {
        case let .temporaryFailure(why):
            return outcome(.temperror, "key lookup failed: \(why)")
        case .nonexistentDomain, .noRecords:
            return outcome(.permerror, "no key for signature at \(keyName)")
        case let .records(records, _):
            let texts = records.compactMap(\.joinedText)
            guard !texts.isEmpty else { return outcome(.permerror, "no key for signature at \(keyName)") }
            var firstError: String?
            var found: DKIMKeyRecord?
            for text in texts {
                switch DKIMKeyRecord.parse(text) {
                case let .success(record): found = record
                case let .failure(error): firstError = firstError ?? error.description
                }
                if found != nil { break }
            }
            guard let record = found else { return outcome(.permerror, firstError ?? "no usable key record") }
            key = record
        }
        result.testing = key.testing
        if key.isRevoked { return outcome(.fail, "key revoked") }
        if let hashes = key.hashAlgorithms, !hashes.contains("sha256") {
            return outcome(.permerror, "key h= does not allow sha256")
        }
        guard key.keyType == signature.algorithm.keyType else {
            return outcome(.permerror, "key type k=\(key.keyType) does not match a=\(signature.algorithm.rawValue)")
        }
        guard key.serviceTypes.contains("*") || key.serviceTypes.contains("email") else {
            return outcome(.permerror, "key is not for email (s=\(key.serviceTypes.joined(separator: ":")))")
        }
        if key.strictIdentity && signature.identityDomain != signature.domain {
            return outcome(.permerror, "key t=s requires i= in d=\(signature.domain) itself")
        }

        // The body hash (§3.7, §6.1.3), honouring l= but reporting what it leaves unsigned.
        let canonicalBody = bodies.canonical(signature.bodyCanonicalization)
        var signedBody = canonicalBody[...]
        if let limit = signature.bodyLength {
            guard limit <= canonicalBody.count else {
                return outcome(.permerror, "l=\(limit) is longer than the body (\(canonicalBody.count) bytes)")
            }
            signedBody = canonicalBody[..<limit]
            result.bodyLengthLimit = limit
            result.unsignedBodyBytes = canonicalBody.count - limit
        }
        guard Array(SHA256.hash(data: signedBody)) == signature.bodyHash else {
            return outcome(.fail, "body hash mismatch")
        }

        // The header hash (§3.7): the signed fields bottom-up, then this field without b=.
        var input: [UInt8] = []
        for field in Self.selectFields(signature.signedHeaders, from: fields, bytes: bytes) {
            input += DKIMCanonicalization.header(bytes[field.range], signature.headerCanonicalization)
        }
        var own = DKIMCanonicalization.header(Self.withoutSignatureValue(bytes, field), signature.headerCanonicalization)
        own.removeLast(2)
        input += own
        let digest = SHA256.hash(data: input)

        switch signature.algorithm {
        case .rsaSHA256:
            let publicKey: _RSA.Signing.PublicKey
            do {
                publicKey = try _RSA.Signing.PublicKey(unsafeDERRepresentation: key.publicKey)
            } catch CryptoKitError.incorrectParameterSize {
                return outcome(.permerror, "RSA key shorter than 1024 bits")
            } catch {
                return outcome(.permerror, "key p= is not an RSA public key")
            }
            let valid = publicKey.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature.signature), for: digest,
                                                   padding: .insecurePKCS1v1_5)
            guard valid else { return outcome(.fail, "signature mismatch") }
        case .ed25519SHA256:
            guard key.publicKey.count == 32, let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key.publicKey) else {
                return outcome(.permerror, "key p= is not an Ed25519 public key")
            }
            // RFC 8463 §3: Ed25519 signs the SHA-256 hash, not the header bytes themselves.
            guard publicKey.isValidSignature(signature.signature, for: Array(digest)) else {
                return outcome(.fail, "signature mismatch")
            }
        }
        if let unsigned = result.unsignedBodyBytes, unsigned > 0 {
            // RFC 6376 §8.2: content after l= is not covered; don't vouch for a message with it.
            return outcome(.policy, "body length limit l=\(signature.bodyLength!) leaves \(unsigned) bytes unsigned")
        }
        return outcome(.pass, signature.bodyLength.map { "body length limit l=\($0) covers the whole body" })
    }

    /// RFC 6376 §5.4.2: for each name in h=, the last instance not yet used, counting from the
    /// bottom; a name with no instance left signs nothing (this is how oversigning works).
    static func selectFields(_ names: [String], from fields: [HeaderField], bytes: [UInt8]) -> [HeaderField] {
        var instances: [String: [HeaderField]] = [:]
        for field in fields {
            let name = String(decoding: bytes[field.nameRange], as: UTF8.self).lowercased()
            instances[name, default: []].append(field)
        }
        var used: [String: Int] = [:]
        var selected: [HeaderField] = []
        for name in names {
            let list = instances[name] ?? []
            let n = used[name, default: 0]
            used[name] = n + 1
            if n < list.count { selected.append(list[list.count - 1 - n]) }
        }
        return selected
    }

    /// The field's bytes with the b= value removed (the tag and its '=' kept), §3.5.
    static func withoutSignatureValue(_ bytes: [UInt8], _ field: HeaderField) -> ArraySlice<UInt8> {
        let value = field.valueRange
        var specStart = value.lowerBound
        var i = value.lowerBound
        while i <= value.upperBound {
            if i == value.upperBound || bytes[i] == UInt8(ascii: ";") {
                if let eq = bytes[specStart..<i].firstIndex(of: UInt8(ascii: "=")),
                   bytes[specStart..<eq].trimmingFWS().elementsEqual([UInt8(ascii: "b")]) {
                    var end = i
                    while end > eq + 1 && DKIMTagList.isFWS(bytes[end - 1]) { end -= 1 }
                    return bytes[field.range.lowerBound...eq] + bytes[end..<field.range.upperBound]
                }
                specStart = i + 1
            }
            i += 1
        }
        return bytes[field.range]
    }

    static func unverified(_ value: ArraySlice<UInt8>, _ status: DKIMResult.Status, _ reason: String) -> DKIMResult {
        let ids = DKIMSignature.identifiers(of: value)
        return DKIMResult(status: status, reason: reason, domain: ids.domain, selector: ids.selector, algorithm: ids.algorithm,
                          identity: ids.identity, signaturePrefix: ids.signaturePrefix)
    }

    /// Each canonical form of the body is computed once per message, however many signatures use it.
    struct BodyCache {
        let body: ArraySlice<UInt8>
        var simple: [UInt8]?
        var relaxed: [UInt8]?

        init(body: ArraySlice<UInt8>) { self.body = body }

        mutating func canonical(_ c: DKIMSignature.Canonicalization) -> [UInt8] {
            switch c {
            case .simple:
                if let simple { return simple }
                let computed = DKIMCanonicalization.body(body, .simple)
                simple = computed
                return computed
            case .relaxed:
                if let relaxed { return relaxed }
                let computed = DKIMCanonicalization.body(body, .relaxed)
                relaxed = computed
                return computed
            }
        }
    }
}
