import StraitConfig
import StraitCore
@testable import StraitDaemon
import StraitIKE
import StraitIKECrypto
import XCTest

/// How the fast-path adapter turns a negotiated CHILD SA into two SAs and outbound policies
/// (the pure part; the lab runs it against the fast path).
final class DataPlanePlanTests: XCTestCase {
    func install(keyBits: Int = 128, localTS: [String] = ["10.1.0.0/16"], remoteTS: [String] = ["10.128.1.0/24"],
                 encap: (local: UInt16, remote: UInt16)? = nil, window: Int = 1000) -> ChildSAInstall {
        let keyBytes = keyBits / 8 + 4
        var c = ChildSAInstall(
            name: "sites/lan#3", cookie: 77, inboundSPI: 0xc001_2345, outboundSPI: 0x0a0b_0c0d, keyBits: keyBits,
            icvLength: 16, inboundKey: SecretBytes(copying: [UInt8](repeating: 1, count: keyBytes)),
            outboundKey: SecretBytes(copying: [UInt8](repeating: 2, count: keyBytes)), esn: true, replayWindow: window,
            local: IPAddress("192.0.2.1")!, remote: IPAddress("198.51.100.7")!, udpEncapsulation: encap,
            localTS: localTS.map { IPPrefix($0)! }, remoteTS: remoteTS.map { IPPrefix($0)! })
        c.softBytes = 1000
        c.hardBytes = 1100
        return c
    }

    func testOneSelectorPair() throws {
        let plan = try FastPathIKEDataPlane.plan(install(keyBits: 256, encap: (4500, 31337)))
        XCTAssertEqual(plan.inbound.direction, .inbound)
        XCTAssertEqual(plan.inbound.spi, 0xc001_2345)
        XCTAssertEqual(plan.outbound.direction, .outbound)
        XCTAssertEqual(plan.outbound.spi, 0x0a0b_0c0d)
        for sa in [plan.inbound, plan.outbound] {
            XCTAssertEqual(sa.algorithm, .aes256gcm16)
            XCTAssertTrue(sa.key.bytes.isEmpty, "keys travel from their wiped buffers, not in the config")
            XCTAssertTrue(sa.esn)
            XCTAssertEqual(sa.local.description, "192.0.2.1")
            XCTAssertEqual(sa.remote.description, "198.51.100.7")
            XCTAssertEqual(sa.encapsulation, .udp)
            XCTAssertEqual(sa.udpLocalPort, 4500)
            XCTAssertEqual(sa.udpRemotePort, 31337)
            XCTAssertEqual(sa.localTS.description, "10.1.0.0/16")
            XCTAssertEqual(sa.remoteTS.description, "10.128.1.0/24")
            XCTAssertEqual(sa.lifetime, SALifetime(softBytes: 1000, hardBytes: 1100))
        }
        XCTAssertEqual(plan.inbound.replayWindow, 1024, "rounded up to 64")
        XCTAssertEqual(plan.outbound.replayWindow, 0)
        XCTAssertEqual(plan.policies.count, 1)
        XCTAssertEqual(plan.policies[0].action, .protect)
        XCTAssertEqual(plan.policies[0].priority, FastPathIKEDataPlane.policyPriorityBase + 16)
        XCTAssertEqual(plan.uncheckedPairs, 0)
    }

    func testEverySameFamilyPairGetsAPolicyTheMoreSpecificLocalWinning() throws {
        let plan = try FastPathIKEDataPlane.plan(install(localTS: ["10.1.0.0/16", "10.1.2.0/24", "fd00:1::/48"],
                                                         remoteTS: ["10.128.1.0/24", "fd00:8001::/64"]))
        XCTAssertEqual(plan.policies.map { "\($0.localTS) \($0.remoteTS) \($0.priority)" }, [
            "10.1.0.0/16 10.128.1.0/24 10016",
            "10.1.2.0/24 10.128.1.0/24 10008",
            "fd00:1::/48 fd00:8001::/64 10080",
        ])
        XCTAssertEqual(plan.inbound.localTS.description, "10.1.0.0/16", "the first pair is inline on the inbound SA")
        XCTAssertEqual(plan.inbound.moreLocalTS.map(\.description), ["10.1.2.0/24", "fd00:1::/48"], "the rest as lists")
        XCTAssertEqual(plan.inbound.moreRemoteTS.map(\.description), ["fd00:8001::/64"])
        XCTAssertEqual(plan.uncheckedPairs, 0, "every selector is checked on inbound")
        XCTAssertGreaterThan(FastPathIKEDataPlane.policyPriorityBase, IPsecDefaults.policyPriority,
                             "static policies of the config win for the same remote prefix")
    }

    func testRefusals() {
        XCTAssertThrowsError(try FastPathIKEDataPlane.plan(install(keyBits: 192)))
        XCTAssertThrowsError(try FastPathIKEDataPlane.plan(install(localTS: ["10.1.0.0/16"], remoteTS: ["fd00::/64"]))) {
            XCTAssertTrue("\($0)".contains("no local and remote traffic selectors of one family"), "\($0)")
        }
        var v6 = install()
        v6.local = IPAddress("2001:db8::1")!
        v6.remote = IPAddress("2001:db8::2")!
        XCTAssertThrowsError(try FastPathIKEDataPlane.plan(v6)) { XCTAssertTrue("\($0)".contains("IPv4"), "\($0)") }
        var shortKey = install()
        shortKey.outboundKey = SecretBytes(copying: [1, 2, 3])
        XCTAssertThrowsError(try FastPathIKEDataPlane.plan(shortKey)) { XCTAssertTrue("\($0)".contains("outbound keying material"), "\($0)") }
    }

    func testReplayWindows() {
        XCTAssertEqual(FastPathIKEDataPlane.replayWindow(0), 0)
        XCTAssertEqual(FastPathIKEDataPlane.replayWindow(-5), 0)
        XCTAssertEqual(FastPathIKEDataPlane.replayWindow(1), 64)
        XCTAssertEqual(FastPathIKEDataPlane.replayWindow(64), 64)
        XCTAssertEqual(FastPathIKEDataPlane.replayWindow(65), 128)
        XCTAssertEqual(FastPathIKEDataPlane.replayWindow(4096), 4096)
        XCTAssertEqual(FastPathIKEDataPlane.replayWindow(100_000), 4096)
    }
}
