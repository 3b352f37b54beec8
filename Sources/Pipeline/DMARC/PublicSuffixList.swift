/// The Public Suffix List (publicsuffix.org's algorithm), shipped as generated data
/// (`PublicSuffixList+Data.swift`, from scripts/generate-public-suffixes.py), for DMARC's
/// organisational domain (RFC 7489 §3.2).
public struct PublicSuffixList: Sendable {
    var rules: Set<String> = []
    /// `*.ck` is kept as `ck`.
    var wildcards: Set<String> = []
    /// `!www.ck` is kept as `www.ck`.
    var exceptions: Set<String> = []

    /// The list built into Roost; parsed once, on first use.
    public static let shared = PublicSuffixList(rulesText: rulesText)

    public init(rulesText: String) {
        for line in rulesText.split(separator: "\n") {
            if line.hasPrefix("!") {
                exceptions.insert(String(line.dropFirst()))
            } else if line.hasPrefix("*.") {
                wildcards.insert(String(line.dropFirst(2)))
            } else {
                rules.insert(String(line))
            }
        }
    }

    public var count: Int { rules.count + wildcards.count + exceptions.count }

    /// The public suffix of a domain: the prevailing rule's labels, or the last label when no
    /// rule matches (the implicit `*` rule).
    public func publicSuffix(of domain: String) -> String {
        let labels = Self.labels(domain)
        guard !labels.isEmpty else { return "" }
        var longest = 1
        for i in 0..<labels.count {
            let candidate = labels[i...].joined(separator: ".")
            if exceptions.contains(candidate) {
                // An exception rule wins over everything; its suffix is the rule without its first label.
                return labels[(i + 1)...].joined(separator: ".")
            }
            let length = labels.count - i
            if length > longest, rules.contains(candidate) { longest = length }
            if i + 1 < labels.count, length > longest, wildcards.contains(labels[(i + 1)...].joined(separator: ".")) { longest = length }
        }
        return labels.suffix(longest).joined(separator: ".")
    }

    /// The organisational domain: the public suffix plus one label. A domain that is itself a
    /// public suffix is its own organisational domain.
    public func organizationalDomain(of domain: String) -> String {
        let labels = Self.labels(domain)
        let suffixCount = publicSuffix(of: domain).split(separator: ".").count
        guard labels.count > suffixCount else { return labels.joined(separator: ".") }
        return labels.suffix(suffixCount + 1).joined(separator: ".")
    }

    static func labels(_ domain: String) -> [String] {
        var name = domain.lowercased()
        while name.hasSuffix(".") { name.removeLast() }
        return name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }
}
