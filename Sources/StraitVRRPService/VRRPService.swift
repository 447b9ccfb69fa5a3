import Foundation
import Logging
import StraitCore
import StraitNetlink
import StraitVRRP
#if canImport(Glibc)
import Glibc
#endif

/// The VRRP I/O shell: one thread that polls the raw sockets (protocol 112, one per
/// interface and family) with a timeout set by the routers' next deadline, and feeds
/// `VRRPCore`. The protocol itself is StraitVRRP's state machines; a Master's virtual
/// addresses go onto the port's kernel mirror, which the netlink mirror carries into the
/// fast path (so IKE answers on them).
public final class VRRPService: @unchecked Sendable {
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    private let instances: [VRRPInstanceSpec]
    private let groups: [VRRPGroupSpec]
    private let logger: Logger
    private let lock = NSLock()
    private var core: VRRPCore?
    private var io: SocketIO?
    private var thread: Thread?
    private var stopping = false
    private let stopped = DispatchSemaphore(value: 0)
    private var wake: [Int32] = [-1, -1]
    private var handlers: [@Sendable (VRRPTransitionEvent) -> Void] = []
    /// The latest tracking sample, applied on the service's thread (so transitions, and the
    /// handlers HA hangs on them, stay on that one thread).
    private var pendingHealth: VRRPHealth?

    public init(instances: [VRRPInstanceSpec], groups: [VRRPGroupSpec], logger: Logger) {
        self.instances = instances
        self.groups = groups
        self.logger = logger
    }

    /// Called on the service's thread for every instance and group transition.
    public func subscribe(_ handler: @escaping @Sendable (VRRPTransitionEvent) -> Void) {
        lock.withLock { handlers.append(handler) }
    }

    /// Opens the sockets (errors name the interface), then starts the routers.
    public func start() throws {
        var primaries: [String: IPAddress] = [:]
        for spec in instances {
            if let p = spec.primaryAddress { primaries[spec.name] = p; continue }
            // A new mirror's link-local address may take a moment to appear.
            var found: IPAddress?
            for _ in 0..<40 {
                found = VRRPSockets.linkLocal(spec.interface)
                if found != nil { break }
                usleep(50_000)
            }
            guard let found else { throw StartError(description: "vrrp \(spec.name): \(spec.interface) has no IPv6 link-local address") }
            primaries[spec.name] = found
        }
        let io: SocketIO
        do {
            io = try SocketIO(instances: instances, primaries: primaries, logger: logger)
        } catch {
            throw StartError(description: "vrrp: \(error)")
        }
        let core = VRRPCore(instances: instances, groups: groups, primaries: primaries, io: io)
        core.onTransition = { [weak self] event in self?.transitioned(event) }
        guard pipe(&wake) == 0 else { throw StartError(description: "vrrp: pipe: \(String(cString: strerror(errno)))") }
        _ = fcntl(wake[0], F_SETFL, O_NONBLOCK)
        self.io = io
        self.core = core
        lock.withLock { core.start(now: Self.now()) }
        let thread = Thread { [self] in loop() }
        thread.name = "strait-vrrp"
        self.thread = thread
        thread.start()
    }

    /// Masters send priority 0 (their Backups take over after the skew time) and give up
    /// the addresses; then the sockets close. Safe to call more than once.
    public func stop() {
        guard let core, thread != nil else { return }
        lock.withLock { stopping = true }
        var one: UInt8 = 1
        _ = write(wake[1], &one, 1)
        stopped.wait()
        lock.withLock { core.shutdown(now: Self.now()) }
        io?.close()
        close(wake[0]); close(wake[1])
        thread = nil
    }

    public func status() -> VRRPStatus { lock.withLock { core?.snapshot() ?? VRRPStatus() } }

    /// Graceful failover of group `name` (see `VRRPCore.resign`); false: not Master here.
    public func resign(group name: String) -> Bool { lock.withLock { core?.resign(group: name, now: Self.now()) ?? false } }
    /// Ends a `resign`; false: no such group.
    public func reclaim(group name: String) -> Bool { lock.withLock { core?.reclaim(group: name) ?? false } }
    public func isResigned(group name: String) -> Bool { lock.withLock { core?.isResigned(group: name) ?? false } }
    /// HA split brain: the group stays out of the election (Fault) while `on`.
    public func hold(group name: String, _ on: Bool) -> Bool { lock.withLock { core?.hold(group: name, on, now: Self.now()) ?? false } }
    /// HA: no preempting while this node is not in sync (see `VRRPCore.setPreemptHold`).
    public func setPreemptHold(group name: String, _ on: Bool) { _ = lock.withLock { core?.setPreemptHold(group: name, on) } }
    /// The group's gratuitous ARPs / unsolicited NAs again (Master only).
    public func announce(group name: String) { lock.withLock { core?.announce(group: name) } }

    /// The ports the instances track, and whether any tracks the fast path's workers: what a
    /// sampler must watch (nothing when both are empty).
    public var trackedPorts: Set<String> { Set(instances.flatMap { $0.track.ports.map(\.name) }) }
    public var tracksFastPath: Bool { instances.contains { $0.track.fastPath != nil } }

    /// A tracking sample (from the daemon's sampler): handed to the service's thread, which
    /// applies it at once. Only the latest sample counts.
    public func track(_ health: VRRPHealth) {
        guard thread != nil else { return }
        lock.withLock { pendingHealth = health }
        var one: UInt8 = 1
        _ = write(wake[1], &one, 1)
    }

