import StraitCore
@testable import StraitVRRP
import XCTest

/// The RFC 5798 6.4 state machine on a manual clock.
final class VRRPRouterTests: XCTestCase {
    private let me = IPAddress("192.0.2.10")!, peerHigh = IPAddress("192.0.2.20")!, peerLow = IPAddress("192.0.2.5")!
    private let vip = [IPAddress("192.0.2.100")!]

    private func at(_ cs: UInt32) -> VRRPInstant { VRRPInstant(nanoseconds: 0) + Centiseconds(cs) }

    private func router(priority: UInt8 = 100, preempt: Bool = true, delay: UInt32 = 0, interval: UInt32 = 100) -> VRRPRouter {
        VRRPRouter(settings: VRRPRouterSettings(vrid: 1, priority: priority, advertInterval: Centiseconds(interval),
                                                preempt: preempt, preemptDelay: Centiseconds(delay), primaryAddress: me,
                                                addresses: vip, announceCount: 3, announceRefresh: Centiseconds(500)))
    }

    private func adv(_ priority: UInt8, interval: UInt16 = 100) -> VRRPAdvertisement {
        VRRPAdvertisement(vrid: 1, priority: priority, maxAdvertInterval: interval, addresses: vip)
    }

    private func sent(_ actions: [VRRPAction]) -> [UInt8] {
        actions.compactMap { if case .send(let a) = $0 { return a.priority } else { return nil } }
    }

    private func became(_ actions: [VRRPAction]) -> VRRPState? {
        actions.compactMap { if case .transition(_, let to, _) = $0 { return to } else { return nil } }.last
    }

    /// Ticks every centisecond from `from` to `to` (inclusive); returns the actions with their times.
    private func run(_ r: inout VRRPRouter, from: UInt32, to: UInt32) -> [(UInt32, VRRPAction)] {
        var out: [(UInt32, VRRPAction)] = []
        for t in from...to { out += r.tick(now: at(t)).map { (t, $0) } }
        return out
    }

    func testABackupTakesOverAfterTheMasterDownIntervalThenAdvertisesEveryInterval() {
        var r = router()
        XCTAssertEqual(became(r.start(now: at(0))), .backup)
        XCTAssertEqual(r.nextDeadline, at(360), "3 x 100 cs + skew 60 cs")
        let acts = run(&r, from: 1, to: 700)
        let takeover = acts.first { if case .transition(_, .master, .masterDown) = $0.1 { return true } else { return false } }
        XCTAssertEqual(takeover?.0, 360)
        XCTAssertEqual(acts.filter { if case .send = $0.1 { return true } else { return false } }.map(\.0), [360, 460, 560, 660])
        XCTAssertTrue(acts.contains { $0.0 == 360 && $0.1 == .announce(count: 3) })
        let refresh = run(&r, from: 701, to: 900).filter { $0.1 == .announce(count: 3) }.map(\.0)
        XCTAssertEqual(refresh, [860], "the second round of announcements, 5 s after takeover")
    }

    func testTheAddressOwnerIsMasterAtOnce() {
        var r = router(priority: 255)
        let a = r.start(now: at(0))
        XCTAssertEqual(became(a), .master)
        XCTAssertEqual(sent(a), [255])
        XCTAssertTrue(a.contains(.announce(count: 3)))
    }

    func testAdvertisementsFromABetterMasterKeepABackupDown() {
        var r = router()
        _ = r.start(now: at(0))
        for t in stride(from: UInt32(100), through: 2000, by: 100) {
            XCTAssertTrue(r.received(adv(200), from: peerHigh, now: at(t)).isEmpty)
            XCTAssertNil(became(r.tick(now: at(t + 99))))
        }
        XCTAssertEqual(r.state, .backup)
        XCTAssertEqual(r.masterAddress, peerHigh)
        XCTAssertEqual(became(run(&r, from: 2001, to: 2360).map(\.1)), .master, "silence for master-down: takeover")
    }

    func testPreemptTakesOverFromALowerPriorityMasterAndWithoutPreemptItDoesNot() {
        var p = router(priority: 200)
        _ = p.start(now: at(0))
        var q = router(priority: 200, preempt: false)
        _ = q.start(now: at(0))
        var pTook: UInt32?
        for t in stride(from: UInt32(50), through: 1050, by: 100) {
            _ = p.received(adv(100), from: peerLow, now: at(t))
            _ = q.received(adv(100), from: peerLow, now: at(t))
            for u in t...(t + 99) where pTook == nil && became(p.tick(now: at(u))) == .master { pTook = u }
            _ = run(&q, from: t, to: t + 99)
        }
        XCTAssertEqual(pTook, 321, "master down for priority 200: 300 + skew 21")
        XCTAssertEqual(p.counters.lowerPriorityIgnored, 3)
        XCTAssertEqual(q.state, .backup, "no preempt: a lower-priority master stays")
    }

    func testPreemptDelayLeavesALowerPriorityMasterAloneForAWhile() {
        var r = router(priority: 200, delay: 1000)
        _ = r.start(now: at(0))
        var took: UInt32?
        for t in stride(from: UInt32(50), through: 2050, by: 100) {
            _ = r.received(adv(100), from: peerLow, now: at(t))
            for u in t...(t + 99) where took == nil && became(r.tick(now: at(u))) == .master { took = u }
        }
        // Adverts are honoured up to t=1000; the first one ignored is at 1050; down 321 after 950.
        XCTAssertEqual(took, 950 + 321)
    }

