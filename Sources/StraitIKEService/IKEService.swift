import Foundation
import Logging
import NIOCore
import NIOPosix
import StraitConfig
import StraitCore
import StraitIKE

/// The IKE I/O shell: runs the protocol engine on one NIO event loop and feeds it.
///
/// - **Sockets**: one IPv4 UDP socket per `ike.listen.ports` port, bound to the wildcard
///   address (so every VPN local address, present or added later, is served by one socket per
///   port). IP_PKTINFO tells which local address each datagram was sent to; replies leave from
///   that address (sendmsg with IP_PKTINFO) through the socket of their local port. Port 500
///   carries bare IKE messages; every other port is a NAT-T port: the 4-byte non-ESP marker is
///   taken off on receive and put on on send, NAT keepalives and marker-less datagrams are
///   dropped and counted.
/// - **Threads**: two event loops. The I/O loop reads the sockets (NIO `DatagramBootstrap`)
///   into a bounded queue; the engine loop makes every engine call: queued messages (a batch at
///   a time, then it yields to other tasks), the 100 ms timer (`tick`), control requests and
///   fast-path expiry events. The engine is not thread-safe and never leaves that loop.
/// - **Flood**: a full queue drops and counts (`IKEServiceCounters.queueDrops`); the kernel's
///   socket buffer drops what the I/O loop cannot read.
public final class IKEService: @unchecked Sendable {
    public struct Settings: Sendable {
        /// IPv4 only: the fast path's tunnels are IPv4 (VPN local addresses are).
        public var listenAddress: IPv4Address
        public var ports: [Int]
        /// Ports that carry bare IKE (no non-ESP marker): 500.
        public var plainPorts: Set<Int>
        /// Messages waiting for the engine, at most (`ike.limits.queue`).
        public var queueLimit: Int
        /// Messages the engine takes per turn before it yields.
        public var batch: Int
        public var tickInterval: TimeAmount
        /// The largest datagram read (IKE messages of certificate exchanges exceed an MTU
        /// when IKE fragmentation is off; the kernel reassembles them).
        public var maxDatagramBytes: Int
        /// Log a line per engine event (`IKEEventLog`): IKE SAs established, rekeyed, deleted;
        /// CHILD SAs installed, removed.
        public var logEvents: Bool

        public init(config: IKEConfig) {
            listenAddress = IPv4Address(0)
            ports = config.listen.ports
            plainPorts = [IKEDefaults.ikePort]
            queueLimit = config.limits.queue
            batch = 32
            tickInterval = .milliseconds(100)
            maxDatagramBytes = 65535
            logEvents = true
        }
    }

    public enum ServiceError: Error, CustomStringConvertible {
        /// A socket could not be bound: the port is in use, and so on. The text names it.
        case listen(String)
        case notRunning
        case alreadyStarted

        public var description: String {
            switch self {
            case .listen(let text): return text
            case .notRunning: return "the IKE service is not running"
            case .alreadyStarted: return "the IKE service is already running"
            }
        }
    }

    public let settings: Settings
    private let logger: Logger
    private let makeEngine: (IKETime) throws -> any IKEProtocolEngine
    /// Held through start() and stop() (which wait on the loops): never taken on a loop.
    private let lifecycle = NSLock()
    private var running: Running?
    /// The engine loop while the service runs, for the loops and other threads (its own lock:
    /// the I/O loop must never wait for `lifecycle`, which stop() holds while it closes the
    /// I/O loop's channels).
    private let loopLock = NSLock()
    private var _engineLoop: EventLoop?
    private var engineLoop: EventLoop? {
        loopLock.lock()
        defer { loopLock.unlock() }
        return _engineLoop
    }
    private var subscribers: [(IKEEvent) -> Void] = []
    private let queue: InboundQueue

    private struct Running {
        var group: MultiThreadedEventLoopGroup
        var engineLoop: EventLoop
        var ioLoop: EventLoop
        var channels: [Channel]
        var ports: [Int]
    }

    // Engine loop only.
    private var engine: (any IKEProtocolEngine)?
    private var sockets: [Int: Socket] = [:]
    private var tickTask: RepeatedTask?
    private var stopping = false
    private var lastSendWarning = -Double.infinity

    struct Socket {
        var fd: Int32
        var port: Int
        var natT: Bool
    }

