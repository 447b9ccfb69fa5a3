import StraitCore
import StraitVRRP
import XCTest
@testable import StraitVRRPService

/// Records what a core asks of the world, and can deliver its advertisements to other cores
/// (a segment with TTL 255), so two cores elect a Master back to back in-process.
final class Wire: VRRPIO {
    var sent: [(payload: [UInt8], source: IPAddress, destination: IPAddress)] = []
    var announced: [(String, Int)] = []
    var addresses: [String: Bool] = [:]
    var peers: [VRRPCore] = []
    var now = VRRPInstant(nanoseconds: 0)
    var ttl = 255

    func send(_ payload: [UInt8], instance: VRRPInstanceSpec, source: IPAddress, destination: IPAddress) -> Bool {
        sent.append((payload, source, destination))
        for p in peers { p.received(payload, source: source, destination: destination, ttl: ttl, interface: instance.interface, now: now) }
        return true
    }
    func announce(instance: VRRPInstanceSpec, count: Int) { announced.append((instance.name, count)) }
    func setAddresses(instance: VRRPInstanceSpec, present: Bool) { addresses[instance.name] = present }
}

final class VRRPCoreTests: XCTestCase {
    func spec(_ name: String = "wan", vrid: UInt8 = 10, priority: UInt8, primary: String, interface: String = "wan01",
              addresses: [String] = ["203.0.113.100/24"]) -> VRRPInstanceSpec {
        VRRPInstanceSpec(name: name, interface: interface, vrid: vrid, priority: priority, advertInterval: Centiseconds(10),
                         addresses: addresses.map { IPPrefix($0)! }, primaryAddress: IPAddress(primary)!)
    }

    func ms(_ n: UInt64) -> VRRPInstant { VRRPInstant(nanoseconds: n * 1_000_000) }

    /// Runs both cores' timers in 10 ms steps up to `until`.
    func run(_ cores: [(VRRPCore, Wire)], from: UInt64, until: UInt64) {
        var t = from
        while t <= until {
            for (c, w) in cores { w.now = ms(t); for (_, o) in cores { o.now = ms(t) }; c.tick(now: ms(t)) }
            t += 10
        }
    }

    func pair(_ pa: UInt8, _ pb: UInt8) -> ((VRRPCore, Wire), (VRRPCore, Wire), [VRRPTransitionEvent]) {
        let wa = Wire(), wb = Wire()
        let a = VRRPCore(instances: [spec(priority: pa, primary: "203.0.113.1")], groups: [], primaries: [:], io: wa)
        let b = VRRPCore(instances: [spec(priority: pb, primary: "203.0.113.2")], groups: [], primaries: [:], io: wb)
        wa.peers = [b]
        wb.peers = [a]
        return ((a, wa), (b, wb), [])
    }

    func testHigherPriorityBecomesMasterAndTakesTheAddresses() {
        let ((a, wa), (b, wb), _) = pair(200, 100)
        var events: [VRRPTransitionEvent] = []
        b.onTransition = { events.append($0) }
        a.start(now: ms(0))
        b.start(now: ms(0))
        run([(a, wa), (b, wb)], from: 0, until: 1000)
        XCTAssertEqual(a.snapshot().instances[0].state, .master)
        XCTAssertEqual(b.snapshot().instances[0].state, .backup)
        XCTAssertEqual(b.snapshot().instances[0].masterAddress, IPAddress("203.0.113.1"))
        XCTAssertEqual(wa.addresses["wan"], true)
        XCTAssertNil(wb.addresses["wan"])
        XCTAssertEqual(wa.announced.first?.1, 5)
        XCTAssertEqual(wa.sent.last?.destination, IPAddress("224.0.0.18"))
        XCTAssertEqual(events.map(\.to), [.backup])
        XCTAssertGreaterThan(b.snapshot().instances[0].counters.advertisementsReceived, 5, "one every 100 ms")

        // The Master shuts down: priority 0, its addresses come off, the Backup takes over after the skew.
        a.shutdown(now: ms(1005))
        XCTAssertEqual(wa.addresses["wan"], false)
        XCTAssertEqual(b.snapshot().instances[0].counters.priorityZeroReceived, 1)
        wa.peers = []
        run([(b, wb)], from: 1010, until: 1100)
        XCTAssertEqual(b.snapshot().instances[0].state, .master, "skew of priority 100 at 100 ms is 60 ms")
        XCTAssertEqual(wb.addresses["wan"], true)
        XCTAssertEqual(events.last?.reason, .masterDown)
    }

