import Pipeline

extension Configuration {
    /// A resolver (with its cache) over `[dns]`: the system's, or the configured nameservers.
    func dnsResolver() -> LiveDNSResolver {
        let dns = self.dns
        let servers = dns.nameservers.compactMap { entry -> DNSServerAddress? in
            guard let colon = entry.lastIndex(of: ":"), let port = UInt16(entry[entry.index(after: colon)...]) else { return nil }
            return DNSServerAddress(host: String(entry[..<colon]), port: port)
        }
        return LiveDNSResolver(nameservers: servers.isEmpty ? nil : servers,
                               timeout: .milliseconds(dns.timeoutMilliseconds), attempts: dns.attempts)
    }

    /// The stages `[pipeline] stages` names, or the profile's: the development profile evaluates
    /// SPF and reverse DNS (no DNSBL); a server adds the sender-domain check, and DNSBL when
    /// zones are configured.
    var inboundStageNames: [String] {
        if let stages = pipeline.stages { return stages }
        if isDevelopment { return ["sender", "spf", "rdns", "dkim", "dmarc"] }
        return ["sender", "sender-domain", "spf", "rdns"] + (pipeline.dnsbl.isEmpty ? [] : ["dnsbl"]) + ["dkim", "dmarc"]
    }

    /// The profile's policy with `[policy]` and the `[pipeline]` thresholds over it.
    var inboundPolicy: InboundPolicy {
        var policy = isDevelopment ? InboundPolicy.development : .standard
        for (key, text) in pipeline.policy {
            if let action = PolicyAction(text) { policy.actions[key] = action }
        }
        if let v = pipeline.junkScoreMilli { policy.junkScoreMilli = v }
        if let v = pipeline.rejectScoreMilli { policy.rejectScoreMilli = v }
        return policy
    }

    var dnsblZones: [DNSBLZone] {
        pipeline.dnsbl.map { zone in
            DNSBLZone(zone: zone.zone, meanings: Dictionary(uniqueKeysWithValues: zone.codes.compactMap { key, meaning in
                IPAddress(key).map { ($0, meaning) }
            }), scoreMilli: zone.scoreMilli)
        }
    }

    /// The MX listener's checks over `resolver`.
    func inboundPipeline(resolver: any DNSResolving) -> InboundPipeline {
        let stages: [any InboundStage] = inboundStageNames.compactMap { name in
            switch name {
            case "sender": SenderSyntaxStage()
            case "sender-domain": SenderDomainStage(resolver: resolver)
            case "spf": SPFStage(resolver: resolver, receiver: hostname)
            case "rdns": ReverseDNSStage(resolver: resolver)
            case "dnsbl": DNSBLStage(zones: dnsblZones, resolver: resolver)
            default: nil  // the message stages below, run after DATA
            }
        }
        return InboundPipeline(stages: stages, policy: inboundPolicy,
                               trustedNetworks: pipeline.trustedNetworks.compactMap(Configuration.parseNetwork))
    }

    /// The stages that need the message (DKIM, then DMARC, which reads DKIM's and SPF's
    /// decisions), in that order whatever order `[pipeline] stages` lists them; nil when none.
    func messagePipeline(resolver: any DNSResolving) -> InboundPipeline? {
        let names = inboundStageNames
        var stages: [any InboundStage] = []
        if names.contains("dkim") { stages.append(DKIMStage(resolver: resolver)) }
        if names.contains("dmarc") { stages.append(DMARCStage(resolver: resolver)) }
        guard !stages.isEmpty else { return nil }
        return InboundPipeline(stages: stages, policy: inboundPolicy,
                               trustedNetworks: pipeline.trustedNetworks.compactMap(Configuration.parseNetwork))
    }
}
