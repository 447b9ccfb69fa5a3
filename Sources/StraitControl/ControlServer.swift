import Foundation
import Logging
import NIOCore
import NIOPosix
import StraitAPI
#if canImport(Glibc)
import Glibc
#endif

/// straitd's control socket: a root-only Unix stream socket that answers newline-delimited
/// JSON requests (see `ControlProtocol`) with the handlers registered for their commands.
///
/// Handlers run on a small thread pool, never on the event loop, so a slow one delays only
/// the answers on its own connection. Requests on one connection are answered in order.
public final class ControlServer: @unchecked Sendable {
    public typealias Handler = @Sendable (ControlRequest) throws -> any Encodable & Sendable

    public struct Limits: Sendable {
        /// The largest request line; a longer one is answered `too-large` and the connection closed.
        public var maxRequestBytes = ControlProtocol.maxRequestBytes
        /// Connections beyond this are answered `unavailable` and closed.
        public var maxConnections = 32
        /// A connection with no traffic (and no request in progress) for this long is closed.
        public var idleTimeout: TimeAmount = .seconds(30)
        /// Requests queued on one connection behind the one running; more is `unavailable`.
        public var maxPipelinedRequests = 32
        /// Threads that run handlers.
        public var handlerThreads = 2
        public init() {}
    }

    public let socketPath: String
    public let limits: Limits
    let logger: Logger

    /// Peers (by uid, from SO_PEERCRED) allowed to send requests: root only, unless a test says
    /// otherwise. Checked when a connection opens.
    public var allowedUIDs: Set<uid_t> {
        get { lock.lock(); defer { lock.unlock() }; return _allowedUIDs }
        set { lock.lock(); defer { lock.unlock() }; _allowedUIDs = newValue }
    }
    private var _allowedUIDs: Set<uid_t> = [0]

    private let lock = NSLock()
    /// Held through start() and stop(), so that they do not interleave.
    private let lifecycle = NSLock()
    private var handlers: [[String]: Handler] = [:]
    private var running: Running?
    private var connections: [ObjectIdentifier: Channel] = [:]

    private struct Running {
        var group: MultiThreadedEventLoopGroup
        var pool: NIOThreadPool
        var channel: Channel
        var socketIdentity: SocketFile.Identity
    }

    public init(socketPath: String, logger: Logger, limits: Limits = Limits()) {
        self.socketPath = socketPath
        self.logger = logger
        self.limits = limits
    }

    deinit { stop() }

    /// Registers (or replaces) the handler of `command`. May be called before or after `start()`.
    public func register(_ command: [String], _ handler: @escaping Handler) {
        lock.lock(); defer { lock.unlock() }
        handlers[command] = handler
    }

    /// Registers the handler of a `ControlCommands` command; it must return that command's result type.
    public func register<R>(_ command: ControlCommand<R>, _ handler: @escaping @Sendable (ControlRequest) throws -> R) {
        register(command.words) { request in try handler(request) }
    }

    /// The registered commands, sorted.
    public var commands: [[String]] {
        lock.lock(); defer { lock.unlock() }
        return handlers.keys.sorted { $0.joined(separator: " ") < $1.joined(separator: " ") }
    }

    func handler(for command: [String]) -> Handler? {
        lock.lock(); defer { lock.unlock() }
        return handlers[command]
    }

    /// Creates the socket's directory if missing, removes a stale socket file (refusing if a live
    /// daemon answers on it), binds, and restricts the file to root (mode 0600).
    public func start() throws {
        lifecycle.lock(); defer { lifecycle.unlock() }
        lock.lock()
        if running != nil { lock.unlock(); throw ControlServerError(.alreadyStarted, "the control server is already running") }
        lock.unlock()

        try SocketFile.makeParentDirectory(of: socketPath)
        try SocketFile.clearStale(socketPath) { [logger] message in logger.notice("\(message)") }

        // Bound and restricted to root before anyone can connect; NIO only listens on it.
        let (fd, identity) = try SocketFile.bind(socketPath)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = NIOThreadPool(numberOfThreads: max(1, limits.handlerThreads))
        pool.start()
        let channel: Channel
        do {
            channel = try ServerBootstrap(group: group)
                .childChannelInitializer { [self] child in self.initializeConnection(child, pool: pool) }
                .withBoundSocket(fd)
                .wait()
        } catch {
            _ = unlink(socketPath)
            try? pool.syncShutdownGracefully()
            try? group.syncShutdownGracefully()
            throw ControlServerError(.bindFailed, "cannot listen on \(socketPath): \(error)")
        }
        lock.lock()
        running = Running(group: group, pool: pool, channel: channel, socketIdentity: identity)
        lock.unlock()
        logger.info("control socket listening", metadata: ["path": "\(socketPath)"])
    }

