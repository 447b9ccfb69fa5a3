#if os(Linux)
import XCTest
import Glibc
import Logging
import StraitCore
@testable import StraitNetlink

/// Against the real kernel, inside a private network namespace (the host is never touched).
/// Needs root; skipped otherwise.
final class LiveNetlinkTests: XCTestCase {
    private func P(_ s: String) -> IPPrefix { IPPrefix(s)! }
    private func A(_ s: String) -> IPAddress { IPAddress(s)! }

    private func makeNamespace() throws -> NetnsHarness {
        guard getuid() == 0 else { throw XCTSkip("live netlink tests need root to create a network namespace") }
        let ns: NetnsHarness
        // As root a namespace can always be made: failing to is a failure, not a skip.
        ns = try NetnsHarness()
        // A veth pair: available everywhere the dummy module may not be.
        try ns.ip("link add d0 type veth peer name d0p")
        try ns.ip("link set d0p up")
        return ns
    }

    func testConfiguratorAndSyncAgainstTheKernel() throws {
        let ns = try makeNamespace()
        defer { ns.destroy() }

        // KernelConfigurator: link up, MTU, addresses, routes.
        let kernel = try ns.inside { try KernelConfigurator() }
        try kernel.setLinkUp(ifname: "d0")
        try kernel.setMTU(ifname: "d0", mtu: 1400)
        try kernel.addAddress(ifname: "d0", prefix: P("10.99.0.1/24"))
        try kernel.addAddress(ifname: "d0", prefix: P("10.99.0.1/24"))   // EEXIST is fine
        try kernel.addAddress(ifname: "d0", prefix: P("2001:db8:99::1/64"))
        try kernel.addRoute(prefix: P("10.50.0.0/16"), via: A("10.99.0.2"), ifname: "d0")
        try kernel.addRoute(prefix: P("10.50.0.0/16"), via: A("10.99.0.3"), ifname: "d0")   // replace
        let link = try ns.ip("-o link show d0")
        XCTAssertTrue(link.contains("mtu 1400"), link)
        XCTAssertTrue(link.contains(",UP"), link)
        XCTAssertTrue(try ns.ip("-o addr show dev d0").contains("10.99.0.1/24"))
        XCTAssertEqual(try ns.ip("route show 10.50.0.0/16").trimmingCharacters(in: .whitespacesAndNewlines),
                       "10.50.0.0/16 via 10.99.0.3 dev d0 proto static")

        // A gateway that is not on any connected network: a clear error naming the route and the errno.
        XCTAssertThrowsError(try kernel.addRoute(prefix: P("10.60.0.0/16"), via: A("203.0.113.1"), ifname: "d0")) { error in
            let e = error as? NetlinkError
            XCTAssertEqual(e?.errno, ENETUNREACH)
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("add route 10.60.0.0/16 via 203.0.113.1 dev d0: Network is unreachable (errno 101)"), text)
        }
        XCTAssertThrowsError(try kernel.setLinkUp(ifname: "nosuch0")) { error in
            XCTAssertEqual(error as? NetlinkError, .noSuchInterface("nosuch0"))
        }

        // NetlinkSync: the initial dump sees what was configured before start().
        let log = OperationLog()
        try ns.ip("link add d1 type veth peer name d1p")
        try ns.ip("link set d1p up")
        try kernel.setLinkUp(ifname: "d1")
        try kernel.addAddress(ifname: "d1", prefix: P("10.98.0.1/24"))
        let sync = NetlinkSync(mirrors: ["d0": 7, "d1": 8], sink: log.append, logger: Logger(label: "test.netlink"))
        try ns.inside { try sync.start() }
        defer { sync.stop() }
        XCTAssertTrue(log.contains(.addRoute(P("10.99.0.1/32"), .local(port: 7))), "\(log.all)")
        XCTAssertTrue(log.contains(.addRoute(P("10.99.0.0/24"), .connected(port: 7))), "\(log.all)")
        XCTAssertTrue(log.contains(.addRoute(P("10.50.0.0/16"), .gateway(A("10.99.0.3"), port: 7))), "\(log.all)")
        XCTAssertFalse(log.all.contains { if case .addRoute(let p, _) = $0 { return p.description.hasPrefix("fe80") } else { return false } })
        XCTAssertEqual(sync.routes[P("10.50.0.0/16")], .gateway(A("10.99.0.3"), port: 7))

        // Incremental: `ip route add` reaches the sink within 1 s, `ip route del` removes it.
        try ns.ip("route add 10.70.0.0/16 via 10.99.0.4 dev d0")
        XCTAssertTrue(eventually(within: 1) { log.contains(.addRoute(P("10.70.0.0/16"), .gateway(A("10.99.0.4"), port: 7))) },
                      "\(log.all)")
        try ns.ip("route del 10.70.0.0/16")
        XCTAssertTrue(eventually(within: 1) { log.contains(.deleteRoute(P("10.70.0.0/16"))) }, "\(log.all)")

        // Metrics: the better route wins, the other takes over when it goes.
        try ns.ip("route add 10.80.0.0/16 via 10.99.0.5 dev d0 metric 100")
        try ns.ip("route add 10.80.0.0/16 via 10.99.0.6 dev d0 metric 10")
        XCTAssertTrue(eventually(within: 1) { sync.routes[P("10.80.0.0/16")] == .gateway(A("10.99.0.6"), port: 7) })
        try ns.ip("route del 10.80.0.0/16 metric 10")
        XCTAssertTrue(eventually(within: 1) { sync.routes[P("10.80.0.0/16")] == .gateway(A("10.99.0.5"), port: 7) })

