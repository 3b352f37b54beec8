import Frontends
import Pipeline

extension RoostServer {
    /// One SMTP listener: MX (`smtp`) or submission (`submission` STARTTLS, `submissions` TLS).
    func smtpServer(_ listener: Configuration.Listener, mode: TLSMode, authenticator: Authenticator,
                    limiter: ConnectionLimiter, rate: SMTPRateLimiter, pipeline: InboundPipeline? = nil,
                    messagePipeline: InboundPipeline? = nil) -> Server<SMTPHandler> {
        let limits = configuration.limits
        let timeouts = SMTPTimeouts(idle: .seconds(limits.smtpIdleTimeoutSeconds), partialLine: .seconds(limits.smtpLineTimeoutSeconds))
        let smtp = SMTPConfiguration(
            role: listener.proto == .smtp ? .mx : .submission, hostname: configuration.hostname,
            maximumMessageSize: limits.messageSize, maximumRecipients: limits.smtpRecipients, timeouts: timeouts)
        return Server(
            configuration: ListenerConfiguration(name: listener.proto == .smtp ? "smtp" : "submission", host: listener.address,
                                                 port: listener.port, tls: mode, timeouts: timeouts.connectionTimeouts),
            handler: SMTPHandler(configuration: smtp, journal: journal, projector: projector, authenticator: authenticator,
                                 rateLimiter: rate, pipeline: pipeline, messagePipeline: messagePipeline,
                                 metrics: metrics, logger: logger),
            tls: tls, limiter: limiter, metrics: metrics, logger: logger)
    }
}

extension RoostServer {
    /// The MX listener's inbound checks over one shared resolver (and its cache), from `[dns]`
    /// and `[pipeline]`/`[policy]`.
    func inboundPipeline(resolver: any DNSResolving) -> InboundPipeline {
        let dns = configuration.dns
        logger.info("inbound checks", metadata: [
            "stages": "\(configuration.inboundStageNames.joined(separator: ","))",
            "nameservers": "\(dns.nameservers.isEmpty ? "system" : dns.nameservers.joined(separator: ","))",
            "timeoutMs": "\(dns.timeoutMilliseconds)"])
        return configuration.inboundPipeline(resolver: resolver)
    }

    /// The resolver (and cache) the envelope and message checks share, from `[dns]`.
    func inboundResolver() -> LiveDNSResolver { configuration.dnsResolver() }

    /// The checks after DATA (`dkim`, `dmarc` in `[pipeline] stages`).
    func messagePipeline(resolver: any DNSResolving) -> InboundPipeline? {
        configuration.messagePipeline(resolver: resolver)
    }
}