    /// Closes the socket and every connection, waits for handlers in progress, removes the socket file.
    /// Idempotent. Must not be called from a handler or from the event loop.
    public func stop() {
        lifecycle.lock(); defer { lifecycle.unlock() }
        lock.lock()
        guard let r = running else { lock.unlock(); return }
        running = nil
        let open = Array(connections.values)
        lock.unlock()

        try? r.channel.close().wait()
        for c in open { c.close(promise: nil) }
        SocketFile.remove(socketPath, identity: r.socketIdentity)
        try? r.pool.syncShutdownGracefully()
        try? r.group.syncShutdownGracefully()
        logger.info("control socket closed", metadata: ["path": "\(socketPath)"])
    }

    /// The number of open connections.
    public var connectionCount: Int {
        lock.lock(); defer { lock.unlock() }
        return connections.count
    }

    // MARK: - Connections

    private func initializeConnection(_ channel: Channel, pool: NIOThreadPool) -> EventLoopFuture<Void> {
        lock.lock()
        let accepted = connections.count < limits.maxConnections
        if accepted { connections[ObjectIdentifier(channel)] = channel }
        lock.unlock()

        return channel.eventLoop.makeCompletedFuture {
            let sync = channel.pipeline.syncOperations
            guard accepted else {
                logger.warning("control connection refused: too many connections",
                               metadata: ["limit": "\(limits.maxConnections)"])
                try sync.addHandler(RejectHandler(ControlError(
                    .unavailable, "too many control connections (limit \(limits.maxConnections))")))
                return
            }
            channel.closeFuture.whenComplete { [weak self] _ in
                guard let self else { return }
                self.lock.lock()
                self.connections[ObjectIdentifier(channel)] = nil
                self.lock.unlock()
            }
            try sync.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLength: limits.maxRequestBytes)))
            try sync.addHandler(IdleStateHandler(allTimeout: limits.idleTimeout))
            try sync.addHandler(ControlConnectionHandler(server: self, pool: pool))
        }
    }
}

// MARK: - Responses

/// One response line: `{"error"|"result": ..., "id": n|null, "ok": bool}` (sorted keys) and a newline.
struct ResponseLine: Encodable {
    var id: UInt64?
    var result: (any Encodable)?
    var error: ControlError?

    enum CodingKeys: String, CodingKey { case id, ok, result, error }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let id { try c.encode(id, forKey: .id) } else { try c.encodeNil(forKey: .id) }
        try c.encode(error == nil, forKey: .ok)
        if let error {
            try c.encode(error, forKey: .error)
        } else if let result {
            try c.encode(result, forKey: .result)
        } else {
            try c.encode(EmptyResult(), forKey: .result)
        }
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    /// The bytes of the line, newline included. An error response cannot fail to encode;
    /// a result that fails to encode becomes an `internal` error.
    static func bytes(id: UInt64?, result: any Encodable) -> [UInt8] {
        do {
            return Array(try encoder().encode(ResponseLine(id: id, result: result))) + [UInt8(ascii: "\n")]
        } catch {
            return bytes(id: id, error: ControlError(.internal, "cannot encode the result: \(error)"))
        }
    }

