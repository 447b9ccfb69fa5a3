import Logging
import NIOCore
import NIOPosix

/// The sync link's I/O shell: TCP between the two nodes, frames of u32 length | bytes, each
/// frame handed to an `HASession` (all protocol and crypto decisions live there). One node
/// listens, the other connects and reconnects with backoff, so the pair survives the link
/// flapping; every new connection is a new handshake (new keys, counters from 0).
///
/// Everything runs on one event loop; callbacks are called on it. `send` may be called from
/// any thread. Messages wait in a bounded queue while the link is down or the socket is full;
/// on overflow the queue is dropped and `needsBulkResync` set, so memory stays bounded and the
/// wiring sends (or asks for) a full dump once the link is back.
public final class HASyncTransport: @unchecked Sendable {
    public enum Mode: Sendable {
        case listen(host: String, port: Int)
        case connect(host: String, port: Int)
    }

    public struct Config: Sendable {
        public var nodeID: UInt32
        public var role: HANodeRole
        public var key: HASecret
        public var mode: Mode
        /// Messages held while the link is down or the socket is full. A bulk dump of 10k
        /// tunnels is about 30k messages: the socket's own buffer (`writeBufferHigh`) takes
        /// most of it, this queue the rest.
        public var maxQueued = 65536
        /// Bytes NIO may hold unsent before the channel reports itself unwritable.
        public var writeBufferHigh = 8 * 1024 * 1024
        public var reconnectMin: TimeAmount = .milliseconds(100)
        public var reconnectMax: TimeAmount = .seconds(1)   // a dedicated link: a SYN a second costs nothing, a rejoin waits less
        /// A connection that has not finished its handshake by then is closed.
        public var handshakeTimeout: TimeAmount = .seconds(5)
        /// Close a connection that received nothing for this long (heartbeats keep it alive); nil: never.
        public var deadInterval: TimeAmount? = nil
        public init(nodeID: UInt32, role: HANodeRole, key: HASecret, mode: Mode) {
            self.nodeID = nodeID
            self.role = role
            self.key = key
            self.mode = mode
        }
    }

    public struct Stats: Equatable, Sendable {
        public var connects: UInt64 = 0
        public var disconnects: UInt64 = 0
        public var sent: UInt64 = 0
        public var received: UInt64 = 0
        public var queueDrops: UInt64 = 0
        /// Frames refused by the session (bad tag, replay, malformed, handshake); each closes the connection.
        public var refused: UInt64 = 0
    }

    public var onMessage: ((HASyncMessage) -> Void)?
    public var onConnected: ((_ peerNodeID: UInt32) -> Void)?
    public var onDisconnected: (() -> Void)?

    public let config: Config
    public let eventLoop: EventLoop
    private let logger: Logger
    private var serverChannel: Channel?
    private var channel: Channel?
    private var session: HASession?
    private var queue: [HASyncMessage] = []
    private var backoff: TimeAmount
    private var reconnectTask: Scheduled<Void>?
    private var stopped = false
    private var _stats = Stats()
    private var _needsBulkResync = false

    public init(config: Config, group: EventLoopGroup, logger: Logger = Logger(label: "strait.ha-sync")) throws {
        _ = try HASession(nodeID: config.nodeID, role: config.role, key: config.key)  // checks the key once, up front
        self.config = config
        self.eventLoop = group.next()
        self.logger = logger
        backoff = config.reconnectMin
    }

    /// Bind or start connecting. For `.listen` returns the bound port (0 asks for an ephemeral one).
    @discardableResult
    public func start() -> EventLoopFuture<Int?> {
        switch config.mode {
        case .listen(let host, let port):
            return ServerBootstrap(group: eventLoop)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { [self] ch in ch.eventLoop.makeCompletedFuture { try self.addHandlers(ch) } }
                .bind(host: host, port: port)
                .map { [self] ch in
                    serverChannel = ch
                    return ch.localAddress?.port
                }
        case .connect:
            return eventLoop.submit { [self] in
                connect()
                return nil
            }
        }
    }