    func testBadTTLAndMalformedAreCountedAndIgnored() {
        let ((a, wa), (b, wb), _) = pair(200, 100)
        a.start(now: ms(0))
        b.start(now: ms(0))
        wa.ttl = 64
        run([(a, wa), (b, wb)], from: 0, until: 1000)
        let s = b.snapshot().instances[0]
        XCTAssertEqual(s.state, .master, "advertisements with TTL 64 must not hold the Backup down")
        XCTAssertGreaterThan(s.drops[.badTTL] ?? 0, 5)
        XCTAssertEqual(s.counters.advertisementsReceived, 0)

        var good = VRRPAdvertisement(vrid: 10, priority: 250, maxAdvertInterval: 10, addresses: [IPAddress("203.0.113.100")!])
            .encode(source: IPAddress("203.0.113.9")!, destination: IPAddress("224.0.0.18")!)
        good[7] ^= 0xff
        b.received(good, source: IPAddress("203.0.113.9")!, destination: IPAddress("224.0.0.18")!, ttl: 255, interface: "wan01", now: ms(1010))
        b.received([0x31, 10, 1], source: IPAddress("203.0.113.9")!, destination: IPAddress("224.0.0.18")!, ttl: 255, interface: "wan01", now: ms(1010))
        b.received([0x31, 99, 1, 1, 0, 10, 0, 0], source: IPAddress("203.0.113.9")!, destination: IPAddress("224.0.0.18")!, ttl: 255,
                   interface: "wan01", now: ms(1010))
        let after = b.snapshot()
        XCTAssertEqual(after.instances[0].drops[.badChecksum], 1)
        XCTAssertEqual(after.instances[0].drops[.truncated], 1)
        XCTAssertEqual(after.drops[.unknownVRID], 1)
        XCTAssertEqual(after.instances[0].state, .master, "a bad packet with priority 250 must not demote the Master")
    }

    func testV2CompatibleChecksumIsWhatTheInstanceExpects() {
        var s = spec(priority: 100, primary: "203.0.113.2")
        s.checksum = .withoutPseudoHeaderForIPv4
        let c = VRRPCore(instances: [s], groups: [], primaries: [:], io: Wire())
        c.start(now: ms(0))
        let adv = VRRPAdvertisement(vrid: 10, priority: 200, maxAdvertInterval: 10, addresses: [IPAddress("203.0.113.100")!])
        let src = IPAddress("203.0.113.1")!, dst = IPAddress("224.0.0.18")!
        c.received(adv.encode(source: src, destination: dst), source: src, destination: dst, ttl: 255, interface: "wan01", now: ms(1))
        XCTAssertEqual(c.snapshot().instances[0].drops[.badChecksum], 1)
        c.received(adv.encode(source: src, destination: dst, mode: .withoutPseudoHeaderForIPv4), source: src, destination: dst,
                   ttl: 255, interface: "wan01", now: ms(2))
        XCTAssertEqual(c.snapshot().instances[0].counters.advertisementsReceived, 1)
    }

    func testAGroupMovesTogetherAndReportsItsTransition() {
        let w = Wire()
        let c = VRRPCore(instances: [spec("wan", priority: 100, primary: "203.0.113.2"),
                                     spec("lan", priority: 100, primary: "10.1.0.2", interface: "lan01", addresses: ["10.1.0.100/24"])],
                         groups: [VRRPGroupSpec(name: "vpnc", instances: ["wan", "lan"])], primaries: [:], io: w)
        var events: [VRRPTransitionEvent] = []
        c.onTransition = { events.append($0) }
        c.start(now: ms(0))
        // The WAN side hears a Master; the LAN side hears nobody: the group must not split.
        let src = IPAddress("203.0.113.1")!, dst = IPAddress("224.0.0.18")!
        let adv = VRRPAdvertisement(vrid: 10, priority: 200, maxAdvertInterval: 10, addresses: [IPAddress("203.0.113.100")!])
        var t: UInt64 = 0
        while t < 1000 {
            c.received(adv.encode(source: src, destination: dst), source: src, destination: dst, ttl: 255, interface: "wan01", now: ms(t))
            c.tick(now: ms(t))
            t += 10
        }
        let s = c.snapshot()
        XCTAssertEqual(s.groups.first?.state, .backup)
        XCTAssertEqual(s.instances.map(\.state), [.backup, .backup])
        XCTAssertNotEqual(w.addresses["lan"], true, "the LAN address must not sit on the node whose WAN is Backup")
        XCTAssertTrue(events.contains { $0.subject == .group("vpnc") && $0.to == .backup })
        // The WAN Master goes away: both members become Master together.
        while t < 2000 { c.tick(now: ms(t)); t += 10 }
        XCTAssertEqual(c.snapshot().instances.map(\.state), [.master, .master])
        XCTAssertEqual(c.snapshot().groups.first?.state, .master)
        XCTAssertEqual(w.addresses, ["wan": true, "lan": true])
    }
}
