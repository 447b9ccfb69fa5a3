import StraitCore
@testable import StraitVRRP
import XCTest

/// Groups move together; two nodes' groups, wired back to back, elect one node and fail over.
final class VRRPGroupTests: XCTestCase {
    private func at(_ cs: UInt32) -> VRRPInstant { VRRPInstant(nanoseconds: 0) + Centiseconds(cs) }

    private func node(_ last: UInt8, priority: UInt8, preempt: Bool = true) -> VRRPGroup {
        let wan = VRRPRouter(settings: VRRPRouterSettings(vrid: 1, priority: priority, advertInterval: Centiseconds(10),
                                                          preempt: preempt, primaryAddress: IPAddress("192.0.2.\(last)")!,
                                                          addresses: [IPAddress("192.0.2.100")!]))
        let lan = VRRPRouter(settings: VRRPRouterSettings(vrid: 2, priority: priority, advertInterval: Centiseconds(10),
                                                          preempt: preempt, primaryAddress: IPAddress("10.0.0.\(last)")!,
                                                          addresses: [IPAddress("10.0.0.1")!]))
        return VRRPGroup(name: "vrrp-ha", members: [wan, lan])
    }

    /// Two nodes whose members hear each other per member unless that link is cut.
    private struct Pair {
        var a: VRRPGroup, b: VRRPGroup
        var aAlive = true, bAlive = true
        var cut: Set<Int> = []          // members whose link is down
        var transitions: [(UInt32, String, VRRPState)] = []

        mutating func step(_ t: UInt32, _ now: VRRPInstant) {
            var toB: [(Int, VRRPAdvertisement, IPAddress)] = [], toA: [(Int, VRRPAdvertisement, IPAddress)] = []
            if aAlive { collect(a.tick(now: now), from: a, into: &toB, t, "a") }
            if bAlive { collect(b.tick(now: now), from: b, into: &toA, t, "b") }
            // Delivery in the same centisecond; replies go out in the next step's tick or here.
            for (m, adv, src) in toB where bAlive && !cut.contains(m) {
                var out: [(Int, VRRPAdvertisement, IPAddress)] = []
                collect(b.received(adv, from: src, member: m, now: now), from: b, into: &out, t, "b")
                for (m2, adv2, src2) in out where aAlive && !cut.contains(m2) {
                    var ignored: [(Int, VRRPAdvertisement, IPAddress)] = []
                    collect(a.received(adv2, from: src2, member: m2, now: now), from: a, into: &ignored, t, "a")
                }
            }
            for (m, adv, src) in toA where aAlive && !cut.contains(m) {
                var out: [(Int, VRRPAdvertisement, IPAddress)] = []
                collect(a.received(adv, from: src, member: m, now: now), from: a, into: &out, t, "a")
                for (m2, adv2, src2) in out where bAlive && !cut.contains(m2) {
                    var ignored: [(Int, VRRPAdvertisement, IPAddress)] = []
                    collect(b.received(adv2, from: src2, member: m2, now: now), from: b, into: &ignored, t, "b")
                }
            }
        }

        mutating func collect(_ o: VRRPGroup.Output, from g: VRRPGroup, into: inout [(Int, VRRPAdvertisement, IPAddress)],
                              _ t: UInt32, _ name: String) {
            for ma in o.actions {
                if case .send(let adv) = ma.action { into.append((ma.member, adv, g.members[ma.member].settings.primaryAddress)) }
            }
            if let tr = o.transition { transitions.append((t, name, tr.to)) }
        }
    }

    private func run(_ p: inout Pair, _ from: UInt32, _ to: UInt32) {
        for t in from...to { p.step(t, at(t)) }
    }