    static func bytes(id: UInt64?, error: ControlError) -> [UInt8] {
        let data = (try? encoder().encode(ResponseLine(id: id, error: error)))
            ?? Data(#"{"error":{"code":"internal","message":"cannot encode the error"},"id":null,"ok":false}"#.utf8)
        return Array(data) + [UInt8(ascii: "\n")]
    }
}

// MARK: - Framing

/// A request line, or the news that a line went over the limit (after which input is discarded).
enum LineFrame {
    case line(ByteBuffer)
    case tooLarge
}

/// Splits input at `\n` (a `\r` before it is dropped). A line longer than `maxLength`, or
/// more than `maxLength` bytes without a newline, yields `.tooLarge` once, then discards everything.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = LineFrame

    let maxLength: Int
    private var discarding = false
    private var scanned = 0

    init(maxLength: Int) { self.maxLength = maxLength }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if discarding {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        let view = buffer.readableBytesView
        let start = view.startIndex + min(scanned, view.count)
        if let nl = view[start...].firstIndex(of: UInt8(ascii: "\n")) {
            scanned = 0
            var length = nl - view.startIndex
            if length > 0 && view[nl - 1] == UInt8(ascii: "\r") { length -= 1 }
            if length > maxLength {
                discarding = true
                buffer.moveReaderIndex(to: buffer.writerIndex)
                context.fireChannelRead(NIOAny(LineFrame.tooLarge))
                return .needMoreData
            }
            let line = buffer.getSlice(at: buffer.readerIndex, length: length)!
            buffer.moveReaderIndex(forwardBy: nl - view.startIndex + 1)
            context.fireChannelRead(NIOAny(LineFrame.line(line)))
            return .continue
        }
        scanned = view.count
        if view.count > maxLength + 1 {
            discarding = true
            buffer.moveReaderIndex(to: buffer.writerIndex)
            context.fireChannelRead(NIOAny(LineFrame.tooLarge))
        }
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}

// MARK: - Handlers

/// Answers every new connection beyond the limit with one error line, then closes it.
final class RejectHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let error: ControlError
    init(_ error: ControlError) { self.error = error }

