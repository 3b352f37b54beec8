import NIOCore
public import Journal

/// The framer, parser, session and encoder together with no I/O, every effect answered as if it
/// succeeded (lookups find a local user, AUTH works, deliveries are durable): bytes in, reply
/// bytes out. For the fuzz target and the chunking-invariance tests; the server uses the parts.
public struct SMTPDialogue {
    public private(set) var replies: [UInt8] = []
    /// Messages the session handed over for delivery, in order.
    public private(set) var delivered: [[UInt8]] = []
    public private(set) var closed = false
    private var processor: NIOSingleStepByteToMessageProcessor<SMTPFrameDecoder>
    private var session: SMTPSession
    private let user = UserID(rawValue: 1)

    public init(role: SMTPConfiguration.Role, maximumMessageSize: Int = 100_000) {
        processor = NIOSingleStepByteToMessageProcessor(SMTPFrameDecoder())
        session = SMTPSession(environment: .init(
            configuration: SMTPConfiguration(role: role, hostname: "mx.test", maximumMessageSize: maximumMessageSize),
            tlsActive: false, startTLSAvailable: true, plaintextAllowed: true))
        replies = SMTPReplyEncoder.encode(session.greeting)
    }

    /// Feeds bytes as they might arrive from the network. As with a real client (RFC 5321 §3.3,
    /// RFC 2920 §3.1), message data must come in a later call than the DATA line it follows:
    /// bytes after DATA wait, unread, until the session has answered it.
    public mutating func receive(_ bytes: [UInt8]) {
        guard !closed else { return }
        var frames: [SMTPFrame] = []
        do {
            try processor.process(buffer: ByteBuffer(bytes: bytes)) { frame in frames.append(frame) }
        } catch {
            closed = true
            return
        }
        for frame in frames where !closed {
            let actions: [SMTPSession.Action] = switch frame.kind {
            case .command(let line): session.command(SMTPCommandParser.parse(line.readableBytesView))
            case .bareLineFeedCommand: session.badLine(tooLong: false)
            case .commandTooLong: session.badLine(tooLong: true)
            case .data(let bytes, let violations): session.dataReceived(bytes, violations: violations)
            case .dataEnd: session.dataEnded()
            case .chunk(let bytes): session.chunkReceived(bytes)
            }
            var control = frame.control
            perform(actions, control: &control)
            control?.dataFollows(false)
        }
    }

    private mutating func perform(_ actions: [SMTPSession.Action], control: inout SMTPFramingControl?) {
        var pending = actions
        while !pending.isEmpty && !closed {
            switch pending.removeFirst() {
            case .reply(let reply):
                control?.dataFollows(false)
                control = nil
                SMTPReplyEncoder.encode(reply, into: &replies)
            case .beginData(let reply):
                control?.dataFollows(true)
                control = nil
                SMTPReplyEncoder.encode(reply, into: &replies)
            case .startTLS(let reply):
                SMTPReplyEncoder.encode(reply, into: &replies)
                // A new framer, as after a real handshake.
                processor = NIOSingleStepByteToMessageProcessor(SMTPFrameDecoder())
                pending += session.tlsStarted()
            case .authenticate(let mechanism, _):
                pending += session.authenticationFinished(.success(.init(account: "a@test", user: user, mechanism: mechanism)))
            case .checkSender:
                pending += session.senderChecked(.accepted)
            case .checkRecipient(let mailbox):
                pending += session.recipientChecked(mailbox.domain.lowercased() == "test" ? .local(users: [user], forwardTo: []) : .notLocal)
            case .deliver(let message):
                delivered.append(message.bytes)
                pending += session.deliveryFinished(.accepted(id: String(delivered.count)))
            case .recordRefusal:
                break
            case .close:
                closed = true
            }
        }
    }
}