    func testTheHigherPriorityNodeHoldsBothAddressesAndTheOtherTakesOverWhenItDies() {
        var p = Pair(a: node(1, priority: 200), b: node(2, priority: 100))
        _ = p.a.start(now: at(0))
        _ = p.b.start(now: at(0))
        run(&p, 1, 200)
        XCTAssertEqual(p.a.state, .master)
        XCTAssertEqual(p.b.state, .backup)
        XCTAssertTrue(p.a.members.allSatisfy { $0.state == .master })
        XCTAssertTrue(p.b.members.allSatisfy { $0.state == .backup })

        p.aAlive = false      // kill -9: no priority 0
        p.transitions = []
        run(&p, 201, 400)
        XCTAssertEqual(p.b.state, .master)
        let took = p.transitions.first { $0.1 == "b" && $0.2 == .master }?.0
        // Last advert heard at 200 (interval 10); master down for 100: 30 + skew 6 = 36 cs.
        XCTAssertNotNil(took)
        XCTAssertLessThanOrEqual(took ?? 999, 200 + 36 + 1)
    }

    func testOneMemberBeatenPutsTheWholeNodeInBackupUntilThatMemberWinsAgain() {
        var g = node(9, priority: 100)
        _ = g.start(now: at(0))
        for t in 1...100 { _ = g.tick(now: at(UInt32(t))) }
        XCTAssertEqual(g.state, .master)
        let wanPeer = IPAddress("192.0.2.2")!, lanPeer = IPAddress("10.0.0.2")!
        func adv(_ vrid: UInt8, _ prio: UInt8) -> VRRPAdvertisement {
            VRRPAdvertisement(vrid: vrid, priority: prio, maxAdvertInterval: 10,
                              addresses: [IPAddress(vrid == 1 ? "192.0.2.100" : "10.0.0.1")!])
        }
        // The WAN member hears a better master; the LAN member would still win its own election.
        let out = g.received(adv(1, 150), from: wanPeer, member: 0, now: at(101))
        XCTAssertEqual(g.state, .backup)
        XCTAssertTrue(g.members.allSatisfy { $0.state == .backup })
        XCTAssertTrue(out.actions.contains(.init(member: 1, action: .send(adv(2, 0)))), "the LAN member resigns at once")
        XCTAssertEqual(out.transition?.to, .backup)
        // The other node's LAN member (lower priority) advertises: ours does not preempt it,
        // because the WAN member keeps hearing the better master.
        for t in stride(from: UInt32(105), through: 1000, by: 10) {
            _ = g.received(adv(1, 150), from: wanPeer, member: 0, now: at(t))
            _ = g.received(adv(2, 50), from: lanPeer, member: 1, now: at(t))
            for u in t...(t + 9) { XCTAssertNil(g.tick(now: at(u)).transition, "no flapping at \(u)") }
        }
        XCTAssertEqual(g.state, .backup)
        // The better WAN master goes quiet: the WAN member takes over and the LAN member follows.
        var back: UInt32?
        for t in UInt32(1010)...1100 where back == nil {
            _ = g.received(adv(2, 50), from: lanPeer, member: 1, now: at(t))
            if g.tick(now: at(t)).transition?.to == .master { back = t }
        }
        XCTAssertNotNil(back)
        XCTAssertTrue(g.members.allSatisfy { $0.state == .master })
    }

    func testAFaultyMemberTakesTheGroupOutAndTheOtherNodeOver() {
        var p = Pair(a: node(1, priority: 200), b: node(2, priority: 100))
        _ = p.a.start(now: at(0))
        _ = p.b.start(now: at(0))
        run(&p, 1, 100)
        XCTAssertEqual(p.a.state, .master)
        var out: [(Int, VRRPAdvertisement, IPAddress)] = []
        p.collect(p.a.setFault(true, member: 1, now: at(101)), from: p.a, into: &out, 101, "a")
        XCTAssertEqual(p.a.state, .fault)
        XCTAssertTrue(out.contains { $0.1.priority == 0 }, "the members that were Master resign")
        for (m, adv, src) in out { _ = p.b.received(adv, from: src, member: m, now: at(101)) }
        run(&p, 102, 200)
        XCTAssertEqual(p.b.state, .master)
        XCTAssertNotEqual(p.a.state, .master)
    }
}
