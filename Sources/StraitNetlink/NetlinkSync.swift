#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import StraitCore

#if os(Linux)
/// Keeps the fast path's routes and neighbours in step with the kernel's, for the mirror interfaces.
///
/// `start()` subscribes to link/address/route/neighbour notifications, dumps the kernel's tables
/// and hands the resulting operations to the sink before returning. A listener thread then applies
/// notifications as they come. When notifications were lost (ENOBUFS, an overrun, a message that
/// cannot be decoded) it resyncs: dumps everything again and sends only the differences.
///
/// The sink is called from the thread of `start()` first, then only from the listener thread, in order.
/// The sockets belong to the network namespace of the thread that calls `start()`.
public final class NetlinkSync: @unchecked Sendable {
    public struct Counters: Hashable, Sendable {
        /// Notifications applied.
        public var events = 0
        /// Full resyncs after the initial dump.
        public var resyncs = 0
        /// Undecodable messages, socket errors and failed dumps.
        public var errors = 0
        /// Operations handed to the sink.
        public var operations = 0
    }

    public static let groups = NL.RTMGRP_LINK | NL.RTMGRP_IPV4_IFADDR | NL.RTMGRP_IPV6_IFADDR
        | NL.RTMGRP_IPV4_ROUTE | NL.RTMGRP_IPV6_ROUTE | NL.RTMGRP_NEIGH

    /// The dumps of a full sync, in an order where links come first.
    static let dumps: [NetlinkRequest.DumpKind] = [
        .links,
        .addresses(family: NL.AF_INET), .addresses(family: NL.AF_INET6),
        .routes(family: NL.AF_INET), .routes(family: NL.AF_INET6),
        .neighbors(family: NL.AF_INET), .neighbors(family: NL.AF_INET6),
    ]

    private let sink: ([FibOperation]) -> Void
    private var logger: Logger
    private let receiveBufferSize: Int
    private let lock = NSLock()
    private var mirror: FibMirror
    private var stats = Counters()
    private var listener: NetlinkSocket?
    private var requests: NetlinkSocket?
    private var stopping = false
    private var resyncWanted = false
    private var thread: Thread?
    private let threadDone = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - mirrors: mirror interface name -> fast-path port handle.
    ///   - sink: receives each batch of operations, in apply order.
    ///   - receiveBufferSize: the listener socket's buffer; large, so bursts (FRR installing a full
    ///     table) do not overflow it.
    public init(mirrors: [String: Int], sink: @escaping ([FibOperation]) -> Void,
                logger: Logger = Logger(label: "strait.netlink"), receiveBufferSize: Int = 32 << 20) {
        self.mirror = FibMirror(mirrors: mirrors)
        self.sink = sink
        self.logger = logger
        self.receiveBufferSize = receiveBufferSize
    }

    deinit { stop() }

    public var counters: Counters { lock.withLock { stats } }
    /// The routes installed in the fast path.
    public var routes: [IPPrefix: NextHop] { lock.withLock { mirror.routes } }
    /// The neighbours installed in the fast path.
    public var neighbors: [NeighborKey: MACAddress] { lock.withLock { mirror.neighbors } }

    /// Dumps the kernel's state, delivers the operations, then starts the listener thread.
    /// Throws when the sockets cannot be opened or the initial dump fails.
    public func start() throws {
        guard lock.withLock({ self.thread == nil }) else { return }
        // Subscribe before dumping, so nothing that changes during the dump is missed.
        let listener = try NetlinkSocket(groups: Self.groups, receiveBufferSize: receiveBufferSize)
        let requests = try NetlinkSocket()
        let ops = try resync(using: requests)
        lock.withLock {
            stats.operations += ops.count
            self.listener = listener
            self.requests = requests
            stopping = false
        }
        if !ops.isEmpty { sink(ops) }
        logger.info("netlink sync started", metadata: ["routes": "\(routes.count)", "neighbors": "\(neighbors.count)"])
        let thread = Thread { [self] in
            listen(listener, requests)
            threadDone.signal()
        }
        thread.name = "strait-netlink"
        lock.withLock { self.thread = thread }
        thread.start()
    }

