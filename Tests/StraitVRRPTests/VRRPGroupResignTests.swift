import StraitCore
@testable import StraitVRRP
import XCTest

/// `ha failover` / `ha resume` on a group: the resigned group stays Backup under a lower-priority
/// Master, and preempts again once reclaimed.
final class VRRPGroupResignTests: XCTestCase {
    private func at(_ cs: UInt32) -> VRRPInstant { VRRPInstant(nanoseconds: 0) + Centiseconds(cs) }

    private func group(priority: UInt8) -> VRRPGroup {
        let r = { (vrid: UInt8, net: String) in
            VRRPRouter(settings: VRRPRouterSettings(vrid: vrid, priority: priority, advertInterval: Centiseconds(10),
                                                    primaryAddress: IPAddress("\(net).11")!, addresses: [IPAddress("\(net).1")!]))
        }
        return VRRPGroup(name: "vpnc", members: [r(1, "192.0.2"), r(2, "10.0.0")])
    }

    func testResignedGroupPreemptsOnlyAfterReclaim() {
        var g = group(priority: 200)
        _ = g.start(now: at(0))
        for t in 1...100 { _ = g.tick(now: at(UInt32(t))) }
        XCTAssertEqual(g.state, .master)
        let out = g.resign(now: at(101))
        XCTAssertEqual(g.state, .backup)
        XCTAssertEqual(out.actions.filter { if case .send(let a) = $0.action { return a.priority == 0 } else { return false } }.count, 2,
                       "both members send priority 0")
        // The other node (priority 100) is Master now and advertises on both members.
        func hearLowMaster(_ t: UInt32) {
            for (m, net) in [(0, "192.0.2"), (1, "10.0.0")] {
                let adv = VRRPAdvertisement(vrid: UInt8(m + 1), priority: 100, maxAdvertInterval: 10, addresses: [IPAddress("\(net).1")!])
                _ = g.received(adv, from: IPAddress("\(net).12")!, member: m, now: at(t))
            }
            _ = g.tick(now: at(t))
        }
        for t in stride(from: UInt32(110), through: 600, by: 10) { hearLowMaster(t) }
        XCTAssertEqual(g.state, .backup, "resigned: no preempting")
        g.reclaim()
        for t in stride(from: UInt32(610), through: 1000, by: 10) { hearLowMaster(t) }
        XCTAssertEqual(g.state, .master, "reclaimed: preempts the lower-priority Master")
    }
}
