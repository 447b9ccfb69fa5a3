import Logging
import StraitConfig
import StraitCore
@testable import StraitIKE
import XCTest

/// HA demotion: the gateway lets go of an established IKE SA without a word to anyone. Its
/// CHILD SA leaves the data plane, nothing is published on the bus (the HA exporter would
/// turn it into deletes for the new active), nothing goes to the site, and the site's next
/// request is not answered here (the new active answers it).
final class HAReleaseTests: XCTestCase {
    func testReleaseForgetsSilently() throws {
        var now = IKETime(nanoseconds: 9_000_000_000)
        let site = try IKEEngine(config: EngineToEngineTests.siteConfig(), dataPlane: FakeDataPlane(), logger: Logger(label: "site"), now: now)
        let plane = FakeDataPlane()
        let gw = try IKEEngine(config: TestConfig.make(), dataPlane: plane, logger: Logger(label: "gw"), now: now)
        let flip = { (d: IKEDatagram) in IKEDatagram(local: d.remote, remote: d.local, bytes: d.bytes) }
        var toGW = try site.initiate(vpn: "hq", now: now), rounds = 0
        while !toGW.isEmpty, rounds < 10 {
            toGW = toGW.flatMap { gw.receive(flip($0), now: now) }.flatMap { site.receive(flip($0), now: now) }
            rounds += 1
        }
        XCTAssertEqual(gw.reports(now: now).count, 1)
        XCTAssertEqual(plane.installed.count, 1)
        var events: [IKEEvent] = []
        gw.bus.subscribe { events.append($0) }

        XCTAssertEqual(gw.haRelease(id: 12345), IKEHARelease(), "an unknown id releases nothing")
        let r = gw.haReleaseAll()
        XCTAssertEqual(r.ikeSAs, 1)
        XCTAssertEqual(r.childSAs, 1)
        XCTAssertTrue(gw.reports(now: now).isEmpty, "the engine forgot the IKE SA")
        XCTAssertTrue(plane.installed.isEmpty, "its CHILD SA left the data plane")
        XCTAssertEqual(plane.removed.count, 1)
        XCTAssertTrue(events.isEmpty, "nothing on the bus: \(events)")

        // Nothing to send later either (no Delete, no DPD), and the site's request goes unanswered.
        now = now + .seconds(600)
        XCTAssertTrue(gw.tick(now: now).isEmpty)
        let s = try XCTUnwrap(site.haSnapshot(now: now).first)
        let delete = site.terminate(ikeSA: s.id, now: now)
        XCTAssertEqual(delete.count, 1)
        XCTAssertTrue(delete.flatMap { gw.receive(flip($0), now: now) }.isEmpty, "no answer on a released SA")
        XCTAssertTrue(events.isEmpty)
    }
}