    /// Stops the listener thread (within about 200 ms) and closes the sockets.
    public func stop() {
        let running = lock.withLock { () -> Thread? in
            stopping = true
            return thread
        }
        if running != nil {
            _ = threadDone.wait(timeout: .now() + 5)
        }
        lock.withLock {
            thread = nil
            listener?.close(); listener = nil
            requests?.close(); requests = nil
        }
    }

    /// Asks the listener thread for a full resync (e.g. after the fast path was restarted).
    public func requestResync() {
        lock.withLock { resyncWanted = true }
    }

    // MARK: Listener thread

    private func listen(_ listener: NetlinkSocket, _ requests: NetlinkSocket) {
        var retryAt: Date?
        while !lock.withLock({ stopping }) {
            let wanted = lock.withLock { () -> Bool in
                defer { resyncWanted = false }
                return resyncWanted
            }
            if wanted || (retryAt.map { Date() >= $0 } ?? false) {
                retryAt = resyncAndDeliver(requests) ? nil : Date().addingTimeInterval(1)
            }
            let data: [UInt8]?
            do {
                data = try listener.receive(timeoutMilliseconds: 200)
            } catch let error as NetlinkError where error.errno == ENOBUFS {
                logger.warning("netlink notifications lost (ENOBUFS): full resync")
                lock.withLock { stats.errors += 1 }
                // Empty the queue first: until it is empty the kernel drops further notifications
                // without reporting ENOBUFS again. What is drained predates the dump.
                listener.drain()
                retryAt = resyncAndDeliver(requests) ? nil : Date().addingTimeInterval(1)
                continue
            } catch {
                logger.error("netlink listener: \(error); full resync")
                lock.withLock { stats.errors += 1 }
                retryAt = resyncAndDeliver(requests) ? nil : Date().addingTimeInterval(1)
                continue
            }
            guard let data else { continue }

            var events: [NetlinkEvent] = []
            var lostSync: String?
            NetlinkParser.forEachMessage(in: data) { result in
                switch result {
                case .success(let message):
                    if case .overrun = message.event { lostSync = "NLMSG_OVERRUN" }
                    events.append(message.event)
                case .failure(let error):
                    lostSync = error.description
                }
            }
            let ops = lock.withLock { () -> [FibOperation] in
                stats.events += events.count
                let ops = retryAt == nil ? mirror.handle(events) : []
                stats.operations += ops.count
                if lostSync != nil { stats.errors += 1 }
                return ops
            }
            if !ops.isEmpty { sink(ops) }
            if let lostSync {
                logger.warning("netlink notification not understood (\(lostSync)): full resync")
                retryAt = resyncAndDeliver(requests) ? nil : Date().addingTimeInterval(1)
            }
        }
    }

    /// Full resync from the listener thread; false if it failed (the caller retries later).
    private func resyncAndDeliver(_ requests: NetlinkSocket) -> Bool {
        do {
            let ops = try resync(using: requests)
            lock.withLock {
                stats.resyncs += 1
                stats.operations += ops.count
            }
            logger.notice("netlink resync done", metadata: ["operations": "\(ops.count)"])
            if !ops.isEmpty { sink(ops) }
            return true
        } catch {
            lock.withLock { stats.errors += 1 }
            logger.error("netlink resync failed: \(error); retrying in 1 s")
            return false
        }
    }

    /// Dumps every table into a fresh kernel view and returns the differences with what is installed.
    /// A dump interrupted by changes (NLM_F_DUMP_INTR) is started over, up to 3 times.
    private func resync(using requests: NetlinkSocket) throws -> [FibOperation] {
        var attempt = 0
        while true {
            attempt += 1
            lock.withLock { mirror.beginResync() }
            var interrupted = false
            for kind in Self.dumps {
                let result = try requests.dump(kind) { message in
                    lock.withLock { _ = mirror.handle(message.event) }
                }
                if result.interrupted { interrupted = true }
                if !result.parseErrors.isEmpty {
                    lock.withLock { stats.errors += result.parseErrors.count }
                    for e in result.parseErrors.prefix(5) { logger.warning("netlink dump: skipped \(e)") }
                }
            }
            if !interrupted || attempt >= 3 {
                if interrupted { logger.warning("netlink dump still interrupted after \(attempt) attempts; using it") }
                return lock.withLock { mirror.endResync() }
            }
        }
    }
}
#endif