    private func transitioned(_ event: VRRPTransitionEvent) {
        let name: String
        switch event.subject {
        case .instance(let n): name = n
        case .group(let n): name = "group \(n)"
        }
        logger.notice("vrrp \(name): \(event.from.rawValue) -> \(event.to.rawValue)\(event.reason.map { " (\($0.rawValue))" } ?? "")")
        for h in handlers { h(event) }
    }

    private func loop() {
        guard let io, let core else { return }
        var fds = io.sockets.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        fds.append(pollfd(fd: wake[0], events: Int16(POLLIN), revents: 0))
        while true {
            let (deadline, stop) = lock.withLock { (core.nextDeadline, stopping) }
            if stop { break }
            let now = Self.now()
            var timeout: Int32 = 1000
            if let d = deadline {
                timeout = d <= now ? 0 : Int32(min(1000, (d.nanoseconds - now.nanoseconds + 999_999) / 1_000_000))
            }
            let n = poll(&fds, nfds_t(fds.count), timeout)
            if n < 0 && errno != EINTR { logger.error("vrrp: poll: \(String(cString: strerror(errno)))"); break }
            if fds[fds.count - 1].revents & Int16(POLLIN) != 0 {
                var sink = [UInt8](repeating: 0, count: 64)
                _ = read(wake[0], &sink, sink.count)
            }
            let changes = lock.withLock { () -> [String] in
                defer { pendingHealth = nil }
                return pendingHealth.map { core.track($0, now: Self.now()) } ?? []
            }
            for c in changes { logger.notice("vrrp \(c)") }
            for (i, s) in io.sockets.enumerated() where fds[i].revents & Int16(POLLIN) != 0 {
                // Drain what is there, a bounded number per wakeup so timers stay on time.
                for _ in 0..<64 {
                    switch VRRPSockets.receive(fd: s.fd, v4: s.v4) {
                    case .none: break
                    case .malformed:
                        lock.withLock { core.countMalformedIP() }
                        continue
                    case .packet(let p):
                        lock.withLock {
                            core.received(p.payload, source: p.source, destination: p.destination, ttl: p.ttl,
                                          interface: s.interface, now: Self.now())
                        }
                        continue
                    }
                    break
                }
            }
            lock.withLock { core.tick(now: Self.now()) }
        }
        stopped.signal()
    }

    static func now() -> VRRPInstant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return VRRPInstant(nanoseconds: UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec))
    }
}

/// `VRRPIO` over the sockets and netlink.
final class SocketIO: VRRPIO {
    struct Socket { var interface: String; var v4: Bool; var fd: Int32; var index: Int32 }
    private(set) var sockets: [Socket] = []
    private var packet: [String: (fd: Int32, index: Int32, mac: [UInt8])] = [:]
    private let kernel: KernelConfigurator
    private let primaries: [String: IPAddress]
    private let logger: Logger

    init(instances: [VRRPInstanceSpec], primaries: [String: IPAddress], logger: Logger) throws {
        self.logger = logger
        self.primaries = primaries
        kernel = try KernelConfigurator()
        do {
            for spec in instances {
                let index = VRRPSockets.index(spec.interface)
                guard index > 0 else { throw VRRPSockets.Failure(what: "no interface \(spec.interface)", errno: ENODEV) }
                if !sockets.contains(where: { $0.interface == spec.interface && $0.v4 == spec.isIPv4 }) {
                    let fd = try VRRPSockets.openRaw(interface: spec.interface, index: index, source: primaries[spec.name]!)
                    sockets.append(Socket(interface: spec.interface, v4: spec.isIPv4, fd: fd, index: index))
                }
                if packet[spec.interface] == nil {
                    guard let mac = VRRPSockets.mac(spec.interface) else {
                        throw VRRPSockets.Failure(what: "no MAC address for \(spec.interface)", errno: ENODEV)
                    }
                    packet[spec.interface] = (try VRRPSockets.openPacket(index: index, interface: spec.interface), index, mac)
                }
            }
        } catch {
            close()
            throw error
        }
    }

    func close() {
        for s in sockets { Glibc.close(s.fd) }
        for p in packet.values { Glibc.close(p.fd) }
        sockets = []
        packet = [:]
    }

    func send(_ payload: [UInt8], instance: VRRPInstanceSpec, source: IPAddress, destination: IPAddress) -> Bool {
        guard let s = sockets.first(where: { $0.interface == instance.interface && $0.v4 == instance.isIPv4 }) else { return false }
        return VRRPSockets.send(fd: s.fd, payload, from: source, to: destination, index: s.index)
    }

    func announce(instance: VRRPInstanceSpec, count: Int) {
        guard let p = packet[instance.interface], let primary = primaries[instance.name] else { return }
        let frames = instance.addresses.map { prefix in
            prefix.address.isIPv4 ? VRRPFrames.gratuitousARP(mac: p.mac, address: prefix.address)
                : VRRPFrames.unsolicitedNA(mac: p.mac, source: primary, target: prefix.address)
        }
        for _ in 0..<count {
            for f in frames where !VRRPSockets.sendFrame(fd: p.fd, index: p.index, f) {
                logger.warning("vrrp \(instance.name): cannot send an announcement on \(instance.interface): \(String(cString: strerror(errno)))")
            }
        }
    }

    func setAddresses(instance: VRRPInstanceSpec, present: Bool) {
        for prefix in instance.addresses {
            do {
                if present {
                    try kernel.addAddress(ifname: instance.interface, prefix: prefix)
                } else {
                    try kernel.deleteAddress(ifname: instance.interface, prefix: prefix)
                }
            } catch {
                logger.error("vrrp \(instance.name): cannot \(present ? "add" : "remove") \(prefix) on \(instance.interface): \(error)")
            }
        }
    }
}