    /// `makeEngine` builds the engine on the engine loop at `start()`, with the clock's time;
    /// what it throws, `start()` throws.
    public init(settings: Settings, logger: Logger, makeEngine: @escaping (IKETime) throws -> any IKEProtocolEngine) {
        self.settings = settings
        self.logger = logger
        self.makeEngine = makeEngine
        self.queue = InboundQueue(limit: settings.queueLimit)
    }

    /// The service for `config`, with the real engine over `dataPlane`.
    public convenience init(config: IKEConfig, dataPlane: IKEDataPlane, logger: Logger) {
        self.init(settings: Settings(config: config), logger: logger) { now in
            try IKEEngine(config: config, dataPlane: dataPlane, logger: logger, now: now)
        }
    }

    deinit { stop() }

    /// The engine's clock: monotonic nanoseconds.
    public static func now() -> IKETime { IKETime(nanoseconds: NIODeadline.now().uptimeNanoseconds) }

    /// Called on the engine loop for every event of the engine's bus, after the log line.
    /// Subscribe before `start()`.
    public func subscribe(_ handler: @escaping (IKEEvent) -> Void) {
        lifecycle.lock()
        subscribers.append(handler)
        lifecycle.unlock()
    }

    /// Binds every port (a failure names the port and nothing keeps running), builds the
    /// engine, starts reading and the timer.
    public func start() throws {
        lifecycle.lock()
        defer { lifecycle.unlock() }
        guard running == nil else { throw ServiceError.alreadyStarted }

        var made: [Socket] = []
        do {
            for port in settings.ports {
                let fd = try UDPSocket.bind(address: settings.listenAddress, port: port)
                let actual = UDPSocket.localPort(fd) ?? port
                made.append(Socket(fd: fd, port: actual, natT: !settings.plainPorts.contains(port)))
            }
        } catch {
            for s in made { close(s.fd) }
            throw ServiceError.listen("ike.listen: \(error)")
        }

        let bound = made
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var loops = group.makeIterator()
        let engineLoop = loops.next()!, ioLoop = loops.next()!
        let subscribers = self.subscribers
        let logEvents = settings.logEvents
        do {
            try engineLoop.submit { [self] in
                stopping = false
                let engine = try makeEngine(Self.now())
                engine.bus.subscribe { [logger] event in
                    if logEvents, let line = IKEEventLog.line(for: event) { logger.log(level: line.level, "ike: \(line.text)") }
                    for s in subscribers { s(event) }
                }
                self.engine = engine
                sockets = Dictionary(bound.map { ($0.port, $0) }, uniquingKeysWith: { a, _ in a })
            }.wait()
        } catch {
            for s in bound { close(s.fd) }
            try? group.syncShutdownGracefully()
            throw error
        }

        // Readers may hand messages over as soon as their channel is registered.
        loopLock.lock()
        _engineLoop = engineLoop
        loopLock.unlock()
        var channels: [Channel] = []
        for (i, socket) in bound.enumerated() {
            do {
                let reader = Reader(service: self, port: socket.port, natT: socket.natT)
                let channel = try DatagramBootstrap(group: ioLoop)
                    .channelOption(.receivePacketInfo, value: true)
                    .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: settings.maxDatagramBytes))
                    .channelOption(.maxMessagesPerRead, value: 16)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(reader) }
                    }
                    .withBoundSocket(socket.fd)
                    .wait()
                channels.append(channel)
            } catch {
                // NIO owns (and closed) the sockets it took; close the others.
                for s in bound[(i + 1)...] { close(s.fd) }
                for c in channels { try? c.close().wait() }
                loopLock.lock()
                _engineLoop = nil
                loopLock.unlock()
                queue.clear()
                try? engineLoop.submit { [self] in engine = nil; sockets = [:] }.wait()
                try? group.syncShutdownGracefully()
                throw ServiceError.listen("ike.listen: UDP port \(socket.port): \(error)")
            }
        }

        let interval = settings.tickInterval
        try engineLoop.submit { [self] in
            tickTask = engineLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [weak self] _ in
                self?.tick()
            }
        }.wait()
        running = Running(group: group, engineLoop: engineLoop, ioLoop: ioLoop, channels: channels,
                          ports: bound.map(\.port))
        let ports = bound.map { "\($0.port)\($0.natT ? " (NAT-T)" : "")" }.joined(separator: ", ")
        logger.info("ike: listening on UDP \(settings.listenAddress) ports \(ports)")
    }

    /// Deletes every IKE SA (the engine's best-effort Deletes go out, its CHILD SAs leave the
    /// fast path), then closes the sockets and stops the loops. Idempotent; not from a loop.
    public func stop() {
        lifecycle.lock()
        defer { lifecycle.unlock() }
        guard let r = running else { return }
        running = nil
        try? r.engineLoop.submit { [self] in
            stopping = true
            tickTask?.cancel()
            tickTask = nil
            if let engine {
                send(engine.shutdown(now: Self.now()))
            }
        }.wait()
        for c in r.channels { try? c.close().wait() }
        // No reader is left: nothing schedules work on the engine loop any more.
        loopLock.lock()
        _engineLoop = nil
        loopLock.unlock()
        try? r.engineLoop.submit { [self] in
            engine = nil
            sockets = [:]
        }.wait()
        queue.clear()
        try? r.group.syncShutdownGracefully()
        logger.info("ike: stopped")
    }

    /// The ports bound (after `start()`), in `settings.ports` order.
    public var boundPorts: [Int] {
        lifecycle.lock()
        defer { lifecycle.unlock() }
        return running?.ports ?? []
    }

    public var isRunning: Bool {
        lifecycle.lock()
        defer { lifecycle.unlock() }
        return running != nil
    }

    // MARK: Calls from other threads (the control socket's handlers, the event monitor)

    /// Runs `body` with the engine on the engine loop and waits (not from that loop).
    func onEngine<T>(_ body: @escaping (any IKEProtocolEngine, IKETime) throws -> T) throws -> T {
        guard let loop = engineLoop else { throw ServiceError.notRunning }
        let box = try loop.submit { [self] () -> UncheckedBox<T> in
            guard let engine, !stopping else { throw ServiceError.notRunning }
            return UncheckedBox(try body(engine, Self.now()))
        }.wait()
        return box.value
    }

    /// Every IKE SA, as the engine reports them.
    public func reports() throws -> [IKESAReport] {
        try onEngine { engine, now in engine.reports(now: now) }
    }

    /// The engine's counters, with the queue drops this shell counted.
    public func counters() throws -> (engine: IKECounters, service: IKEServiceCounters) {
        let engine = try onEngine { engine, _ in engine.counters }
        let service = queue.snapshot
        var merged = engine
        merged.queueDrops += service.queueDrops
        return (merged, service)
    }

    /// What the UDP shell counted (without asking the engine: answers while it is busy).
    public func udpCounters() -> IKEServiceCounters { queue.snapshot }

    /// Starts a tunnel of VPN `vpn` (to `remote`, else its configured remote address).
    public func initiate(vpn: String, remote: IPAddress?) throws {
        try onEngine { [self] engine, now in send(try engine.initiate(vpn: vpn, remote: remote, now: now)) }
    }

    /// Deletes IKE SA `id`; false when there is none.
    public func terminate(ikeSA id: UInt64) throws -> Bool {
        try onEngine { [self] engine, now in
            guard engine.reports(now: now).contains(where: { $0.id == id }) else { return false }
            send(engine.terminate(ikeSA: id, now: now))
            return true
        }
    }

    /// A configuration reload: the certificates and keys `config` names are read here (off
    /// the engine loop), then the engine takes the new configuration on its loop and what it
    /// sends (Deletes, IKE_SA_INITs) goes out. A throw (a file that cannot be used) changes
    /// nothing. `ike.listen` and `ike.limits.queue` are the caller's to keep unchanged.
    public func reload(config: IKEConfig) throws -> IKEReloadReport {
        let credentials = try IKECredentials.load(config)
        return try onEngine { [self] engine, now in
            let (report, out) = try engine.reload(config: config, credentials: credentials, now: now)
            send(out)
            return report
        }
    }

    /// The fast path says a CHILD SA reached a lifetime. Does not wait.
    public func childSAExpired(cookie: UInt64, hard: Bool) {
        engineLoop?.execute { [self] in
            guard let engine, !stopping else { return }
            send(engine.childSAExpired(cookie: cookie, hard: hard, now: Self.now()))
        }
    }

    // MARK: Engine loop

    private func tick() {
        guard let engine, !stopping else { return }
        send(engine.tick(now: Self.now()))
    }

    /// Gives the engine a batch of queued messages, then yields (the next batch is a new task,
    /// behind timers and control requests).
    private func drain() {
        let batch = queue.pop(max: settings.batch)
        if let engine, !stopping {
            for datagram in batch {
                send(engine.receive(datagram, now: Self.now()))
            }
        }
        if queue.finishBatch() {
            if let loop = engineLoop { loop.execute { [self] in drain() } } else { queue.clear() }
        }
    }

    private func send(_ datagrams: [IKEDatagram]) {
        guard !datagrams.isEmpty else { return }
        for d in datagrams {
            queue.count { $0.sendRequests += 1 }
            guard let socket = sockets[Int(d.local.port)] else {
                queue.count { $0.sendNoSocket += 1 }
                warnSend("ike: no socket on local port \(d.local.port) to send to \(d.remote)")
                continue
            }
            guard case .v4(let remote) = d.remote.address else {
                queue.count { $0.unsupportedAddress += 1 }
                continue
            }
            var source: IPv4Address?
            if case .v4(let local) = d.local.address { source = local }
            // A NAT keepalive is one bare 0xFF byte, and only on a NAT-T port.
            if d.natKeepalive && !socket.natT { continue }
            let payload = d.natKeepalive ? [NATTraversalFraming.keepalive] : NATTraversalFraming.encode(d.bytes, natT: socket.natT)
            let rc = UDPSocket.send(fd: socket.fd, payload, to: remote,
                                    port: d.remote.port, from: source)
            if rc == 0 {
                queue.count { $0.sent += 1 }
            } else {
                queue.count { $0.sendErrors += 1 }
                warnSend("ike: sending to \(d.remote) from \(d.local): \(String(cString: strerror(rc)))")
            }
        }
    }

    /// At most one warning a second about failed sends.
    private func warnSend(_ text: String) {
        let now = Double(NIODeadline.now().uptimeNanoseconds) / 1e9
        guard now - lastSendWarning >= 1 else { return }
        lastSendWarning = now
        logger.warning("\(text)")
    }

    // MARK: I/O loop

    /// A datagram arrived on `port`.
    fileprivate func arrived(_ envelope: AddressedEnvelope<ByteBuffer>, port: Int, natT: Bool) {
        queue.count { $0.datagrams += 1 }
        let bytes = Array(envelope.data.readableBytesView)
        let message: [UInt8]
        switch NATTraversalFraming.decode(bytes, natT: natT) {
        case .ike(let m): message = m
        case .keepalive: queue.count { $0.natKeepalives += 1 }; return
        case .esp: queue.count { $0.nonIKE += 1 }; return
        case .short: queue.count { $0.short += 1 }; return
        }
        guard let remote = Self.ipv4(envelope.remoteAddress), let remotePort = envelope.remoteAddress.port else {
            queue.count { $0.unsupportedAddress += 1 }
            return
        }
        let local = envelope.metadata?.packetInfo.flatMap { Self.ipv4($0.destinationAddress) } ?? settings.listenAddress
        let datagram = IKEDatagram(local: IKEEndpoint(.v4(local), UInt16(truncatingIfNeeded: port)),
                                   remote: IKEEndpoint(.v4(remote), UInt16(truncatingIfNeeded: remotePort)), bytes: message)
        let (_, schedule) = queue.push(datagram)
        if schedule {
            if let loop = engineLoop { loop.execute { [self] in drain() } } else { queue.clear() }
        }
    }

    static func ipv4(_ address: SocketAddress) -> IPv4Address? {
        guard case .v4(let a) = address else { return nil }
        return IPv4Address(UInt32(bigEndian: a.address.sin_addr.s_addr))
    }

    /// Reads one socket's datagrams into the service.
    private final class Reader: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        private let service: IKEService
        private let port: Int
        private let natT: Bool
        private var lastError = -Double.infinity

        init(service: IKEService, port: Int, natT: Bool) {
            self.service = service
            self.port = port
            self.natT = natT
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            service.arrived(Self.unwrapInboundIn(data), port: port, natT: natT)
        }

        /// UDP reports ICMP errors of earlier sends on reads (ECONNREFUSED...): keep reading.
        func errorCaught(context: ChannelHandlerContext, error: Error) {
            let now = Double(NIODeadline.now().uptimeNanoseconds) / 1e9
            guard now - lastError >= 1 else { return }
            lastError = now
            service.logger.debug("ike: UDP port \(port): \(error)")
        }
    }
}

/// Carries a value the type system cannot prove Sendable across the engine loop's boundary
/// (engine reports are plain values made on that loop and read after it answered).
private struct UncheckedBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