    func testAnHAHoldActsLikePreemptOff() {
        var r = router(priority: 200)
        r.preemptHold = true
        _ = r.start(now: at(0))
        for t in stride(from: UInt32(50), through: 2050, by: 100) {
            _ = r.received(adv(100), from: peerLow, now: at(t))
            XCTAssertNil(became(run(&r, from: t, to: t + 99).map(\.1)))
        }
        r.preemptHold = false
        _ = r.received(adv(100), from: peerLow, now: at(2150))
        XCTAssertEqual(became(run(&r, from: 2151, to: 2600).map(\.1)), .master)
    }

    func testAMasterStepsDownForHigherPriorityAndForAnEqualOneFromAHigherAddress() {
        var r = router(priority: 255)
        _ = r.start(now: at(0))
        XCTAssertTrue(r.received(adv(200), from: peerHigh, now: at(10)).isEmpty, "the owner stays")

        var m = router(priority: 100)
        _ = m.start(now: at(0))
        _ = run(&m, from: 1, to: 400)
        XCTAssertEqual(m.state, .master)
        XCTAssertTrue(m.received(adv(100), from: peerLow, now: at(401)).isEmpty, "equal priority, lower address: ignored")
        XCTAssertTrue(m.received(adv(99), from: peerHigh, now: at(402)).isEmpty, "lower priority: ignored")
        let down = m.received(adv(100, interval: 50), from: peerHigh, now: at(403))
        XCTAssertEqual(down, [.transition(from: .master, to: .backup, reason: .tieBreak)])
        XCTAssertEqual(m.masterAdvertInterval, Centiseconds(50), "the new master's interval is learnt")
        XCTAssertEqual(m.nextDeadline, at(403 + 150 + 30), "3 x 50 + skew (156 x 50 / 256 = 30)")

        var n = router(priority: 100)
        _ = n.start(now: at(0))
        _ = run(&n, from: 1, to: 400)
        XCTAssertEqual(became(n.received(adv(101), from: peerLow, now: at(401))), .backup)
    }

    func testPriorityZeroMakesTheBackupTakeOverAfterOnlyTheSkew() {
        var r = router(priority: 200)
        _ = r.start(now: at(0))
        _ = r.received(adv(250), from: peerHigh, now: at(100))
        _ = r.received(adv(0), from: peerHigh, now: at(150))
        XCTAssertEqual(r.nextDeadline, at(150 + 21))
        XCTAssertEqual(became(run(&r, from: 151, to: 171).map(\.1)), .master)
    }

    func testAMasterHearingPriorityZeroAdvertisesAtOnce() {
        var r = router(priority: 255)
        _ = r.start(now: at(0))
        XCTAssertEqual(sent(r.received(adv(0), from: peerHigh, now: at(30))), [255])
        XCTAssertEqual(r.nextDeadline, at(130))
    }

    func testShutdownAndFaultSendPriorityZeroAndStopEverything() {
        var r = router(priority: 255)
        _ = r.start(now: at(0))
        let off = r.shutdown(now: at(50))
        XCTAssertEqual(sent(off), [0])
        XCTAssertEqual(r.state, .initialize)
        XCTAssertNil(r.nextDeadline)

        var f = router(priority: 150)
        _ = f.start(now: at(0))
        _ = run(&f, from: 1, to: 400)
        XCTAssertEqual(f.state, .master)
        let down = f.setFault(true, now: at(401))
        XCTAssertEqual(sent(down), [0])
        XCTAssertEqual(f.state, .fault)
        XCTAssertNil(f.nextDeadline)
        XCTAssertTrue(run(&f, from: 402, to: 2000).isEmpty, "a faulty router is silent")
        XCTAssertEqual(f.setFault(false, now: at(2001)), [.transition(from: .fault, to: .backup, reason: .faultCleared)])
    }

    func testTrackingALowerPriorityIsAdvertisedAtOnce() {
        var r = router(priority: 150)
        _ = r.start(now: at(0))
        _ = run(&r, from: 1, to: 400)
        XCTAssertEqual(sent(r.setPriority(50, now: at(401))), [50])
        XCTAssertEqual(sent(run(&r, from: 402, to: 501).map(\.1)), [50])
        XCTAssertEqual(r.priority, 50)
    }

    func testResignHandsOverAndDoesNotPreemptBackUntilReclaimed() {
        var r = router(priority: 200)
        _ = r.start(now: at(0))
        _ = run(&r, from: 1, to: 400)
        let a = r.resign(now: at(401))
        XCTAssertEqual(sent(a), [0])
        XCTAssertEqual(r.state, .backup)
        // The other node (priority 100) takes over and advertises: we stay Backup.
        for t in stride(from: UInt32(420), through: 2000, by: 100) {
            _ = r.received(adv(100), from: peerLow, now: at(t))
            XCTAssertNil(became(run(&r, from: t, to: t + 99).map(\.1)))
        }
        r.reclaim()
        _ = r.received(adv(100), from: peerLow, now: at(2120))
        XCTAssertEqual(became(run(&r, from: 2121, to: 2500).map(\.1)), .master, "preempts again once reclaimed")
    }

    func testWrongVRIDIsCountedAndIgnored() {
        var r = router()
        _ = r.start(now: at(0))
        XCTAssertTrue(r.received(VRRPAdvertisement(vrid: 2, priority: 250, maxAdvertInterval: 100, addresses: vip),
                                 from: peerHigh, now: at(1)).isEmpty)
        XCTAssertEqual(r.counters.wrongVRID, 1)
        XCTAssertEqual(r.counters.advertisementsReceived, 0)
    }
}
