import Frontends
import Pipeline

extension RoostServer {
    /// One SMTP listener: MX (`smtp`) or submission (`submission` STARTTLS, `submissions` TLS).
    func smtpServer(_ listener: Configuration.Listener, mode: TLSMode, authenticator: Authenticator,
                    limiter: ConnectionLimiter, rate: SMTPRateLimiter, pipeline: InboundPipeline? = nil) -> Server<SMTPHandler> {
        let limits = configuration.limits
        let timeouts = SMTPTimeouts(idle: .seconds(limits.smtpIdleTimeoutSeconds), partialLine: .seconds(limits.smtpLineTimeoutSeconds))
        let smtp = SMTPConfiguration(
            role: listener.proto == .smtp ? .mx : .submission, hostname: configuration.hostname,
            maximumMessageSize: limits.messageSize, maximumRecipients: limits.smtpRecipients, timeouts: timeouts)
        return Server(
            configuration: ListenerConfiguration(name: listener.proto == .smtp ? "smtp" : "submission", host: listener.address,
                                                 port: listener.port, tls: mode, timeouts: timeouts.connectionTimeouts),
            handler: SMTPHandler(configuration: smtp, journal: journal, projector: projector, authenticator: authenticator,
                                 rateLimiter: rate, pipeline: pipeline, metrics: metrics, logger: logger),
            tls: tls, limiter: limiter, metrics: metrics, logger: logger)
    }
}

extension RoostServer {
    /// The MX listener's inbound checks over one shared resolver (and its cache), from `[dns]`
    /// and `[pipeline]`/`[policy]`.
    func inboundPipeline() -> InboundPipeline {
        let dns = configuration.dns
        let servers = dns.nameservers.compactMap { entry -> DNSServerAddress? in
            guard let colon = entry.lastIndex(of: ":"), let port = UInt16(entry[entry.index(after: colon)...]) else { return nil }
            return DNSServerAddress(host: String(entry[..<colon]), port: port)
        }
        let resolver = LiveDNSResolver(nameservers: servers.isEmpty ? nil : servers,
                                       timeout: .milliseconds(dns.timeoutMilliseconds), attempts: dns.attempts)
        logger.info("inbound checks", metadata: [
            "stages": "\(configuration.inboundStageNames.joined(separator: ","))",
            "nameservers": "\(dns.nameservers.isEmpty ? "system" : dns.nameservers.joined(separator: ","))",
            "timeoutMs": "\(dns.timeoutMilliseconds)"])
        return configuration.inboundPipeline(resolver: resolver)
    }
}