    func channelActive(context: ChannelHandlerContext) {
        let bytes = ResponseLine.bytes(id: nil, error: error)
        let buffer = context.channel.allocator.buffer(bytes: bytes)
        let channel = context.channel
        context.writeAndFlush(NIOAny(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

/// One connection: checks the peer, queues its request lines, runs them one at a time on the pool.
final class ControlConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = LineFrame
    typealias OutboundOut = ByteBuffer

    private enum Peer { case unknown, allowed(uid_t), denied(String) }

    private let server: ControlServer
    private let pool: NIOThreadPool
    private var peer = Peer.unknown
    private var queue: [ByteBuffer] = []
    private var busy = false
    private var closing = false

    init(server: ControlServer, pool: NIOThreadPool) {
        self.server = server
        self.pool = pool
    }

    private var logger: Logger { server.logger }

    func channelActive(context: ChannelHandlerContext) {
        let allowed = server.allowedUIDs
        peerCredentials(of: context.channel).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let cred) where allowed.contains(cred.uid):
                self.peer = .allowed(cred.uid)
            case .success(let cred):
                self.logger.warning("control connection from a non-root peer refused",
                                    metadata: ["uid": "\(cred.uid)", "pid": "\(cred.pid)"])
                self.peer = .denied("uid \(cred.uid) may not use the control socket (root only)")
            case .failure(let error):
                self.logger.warning("cannot read the control peer's credentials", metadata: ["error": "\(error)"])
                self.peer = .denied("cannot read the peer's credentials")
            }
            self.pump(context: context)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .tooLarge:
            logger.warning("control request over the limit; closing", metadata: ["limit": "\(server.limits.maxRequestBytes)"])
            respondAndClose(context: context, id: nil,
                            error: ControlError(.tooLarge, "request over \(server.limits.maxRequestBytes) bytes"))
        case .line(let line):
            if line.readableBytesView.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { return }
            if queue.count >= server.limits.maxPipelinedRequests {
                respondAndClose(context: context, id: nil,
                                error: ControlError(.unavailable, "too many requests queued on this connection"))
                return
            }
            queue.append(line)
            pump(context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            if !busy && queue.isEmpty {
                logger.debug("closing an idle control connection")
                closing = true
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("control connection error", metadata: ["error": "\(error)"])
        closing = true
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closing = true
        queue.removeAll()
        context.fireChannelInactive()
    }

    /// Starts the next queued request if none is running.
    private func pump(context: ChannelHandlerContext) {
        guard !busy, !closing, !queue.isEmpty else { return }
        let line = queue.removeFirst()
        switch peer {
        case .unknown:
            queue.insert(line, at: 0)
            return
        case .denied(let why):
            respondAndClose(context: context, id: Self.bestEffortID(line), error: ControlError(.notPermitted, why))
            return
        case .allowed:
            break
        }
        let request: ControlRequest
        do {
            request = try JSONDecoder().decode(ControlRequest.self, from: Data(line.readableBytesView))
        } catch {
            write(context: context, ResponseLine.bytes(id: Self.bestEffortID(line),
                                                       error: ControlError(.badRequest, Self.describe(error))))
            pump(context: context)
            return
        }
        guard !request.command.isEmpty else {
            write(context: context, ResponseLine.bytes(id: request.id, error: ControlError(.badRequest, "empty command")))
            pump(context: context)
            return
        }
        guard let handler = server.handler(for: request.command) else {
            write(context: context, ResponseLine.bytes(
                id: request.id, error: ControlError(.unknownCommand, "unknown command '\(request.commandText)'")))
            pump(context: context)
            return
        }
        busy = true
        let logger = self.logger
        logger.debug("control request", metadata: ["command": "\(request.commandText)", "id": "\(request.id)"])
        pool.runIfActive(eventLoop: context.eventLoop) { () -> [UInt8] in
            do {
                return ResponseLine.bytes(id: request.id, result: try handler(request))
            } catch let error as ControlError {
                return ResponseLine.bytes(id: request.id, error: error)
            } catch {
                logger.error("control command failed",
                             metadata: ["command": "\(request.commandText)", "error": "\(error)"])
                return ResponseLine.bytes(id: request.id, error: ControlError(.internal, "\(error)"))
            }
        }.assumeIsolated().whenComplete { result in
            self.busy = false
            switch result {
            case .success(let bytes):
                self.write(context: context, bytes)
                self.pump(context: context)
            case .failure:
                self.respondAndClose(context: context, id: request.id,
                                     error: ControlError(.unavailable, "straitd is stopping"))
            }
        }
    }

    private func write(context: ChannelHandlerContext, _ bytes: [UInt8]) {
        guard !closing else { return }
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }

    private func respondAndClose(context: ChannelHandlerContext, id: UInt64?, error: ControlError) {
        guard !closing else { return }
        closing = true
        queue.removeAll()
        let channel = context.channel
        context.writeAndFlush(NIOAny(channel.allocator.buffer(bytes: ResponseLine.bytes(id: id, error: error))))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    /// The `id` of a line that is not a valid request, when it has a usable one.
    static func bestEffortID(_ line: ByteBuffer) -> UInt64? {
        struct OnlyID: Decodable { var id: UInt64? }
        return (try? JSONDecoder().decode(OnlyID.self, from: Data(line.readableBytesView)))?.id
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c):
            return "malformed JSON: \(c.underlyingError.map { "\($0)" } ?? c.debugDescription)"
        case DecodingError.keyNotFound(let key, _):
            return "the request has no '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            let path = c.codingPath.map(\.stringValue).joined(separator: ".")
            return "bad request: '\(path)': \(c.debugDescription)"
        default:
            return "bad request: \(error)"
        }
    }
}

/// `struct ucred` of <sys/socket.h> (which Swift's Glibc module leaves out: it is under _GNU_SOURCE).
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// SO_PEERCRED of a Unix socket channel. (Kept internal and non-inlinable: NIO asks that
/// `unsafeGetSocketOption` be called that way.)
func peerCredentials(of channel: Channel) -> EventLoopFuture<PeerCredentials> {
    guard let provider = channel as? SocketOptionProvider else {
        return channel.eventLoop.makeFailedFuture(ControlError(.internal, "not a socket channel"))
    }
    return provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
}
