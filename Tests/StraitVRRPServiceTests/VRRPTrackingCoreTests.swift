import StraitCore
import StraitVRRP
import XCTest
@testable import StraitVRRPService

/// Tracking, startup delay and unicast peers through the core, two cores back to back on a
/// manual clock (the Wire of VRRPCoreTests).
extension VRRPCoreTests {
    func pair(_ a: VRRPInstanceSpec, _ b: VRRPInstanceSpec) -> ((VRRPCore, Wire), (VRRPCore, Wire)) {
        let wa = Wire(), wb = Wire()
        let ca = VRRPCore(instances: [a], groups: [], primaries: [:], io: wa)
        let cb = VRRPCore(instances: [b], groups: [], primaries: [:], io: wb)
        wa.peers = [cb]
        wb.peers = [ca]
        return ((ca, wa), (cb, wb))
    }

    func state(_ c: VRRPCore) -> VRRPState { c.snapshot().instances[0].state }

    func testAPortDownPutsTheMasterInFaultAndTheBackupTakesOverThenItComesBack() {
        var sa = spec(priority: 200, primary: "203.0.113.1")
        sa.track = VRRPTrackSettings(ports: [.init(name: "wan01")])
        let ((a, wa), (b, wb)) = pair(sa, spec(priority: 100, primary: "203.0.113.2"))
        a.start(now: ms(0)); b.start(now: ms(0))
        run([(a, wa), (b, wb)], from: 0, until: 1000)
        XCTAssertEqual([state(a), state(b)], [.master, .backup])

        let changes = a.track(VRRPHealth(portsDown: ["wan01"]), now: ms(1005))
        XCTAssertEqual(changes, ["wan: tracking: port wan01 down (fault)"])
        XCTAssertEqual(state(a), .fault)
        XCTAssertEqual(wa.addresses["wan"], false, "a Master in Fault gives its addresses up at once")
        XCTAssertEqual(b.snapshot().instances[0].counters.priorityZeroReceived, 1, "and resigns with priority 0")
        run([(a, wa), (b, wb)], from: 1010, until: 1100)
        XCTAssertEqual(state(b), .master, "the Backup takes over after its skew (60 ms), not master-down")
        XCTAssertEqual(a.snapshot().instances[0].tracking, ["port wan01 down"])

        // Nothing else the same sample says changes anything.
        XCTAssertEqual(a.track(VRRPHealth(portsDown: ["wan01", "lan01"]), now: ms(1105)), [])
        _ = a.track(VRRPHealth(), now: ms(1110))
        XCTAssertEqual(state(a), .backup, "out of Fault: a Backup first")
        run([(a, wa), (b, wb)], from: 1110, until: 2000)
        XCTAssertEqual([state(a), state(b)], [.master, .backup], "priority 200 preempts again")
        XCTAssertEqual(a.snapshot().instances[0].tracking, [])
    }

    func testAWeightLowersTheMastersPriorityAndABetterBackupPreempts() {
        var sa = spec(priority: 200, primary: "203.0.113.1")
        sa.track = VRRPTrackSettings(fastPath: .weight(-150))
        let ((a, wa), (b, wb)) = pair(sa, spec(priority: 100, primary: "203.0.113.2"))
        a.start(now: ms(0)); b.start(now: ms(0))
        run([(a, wa), (b, wb)], from: 0, until: 1000)
        XCTAssertEqual(state(a), .master)
        let sentBefore = wa.sent.count
        _ = a.track(VRRPHealth(stuckWorkers: [1]), now: ms(1005))
        XCTAssertEqual(a.snapshot().instances[0].priority, 50)
        XCTAssertEqual(wa.sent.count, sentBefore + 1, "the new priority is advertised at once")
        run([(a, wa), (b, wb)], from: 1010, until: 1500)
        XCTAssertEqual([state(a), state(b)], [.backup, .master], "priority 100 preempts priority 50")
        _ = a.track(VRRPHealth(), now: ms(1505))
        XCTAssertEqual(a.snapshot().instances[0].priority, 200)
        run([(a, wa), (b, wb)], from: 1510, until: 2500)
        XCTAssertEqual([state(a), state(b)], [.master, .backup])
    }

