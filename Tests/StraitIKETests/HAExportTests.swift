import Logging
import StraitConfig
import StraitCore
@testable import StraitIKE
import StraitIKECrypto
import XCTest

/// The HA snapshot of an IKE SA carries what a standby needs to continue it: after one
/// IKE_SA_INIT + IKE_AUTH between two engines, both ends' snapshots agree on SPIs and keys,
/// and the message IDs are where the exchange left them.
final class HAExportTests: XCTestCase {
    func testSnapshotOfAnEstablishedPair() throws {
        let now = IKETime(nanoseconds: 7_000_000_000)
        let site = try IKEEngine(config: EngineToEngineTests.siteConfig(), dataPlane: FakeDataPlane(), logger: Logger(label: "site"), now: now)
        let gw = try IKEEngine(config: TestConfig.make(), dataPlane: FakeDataPlane(), logger: Logger(label: "gw"), now: now)
        XCTAssertTrue(site.haSnapshot(now: now).isEmpty, "nothing established yet")
        var toGW = try site.initiate(vpn: "hq", now: now), rounds = 0
        // What one side sends from local to remote, the other receives on remote from local.
        let flip = { (d: IKEDatagram) in IKEDatagram(local: d.remote, remote: d.local, bytes: d.bytes) }
        while !toGW.isEmpty, rounds < 10 {
            toGW = toGW.flatMap { gw.receive(flip($0), now: now) }.flatMap { site.receive(flip($0), now: now) }
            rounds += 1
        }
        let s = try XCTUnwrap(site.haSnapshot(now: now).first), g = try XCTUnwrap(gw.haSnapshot(now: now).first)
        XCTAssertTrue(s.initiator)
        XCTAssertFalse(g.initiator)
        XCTAssertEqual(s.spiI, g.spiI)
        XCTAssertEqual(s.spiR, g.spiR)
        XCTAssertEqual(g.vpn, gw.reports(now: now).first?.vpn)
        for (a, b) in [(s.keys.skD, g.keys.skD), (s.keys.skEi, g.keys.skEi), (s.keys.skEr, g.keys.skEr), (s.keys.skPr, g.keys.skPr)] {
            XCTAssertTrue(a.constantTimeEquals(b))
        }
        XCTAssertEqual(s.encryption, 20, "AES-GCM-16")
        XCTAssertEqual(s.encryptionKeyBits, 128)
        XCTAssertNil(s.integrity)
        XCTAssertEqual(s.dhGroup, 31, "x25519")
        // IKE_SA_INIT was message 0, IKE_AUTH 1.
        XCTAssertEqual(s.nextRequestID, 2)
        XCTAssertEqual(g.nextExpectedRequest, 2)
        XCTAssertEqual(g.lastResponse?.messageID, 1)
        XCTAssertEqual(s.localID?.data, g.remoteID?.data)
        let sc = try XCTUnwrap(s.children.first), gc = try XCTUnwrap(g.children.first)
        XCTAssertEqual(sc.inboundSPI, gc.outboundSPI)
        XCTAssertEqual(sc.outboundSPI, gc.inboundSPI)
        XCTAssertTrue(sc.esn)
        XCTAssertEqual(gw.haSnapshot(now: now, id: g.id).count, 1)
        XCTAssertEqual(gw.haSnapshot(now: now, id: g.id &+ 1).count, 0)
    }
}
