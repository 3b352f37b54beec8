/// The checks that need the message itself (DKIM, then DMARC), run after DATA or BDAT LAST.
extension InboundPipeline {
    /// Runs the stages one after another, each seeing the envelope checks' decisions and the
    /// earlier stages' in `facts.priorDecisions` (DMARC reads SPF's and DKIM's), and judges all
    /// decisions together, so the message's verdict covers the envelope checks too.
    public func evaluateMessage(_ facts: InboundFacts, after envelope: InboundVerdict?) async -> InboundVerdict {
        var facts = facts
        let trusted = facts.clientIP.flatMap { ip in
            trustedNetworks.first { ip.unmappedIPv4.isIn(network: $0.address, prefixLength: $0.prefixLength) }
        }
        var decisions = envelope?.decisions.map(\.decision) ?? []
        for stage in stages {
            facts.priorDecisions = decisions
            if let trusted, !alwaysRun.contains(stage.name) {
                decisions.append(Self.skipped(stage.name, trusted))
            } else {
                decisions.append(await stage.decide(facts))
            }
        }
        return judge(decisions)
    }
}