        // Neighbours.
        try ns.ip("neigh add 10.99.0.5 lladdr 02:00:00:00:00:05 dev d0 nud permanent")
        XCTAssertTrue(eventually(within: 1) {
            log.contains(.addNeighbor(port: 7, address: A("10.99.0.5"), mac: MACAddress("02:00:00:00:00:05")!))
        }, "\(log.all)")
        try ns.ip("neigh del 10.99.0.5 dev d0")
        XCTAssertTrue(eventually(within: 1) { log.contains(.deleteNeighbor(port: 7, address: A("10.99.0.5"))) })

        // KernelConfigurator's delete is seen too.
        try kernel.deleteRoute(prefix: P("10.50.0.0/16"))
        try kernel.deleteRoute(prefix: P("10.50.0.0/16"))   // already gone: fine
        XCTAssertTrue(eventually(within: 1) { log.contains(.deleteRoute(P("10.50.0.0/16"))) })

        // Link down: the kernel flushes IPv4 routes and kills multipath next hops without telling;
        // the mirror follows, and gets the next hop back when the link comes up.
        try ns.ip("route add 10.90.0.0/16 nexthop via 10.99.0.7 dev d0 nexthop via 10.98.0.7 dev d1")
        XCTAssertTrue(eventually(within: 1) { sync.routes[P("10.90.0.0/16")] == .gateway(A("10.99.0.7"), port: 7) }, "\(sync.routes)")
        try ns.ip("link set d0 down")
        XCTAssertTrue(eventually(within: 1) { sync.routes[P("10.80.0.0/16")] == nil && sync.routes[P("10.99.0.0/24")] == nil },
                      "\(sync.routes)")
        XCTAssertEqual(sync.routes[P("10.90.0.0/16")], .gateway(A("10.98.0.7"), port: 8))
        try ns.ip("link set d0 up")
        XCTAssertTrue(eventually(within: 1) { sync.routes[P("10.99.0.0/24")] == .connected(port: 7) }, "\(sync.routes)")
        XCTAssertEqual(sync.routes[P("10.90.0.0/16")], .gateway(A("10.99.0.7"), port: 7))

        // A resync that finds everything in place emits nothing: the incremental view matched the kernel.
        let before = log.count
        sync.requestResync()
        XCTAssertTrue(eventually(within: 2) { sync.counters.resyncs == 1 })
        XCTAssertEqual(log.count, before, "\(log.all.suffix(log.count - before))")
        XCTAssertGreaterThan(sync.counters.events, 0)

        sync.stop()
        XCTAssertEqual(sync.counters.errors, 0)
    }

    /// Bursts larger than a tiny receive buffer: notifications are lost (ENOBUFS) and resyncs have to
    /// bring the mirror to the kernel's state anyway. The second wave arrives while the listener is
    /// held inside its first resync's delivery: the kernel reports that loss only if the listener
    /// emptied its queue after the first ENOBUFS, so this fails if it does not drain.
    func testBurstsConvergeThroughResync() throws {
        let ns = try makeNamespace()
        defer { ns.destroy() }
        try ns.ip("link set d0 up")
        try ns.ip("addr add 10.99.0.1/24 dev d0")

        let log = OperationLog()
        let gate = ResyncGate()
        let sync = NetlinkSync(mirrors: ["d0": 3], sink: { ops in gate.pass(); usleep(2000); log.append(ops) },
                               logger: Logger(label: "test.netlink"), receiveBufferSize: 4096)
        try ns.inside { try sync.start() }
        defer { gate.open(); sync.stop() }
        gate.arm { sync.counters.resyncs >= 1 }

        func wave(_ range: Range<Int>) throws {
            let batch = range.map { "route add 10.\(100 + $0 / 256).\($0 % 256).0/24 via 10.99.0.2 dev d0" }.joined(separator: "\n")
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("strait-nltest-\(getpid())-\(range.lowerBound).batch")
            try batch.write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            try ns.ip("-batch \(file.path)")
        }
        try wave(0..<2000)
        XCTAssertTrue(gate.waitUntilHeld(seconds: 10), "no resync after a 2000-route burst into a 4 KiB buffer: \(sync.counters)")
        try wave(2000..<2500)
        gate.open()

        let expected = 2500
        XCTAssertTrue(eventually(within: 10) {
            sync.routes.keys.filter { $0.length == 24 && $0.description.hasPrefix("10.1") }.count == expected
        }, "routes: \(sync.routes.count), counters: \(sync.counters)")
        // The second wave was only seen through a second resync (the counter follows the routes closely).
        XCTAssertTrue(eventually(within: 2) { sync.counters.resyncs >= 2 }, "\(sync.counters)")
    }
}

/// Holds the sink once, on the first batch delivered after `condition` holds, until `open()`.
private final class ResyncGate: @unchecked Sendable {
    private let lock = NSLock()
    private var condition: (() -> Bool)?
    private var used = false
    private let held = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)
    private var isOpen = false

    func arm(_ condition: @escaping () -> Bool) { lock.withLock { self.condition = condition } }

    func pass() {
        let hold = lock.withLock { () -> Bool in
            guard !used, !isOpen, let condition, condition() else { return false }
            used = true
            return true
        }
        guard hold else { return }
        held.signal()
        _ = released.wait(timeout: .now() + 20)
    }

    func waitUntilHeld(seconds: Double) -> Bool { held.wait(timeout: .now() + seconds) == .success }

    func open() {
        let wasOpen = lock.withLock { () -> Bool in defer { isOpen = true }; return isOpen }
        if !wasOpen { released.signal() }
    }
}
#endif
