import Logging
import StraitConfig
import StraitCore
@testable import StraitIKE
import StraitIKECrypto
import XCTest

/// A standby's engine that imports the gateway's IKE SA continues it: the site's next request
/// (a Delete, with message ID 2, under the original keys) is opened, answered and acted on by
/// the new engine, which the site accepts; the imported CHILD SA's handle is removed.
final class HAImportTests: XCTestCase {
    func testAnImportedSAAnswersThePeer() throws {
        let now = IKETime(nanoseconds: 9_000_000_000)
        let site = try IKEEngine(config: EngineToEngineTests.siteConfig(), dataPlane: FakeDataPlane(), logger: Logger(label: "site"), now: now)
        let gw = try IKEEngine(config: TestConfig.make(), dataPlane: FakeDataPlane(), logger: Logger(label: "gw"), now: now)
        let flip = { (d: IKEDatagram) in IKEDatagram(local: d.remote, remote: d.local, bytes: d.bytes) }
        var toGW = try site.initiate(vpn: "hq", now: now), rounds = 0
        while !toGW.isEmpty, rounds < 10 {
            toGW = toGW.flatMap { gw.receive(flip($0), now: now) }.flatMap { site.receive(flip($0), now: now) }
            rounds += 1
        }
        let g = try XCTUnwrap(gw.haSnapshot(now: now).first)
        let s = try XCTUnwrap(site.haSnapshot(now: now).first)

        // The standby: its own engine and data plane, the SA imported with its own handle.
        let standbyPlane = RecordingDataPlane()
        let standby = try IKEEngine(config: TestConfig.make(), dataPlane: standbyPlane, logger: Logger(label: "standby"), now: now)
        let gc = try XCTUnwrap(g.children.first)
        let handle = ChildSAHandle(inbound: 901, outbound: 902, policies: [903])
        // The keys as they crossed the link: rebuilt from bytes and checked against the suite.
        func copy(_ k: SecretBytes) -> SecretBytes { k.withUnsafeBytes { SecretBytes(copying: Array($0)) } }
        var e = g
        e.keys = try IKEEngine.haKeys(encryption: g.encryption, keyBits: g.encryptionKeyBits, integrity: g.integrity, prf: g.prf,
                                      keys: (copy(g.keys.skD), copy(g.keys.skAi), copy(g.keys.skAr), copy(g.keys.skEi),
                                             copy(g.keys.skEr), copy(g.keys.skPi), copy(g.keys.skPr)))
        XCTAssertThrowsError(try IKEEngine.haKeys(encryption: g.encryption, keyBits: 256, integrity: g.integrity, prf: g.prf,
                                                  keys: (g.keys.skD, g.keys.skAi, g.keys.skAr, g.keys.skEi, g.keys.skEr, g.keys.skPi, g.keys.skPr)),
                             "128-bit keys for a 256-bit suite")
        try standby.haImport(e, children: [ChildSAHAImport(export: gc, handle: handle, cookie: 77)], now: now)
        XCTAssertThrowsError(try standby.haImport(e, children: [], now: now), "twice")
        XCTAssertEqual(standby.reports(now: now).map(\.id), [g.id])
        XCTAssertEqual(standby.reports(now: now).first?.children.map(\.inboundSPI), [gc.inboundSPI])

        // The site deletes its IKE SA; only the standby hears it.
        let request = site.terminate(ikeSA: s.id, now: now)
        XCTAssertEqual(request.count, 1)
        let answer = request.flatMap { standby.receive(flip($0), now: now) }
        XCTAssertEqual(answer.count, 1, "the standby opens the request under the synced keys and answers")
        XCTAssertTrue(standby.reports(now: now).isEmpty, "the Delete removed the imported SA")
        XCTAssertEqual(standbyPlane.removedHandles, [handle], "and its CHILD SA's fast-path copy")
        _ = answer.flatMap { site.receive(flip($0), now: now) }
        XCTAssertTrue(site.reports(now: now).isEmpty, "the site took the standby's answer")
    }
}

/// Records every handle it is asked to remove (the imported SA's was never installed here).
private final class RecordingDataPlane: IKEDataPlane {
    var removedHandles: [ChildSAHandle] = []
    func allocateInboundSPI() throws -> UInt32 { 0xd000_0001 }
    func releaseInboundSPI(_ spi: UInt32) {}
    func install(_ child: ChildSAInstall) throws -> ChildSAHandle { ChildSAHandle(inbound: 1, outbound: 2, policies: []) }
    func remove(_ handle: ChildSAHandle) { removedHandles.append(handle) }
    func query(_ handle: ChildSAHandle) -> ChildSAUsage? { nil }
    func updateEndpoints(_ handle: ChildSAHandle, local: IPAddress, remote: IPAddress,
                         udpEncapsulation: (local: UInt16, remote: UInt16)?) throws {}
}
