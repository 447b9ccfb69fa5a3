import StraitCore
@testable import StraitVRRP
import XCTest

/// Tracking verdicts, stuck-worker detection, startup delay and paced announcements on a manual clock.
final class VRRPTrackingTests: XCTestCase {
    private let me = IPAddress("192.0.2.10")!
    private func at(_ cs: UInt32) -> VRRPInstant { VRRPInstant(nanoseconds: 0) + Centiseconds(cs) }

    private func router(priority: UInt8 = 100, startup: UInt32 = 0, announceInterval: UInt32 = 0) -> VRRPRouter {
        VRRPRouter(settings: VRRPRouterSettings(vrid: 1, priority: priority, advertInterval: Centiseconds(100), primaryAddress: me,
                                                addresses: [IPAddress("192.0.2.100")!], announceCount: 3,
                                                announceRefresh: Centiseconds(500), announceInterval: Centiseconds(announceInterval),
                                                startupDelay: Centiseconds(startup)))
    }

    private func masterAt(_ r: inout VRRPRouter, until: UInt32) -> UInt32? {
        for t in UInt32(1)...until {
            for a in r.tick(now: at(t)) { if case .transition(_, .master, _) = a { return t } }
        }
        return nil
    }

    func testVerdictsAddWeightsAndAnyFaultWins() {
        let track = VRRPTrackSettings(ports: [.init(name: "wan01", effect: .weight(-30)), .init(name: "lan01", effect: .weight(-40)),
                                              .init(name: "sync01")], fastPath: .weight(-100))
        XCTAssertEqual(track.evaluate(VRRPHealth()), VRRPTrackVerdict())
        let two = track.evaluate(VRRPHealth(portsDown: ["wan01", "lan01"]))
        XCTAssertEqual(two.weight, -70)
        XCTAssertFalse(two.fault)
        XCTAssertEqual(two.priority(configured: 100), 30)
        XCTAssertEqual(track.evaluate(VRRPHealth(portsDown: ["wan01"], stuckWorkers: [0])).priority(configured: 100), 1,
                       "never below 1 (0 means resign)")
        XCTAssertEqual(two.priority(configured: 255), 255, "the owner's priority never changes")
        let fault = track.evaluate(VRRPHealth(portsDown: ["sync01", "wan01"]))
        XCTAssertTrue(fault.fault)
        XCTAssertEqual(fault.reasons, ["port wan01 down", "port sync01 down"])
        XCTAssertEqual(track.evaluate(VRRPHealth(portsDown: ["other"])), VRRPTrackVerdict(), "untracked ports do not matter")
    }

    func testAWorkerIsStuckWhenItsLoopCounterStandsStillForTheBound() {
        var watch = VRRPWorkerWatch(stuckAfter: Centiseconds(50))
        XCTAssertEqual(watch.sample(loops: [10, 10], now: at(0)), [])
        XCTAssertEqual(watch.sample(loops: [20, 10], now: at(10)), [])
        XCTAssertEqual(watch.sample(loops: [30, 10], now: at(40)), [])
        XCTAssertEqual(watch.sample(loops: [40, 10], now: at(50)), [1], "worker 1 has not looped for 500 ms")
        XCTAssertEqual(watch.sample(loops: [40, 10], now: at(99)), [1], "worker 0 has been still for 490 ms only")
        XCTAssertEqual(watch.sample(loops: [40, 10], now: at(100)), [0, 1])
        XCTAssertEqual(watch.sample(loops: [41, 11], now: at(101)), [], "both moved again")
    }

    func testStartupDelayHoldsABackupAndTheOwner() {
        var r = router(startup: 500)
        _ = r.start(now: at(0))
        XCTAssertEqual(masterAt(&r, until: 1000), 500, "not at master-down (360 cs) but at the end of the delay")
        var quick = router(startup: 100)
        _ = quick.start(now: at(0))
        XCTAssertEqual(masterAt(&quick, until: 1000), 360, "a delay shorter than master-down changes nothing")
        var owner = router(priority: 255, startup: 200)
        XCTAssertEqual(owner.start(now: at(0)).compactMap { a -> VRRPState? in
            if case .transition(_, let to, _) = a { return to } else { return nil }
        }, [.backup])
        XCTAssertEqual(masterAt(&owner, until: 1000), 200)
        // Fault clearing later does not start the delay again.
        _ = r.setFault(true, now: at(1000))
        _ = r.setFault(false, now: at(1010))
        XCTAssertEqual(r.nextDeadline, at(1370), "master-down only")
    }

    func testAHigherPriorityNodeInItsStartupDelayDoesNotPreempt() {
        var r = router(priority: 200, startup: 500)
        _ = r.start(now: at(0))
        let low = VRRPAdvertisement(vrid: 1, priority: 50, maxAdvertInterval: 100, addresses: [IPAddress("192.0.2.100")!])
        for t in stride(from: UInt32(10), to: 500, by: 100) {
            _ = r.received(low, from: IPAddress("192.0.2.5")!, now: at(t))
            for u in t..<(t + 100) where u < 500 { XCTAssertTrue(r.tick(now: at(u)).isEmpty, "at \(u) cs") }
        }
        XCTAssertEqual(r.state, .backup)
        XCTAssertEqual(masterAt(&r, until: 600), 500)
    }

    func testAnnouncementsArePacedByTheInterval() {
        var r = router(priority: 255, announceInterval: 20)
        XCTAssertTrue(r.start(now: at(0)).contains(.announce(count: 1)))
        var times: [UInt32] = []
        for t in UInt32(1)...600 { for a in r.tick(now: at(t)) where a == .announce(count: 1) { times.append(t) } }
        XCTAssertEqual(times, [20, 40, 500, 520, 540], "3 per round, 200 ms apart; the refresh round 5 s later")
    }
}
