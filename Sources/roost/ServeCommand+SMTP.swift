import Frontends

extension RoostServer {
    /// One SMTP listener: MX (`smtp`) or submission (`submission` STARTTLS, `submissions` TLS).
    func smtpServer(_ listener: Configuration.Listener, mode: TLSMode, authenticator: Authenticator,
                    limiter: ConnectionLimiter, rate: SMTPRateLimiter) -> Server<SMTPHandler> {
        let limits = configuration.limits
        let timeouts = SMTPTimeouts(idle: .seconds(limits.smtpIdleTimeoutSeconds), partialLine: .seconds(limits.smtpLineTimeoutSeconds))
        let smtp = SMTPConfiguration(
            role: listener.proto == .smtp ? .mx : .submission, hostname: configuration.hostname,
            maximumMessageSize: limits.messageSize, maximumRecipients: limits.smtpRecipients, timeouts: timeouts)
        return Server(
            configuration: ListenerConfiguration(name: listener.proto == .smtp ? "smtp" : "submission", host: listener.address,
                                                 port: listener.port, tls: mode, timeouts: timeouts.connectionTimeouts),
            handler: SMTPHandler(configuration: smtp, journal: journal, projector: projector, authenticator: authenticator,
                                 rateLimiter: rate, metrics: metrics, logger: logger),
            tls: tls, limiter: limiter, metrics: metrics, logger: logger)
    }
}