    public func stop() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit { [self] in
            stopped = true
            reconnectTask?.cancel()
            let closes = [serverChannel, channel].compactMap { $0?.close() }
            return EventLoopFuture.andAllComplete(closes, on: eventLoop)
        }
    }

    /// Queue or send a message to the peer.
    public func send(_ message: HASyncMessage) {
        eventLoop.execute { [self] in
            queue.append(message)
            if queue.count > config.maxQueued {
                _stats.queueDrops += UInt64(queue.count)
                queue.removeAll()
                _needsBulkResync = true
                logger.warning("ha-sync: outbound queue overflow, a bulk resync is needed")
            }
            flush()
        }
    }

    /// Close the current connection (tests: a link flap; operators: force a new handshake).
    public func dropConnection() { eventLoop.execute { [self] in channel?.close(promise: nil) } }

    public var stats: EventLoopFuture<Stats> { eventLoop.submit { self._stats } }
    public var isEstablished: EventLoopFuture<Bool> { eventLoop.submit { self.session?.isEstablished ?? false } }

    /// Whether messages were dropped since the last call (and clear the mark).
    public func takeNeedsBulkResync() -> EventLoopFuture<Bool> {
        eventLoop.submit {
            defer { self._needsBulkResync = false }
            return self._needsBulkResync
        }
    }

    // MARK: on the event loop

    private func addHandlers(_ ch: Channel) throws {
        try ch.syncOptions?.setOption(ChannelOptions.writeBufferWaterMark,
                                      value: .init(low: config.writeBufferHigh / 2, high: config.writeBufferHigh))
        let sync = ch.pipeline.syncOperations
        if let dead = config.deadInterval { try sync.addHandler(IdleStateHandler(readTimeout: dead)) }
        try sync.addHandler(ByteToMessageHandler(HAFrameDecoder()))
        try sync.addHandler(HALinkHandler(transport: self))
    }

    private func connect() {
        guard !stopped, case .connect(let host, let port) = config.mode else { return }
        ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(2))
            .channelInitializer { [self] ch in ch.eventLoop.makeCompletedFuture { try self.addHandlers(ch) } }
            .connect(host: host, port: port)
            .whenFailure { [self] error in
                logger.debug("ha-sync: connect to \(host):\(port) failed: \(error)")
                scheduleReconnect()
            }
    }

    private func scheduleReconnect() {
        guard !stopped, case .connect = config.mode else { return }
        let delay = backoff
        backoff = min(backoff * 2, config.reconnectMax)
        reconnectTask = eventLoop.scheduleTask(in: delay) { [self] in connect() }
    }

    fileprivate func connectionUp(_ ch: Channel) {
        guard !stopped else { ch.close(promise: nil); return }
        // A new connection replaces the old one (the peer restarted or the link came back).
        if let old = channel, old !== ch {
            if session?.isEstablished == true {
                _stats.disconnects += 1
                onDisconnected?()
            }
            old.close(promise: nil)
        }
        channel = ch
        var s = try! HASession(nodeID: config.nodeID, role: config.role, key: config.key)
        write(s.start(), on: ch)
        session = s
        eventLoop.scheduleTask(in: config.handshakeTimeout) { [weak self, weak ch] in
            guard let self, let ch, self.channel === ch, self.session?.isEstablished != true else { return }
            self.logger.warning("ha-sync: handshake timed out")
            ch.close(promise: nil)
        }
    }

    fileprivate func linkError(_ error: Error) { logger.warning("ha-sync: closing the link: \(error)") }

    fileprivate func frameReceived(_ frame: [UInt8], on ch: Channel) {
        guard ch === channel, var s = session else { return }
        let events: [HASession.Event]
        do {
            events = try s.receive(frame)
            session = s
        } catch {
            session = s
            _stats.refused += 1
            logger.warning("ha-sync: closing the link: \(error)")
            ch.close(promise: nil)
            return
        }
        for e in events {
            switch e {
            case .send(let f): write(f, on: ch)
            case .established(let peer, _):
                _stats.connects += 1
                backoff = config.reconnectMin
                logger.info("ha-sync: link to node \(peer) up")
                onConnected?(peer)
                flush()
            case .message(let m):
                _stats.received += 1
                onMessage?(m)
            }
        }
    }

    fileprivate func connectionDown(_ ch: Channel) {
        guard ch === channel else { return }
        let wasUp = session?.isEstablished == true
        channel = nil
        session = nil
        if wasUp {
            _stats.disconnects += 1
            logger.info("ha-sync: link down")
            onDisconnected?()
        }
        scheduleReconnect()
    }

    fileprivate func flush() {
        guard let ch = channel, var s = session, s.isEstablished else { return }
        var n = 0
        while n < queue.count, ch.isWritable {
            do { write(try s.seal(queue[n]), on: ch, flush: false) } catch {
                logger.error("ha-sync: cannot seal: \(error)")
                ch.close(promise: nil)
                break
            }
            n += 1
        }
        session = s
        queue.removeFirst(n)
        _stats.sent += UInt64(n)
        ch.flush()
    }

    private func write(_ frame: [UInt8], on ch: Channel, flush: Bool = true) {
        var buf = ch.allocator.buffer(capacity: frame.count + 4)
        buf.writeInteger(UInt32(frame.count))
        buf.writeBytes(frame)
        if flush { ch.writeAndFlush(buf, promise: nil) } else { ch.write(buf, promise: nil) }
    }
}

/// u32 length | frame; a length past the largest record is refused (the connection closes).
struct HAFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = [UInt8]
    static let maxFrame = HASyncCodec.headerLength + HALimits.maxMessage + 64

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        guard length <= Self.maxFrame else { throw HASyncError(.tooBig, "frame of \(length) bytes") }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        context.fireChannelRead(wrapInboundOut(buffer.readBytes(length: Int(length))!))
        return .continue
    }
}

final class HALinkHandler: ChannelInboundHandler {
    typealias InboundIn = [UInt8]
    let transport: HASyncTransport
    init(transport: HASyncTransport) { self.transport = transport }

    func channelActive(context: ChannelHandlerContext) {
        transport.connectionUp(context.channel)
        context.fireChannelActive()
    }
    func channelInactive(context: ChannelHandlerContext) {
        transport.connectionDown(context.channel)
        context.fireChannelInactive()
    }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { transport.frameReceived(unwrapInboundIn(data), on: context.channel) }
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { transport.flush() }
        context.fireChannelWritabilityChanged()
    }
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) } else { context.fireUserInboundEventTriggered(event) }
    }
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A frame past the limit, a reset: say why the link drops (it costs a full dump).
        transport.linkError(error)
        context.close(promise: nil)
    }
}