    func testOneGroupMemberInFaultMovesTheWholeGroup() {
        let w = Wire()
        var lan = spec("lan", priority: 100, primary: "10.1.0.2", interface: "lan01", addresses: ["10.1.0.100/24"])
        lan.track = VRRPTrackSettings(ports: [.init(name: "lan01")])
        let c = VRRPCore(instances: [spec("wan", priority: 100, primary: "203.0.113.2"), lan],
                         groups: [VRRPGroupSpec(name: "vpnc", instances: ["wan", "lan"])], primaries: [:], io: w)
        c.start(now: ms(0))
        var t: UInt64 = 0
        while t < 1000 { c.tick(now: ms(t)); t += 10 }
        XCTAssertEqual(c.snapshot().groups.first?.state, .master)
        c.track(VRRPHealth(portsDown: ["lan01"]), now: ms(t))
        let s = c.snapshot()
        XCTAssertEqual(s.instances.map(\.state), [.fault, .fault], "keepalived's sync group rule: one in Fault, all in Fault")
        XCTAssertEqual(s.groups.first?.state, .fault)
        XCTAssertEqual(w.addresses, ["wan": false, "lan": false], "the WAN address leaves with the LAN one")
        while t < 3000 { c.tick(now: ms(t)); t += 10 }
        XCTAssertEqual(c.snapshot().instances.map(\.state), [.fault, .fault], "the healthy member must not take the WAN alone")
        XCTAssertEqual(w.addresses["wan"], false)
        c.track(VRRPHealth(), now: ms(t))
        while t < 4000 { c.tick(now: ms(t)); t += 10 }
        XCTAssertEqual(c.snapshot().groups.first?.state, .master)
    }

    func testUnicastPeersGetEveryAdvertisementAndOnlyPeersAreHeard() {
        var s = spec(priority: 200, primary: "203.0.113.1")
        s.unicastPeers = [IPAddress("203.0.113.2")!, IPAddress("203.0.113.3")!]
        let w = Wire()
        let c = VRRPCore(instances: [s], groups: [], primaries: [:], io: w)
        c.start(now: ms(0))
        var t: UInt64 = 0
        while t < 1000 { c.tick(now: ms(t)); t += 10 }
        let destinations = w.sent.map(\.destination.description)
        XCTAssertGreaterThan(destinations.count, 10)
        XCTAssertEqual(Set(destinations), ["203.0.113.2", "203.0.113.3"])
        XCTAssertEqual(destinations.filter { $0 == "203.0.113.2" }.count, destinations.filter { $0 == "203.0.113.3" }.count)

        let adv = VRRPAdvertisement(vrid: 10, priority: 250, maxAdvertInterval: 10, addresses: [IPAddress("203.0.113.100")!])
        let stranger = IPAddress("203.0.113.9")!, me = IPAddress("203.0.113.1")!, peer = IPAddress("203.0.113.2")!
        c.received(adv.encode(source: stranger, destination: me), source: stranger, destination: me, ttl: 255, interface: "wan01", now: ms(t))
        XCTAssertEqual(c.snapshot().instances[0].drops[.unknownPeer], 1)
        XCTAssertEqual(state(c), .master, "a stranger's priority 250 changes nothing")
        c.received(adv.encode(source: peer, destination: me), source: peer, destination: me, ttl: 255, interface: "wan01", now: ms(t))
        XCTAssertEqual(state(c), .backup, "a peer's priority 250 does")
    }

    func testStartupDelayKeepsANodeFromTakingOverBeforeItEnds() {
        var s = spec(priority: 200, primary: "203.0.113.1")
        s.startupDelay = Centiseconds(200)
        let w = Wire()
        let c = VRRPCore(instances: [s], groups: [], primaries: [:], io: w)
        c.start(now: ms(0))
        var t: UInt64 = 0
        while t < 1990 { c.tick(now: ms(t)); t += 10 }
        XCTAssertEqual(state(c), .backup, "master-down (330 ms) is long past, the 2 s startup delay is not")
        while t <= 2000 { c.tick(now: ms(t)); t += 10 }
        XCTAssertEqual(state(c), .master)
    }
}
