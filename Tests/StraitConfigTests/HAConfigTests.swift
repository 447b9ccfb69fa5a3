import StraitCore
import XCTest
@testable import StraitConfig

/// The `ha` section: what it reads, one mistake per case with its line and key, the key never
/// shown, and a reload that changes it refused.
final class HAConfigTests: XCTestCase {
    static let key = String(repeating: "a1b2c3d4", count: 8)
    /// VRRPConfigTests.base plus an `ha` section; the comments are line numbers.
    static let base = VRRPConfigTests.base + """
    ha:                                  # 58
      node-id: 1                         # 59
      listen-vrrp-group: vpnc            # 60
      sync:                              # 61
        interface: lan01                 # 62
        local-address: 10.1.0.1          # 63
        remote-address: 10.1.0.2         # 64
        port: 7491                       # 65
      key: 0x\(key)                      # 66
      seqnum-sync:                       # 67
        oseq-shift: 100000               # 68
        sync-period-time: 500ms          # 69
        sync-period-packets: 5000        # 70

    """

    func load(_ text: String) throws -> StraitConfig { try ConfigLoader.parse(text: text, source: "t.yaml", facts: testFacts()) }

    func testTheSectionLoads() throws {
        let ha = try XCTUnwrap(try load(Self.base).ha)
        XCTAssertEqual(ha.nodeID, 1)
        XCTAssertEqual(ha.listenVRRPGroup, "vpnc")
        XCTAssertEqual(ha.sync.interface, "lan01")
        XCTAssertEqual(ha.sync.localAddress, IPAddress("10.1.0.1"))
        XCTAssertEqual(ha.sync.remoteAddress, IPAddress("10.1.0.2"))
        XCTAssertEqual(ha.sync.port, 7491)
        XCTAssertEqual(ha.key.bytes.count, 32)
        XCTAssertEqual(ha.key.bytes.prefix(4), [0xa1, 0xb2, 0xc3, 0xd4])
        XCTAssertEqual(ha.seqnumSync, HASeqnumSyncConfig(oseqShift: 100_000, syncPeriodTime: .milliseconds(500), syncPeriodPackets: 5000))
        XCTAssertTrue(ha.listens, "10.1.0.1 < 10.1.0.2: this node listens")
    }

    func testDefaults() throws {
        var text = Self.base.replacingOccurrences(of: "    port: 7491                       # 65\n", with: "")
        text = String(text[..<text.range(of: "  seqnum-sync:")!.lowerBound])
        let ha = try XCTUnwrap(try load(text).ha)
        XCTAssertEqual(ha.sync.port, HADefaults.port)
        XCTAssertEqual(ha.seqnumSync.oseqShift, 65536)
        XCTAssertEqual(ha.seqnumSync.syncPeriodTime, .seconds(1))
        XCTAssertEqual(ha.seqnumSync.syncPeriodPackets, 10000)
        XCTAssertNil(try load(VRRPConfigTests.base).ha, "no section: a single node")
    }

    func testTheKeyNeverShows() throws {
        let config = try load(Self.base)
        XCTAssertFalse(config.redactedText.contains(Self.key))
        XCTAssertTrue(config.redactedText.contains("key: <redacted>"))
        XCTAssertFalse("\(config.ha!)".contains(Self.key.prefix(8)))
        var dumped = ""
        dump(config, to: &dumped)
        XCTAssertFalse(dumped.contains(Self.key.prefix(8)))
        let errors = loadErrors(Self.base.replacingOccurrences(of: "0x\(Self.key)", with: "0x\(Self.key)ff"))
        XCTAssertFalse(errors.map(\.description).joined().contains(Self.key))
    }

    struct Case {
        var name: String
        var old: String
        var new: String
        var code: ConfigError.Code
        var key: String
        var line: Int
        var message: String? = nil
    }

    static let cases: [Case] = [
        Case(name: "unknown key", old: "  node-id: 1", new: "  node-di: 1", code: .unknownKey, key: "ha.node-di", line: 59),
        Case(name: "node id range", old: "  node-id: 1", new: "  node-id: 0", code: .outOfRange, key: "ha.node-id", line: 59),
        Case(name: "missing node id", old: "  node-id: 1", new: "  # no id", code: .missingKey, key: "ha.node-id", line: 58),
        Case(name: "unknown group", old: "listen-vrrp-group: vpnc", new: "listen-vrrp-group: wan",
             code: .notFound, key: "ha.listen-vrrp-group", line: 60, message: "groups: vpnc"),
        Case(name: "unknown port", old: "    interface: lan01                 # 62", new: "    interface: lan09",
             code: .notFound, key: "ha.sync.interface", line: 62),
        Case(name: "address not the port's", old: "local-address: 10.1.0.1", new: "local-address: 10.1.0.9",
             code: .conflict, key: "ha.sync.local-address", line: 63, message: "not an address of port 'lan01'"),
        Case(name: "bad address", old: "remote-address: 10.1.0.2", new: "remote-address: gw-b",
             code: .invalidValue, key: "ha.sync.remote-address", line: 64),
        Case(name: "family mismatch", old: "remote-address: 10.1.0.2", new: "remote-address: fd00:1::2",
             code: .conflict, key: "ha.sync.remote-address", line: 64),
        Case(name: "own address", old: "remote-address: 10.1.0.2", new: "remote-address: 10.1.0.1",
             code: .conflict, key: "ha.sync.remote-address", line: 64),
        Case(name: "port range", old: "port: 7491", new: "port: 70000", code: .outOfRange, key: "ha.sync.port", line: 65),
        Case(name: "short key", old: "key: 0x\(key)", new: "key: 0x\(key.prefix(62))",
             code: .invalidValue, key: "ha.key", line: 66, message: "31 bytes; expected 32"),
        Case(name: "not hex", old: "key: 0x\(key)", new: "key: secret", code: .invalidValue, key: "ha.key", line: 66, message: "not hex"),
        Case(name: "shift range", old: "oseq-shift: 100000", new: "oseq-shift: 0", code: .outOfRange, key: "ha.seqnum-sync.oseq-shift", line: 68),
        Case(name: "period", old: "sync-period-time: 500ms", new: "sync-period-time: 2h",
             code: .outOfRange, key: "ha.seqnum-sync.sync-period-time", line: 69),
        Case(name: "packets", old: "sync-period-packets: 5000", new: "sync-period-packets: -1",
             code: .outOfRange, key: "ha.seqnum-sync.sync-period-packets", line: 70),
    ]

    func testEachMistakeIsReportedWithItsLineAndKey() {
        for c in Self.cases {
            XCTAssertEqual(Self.base.components(separatedBy: c.old).count, 2, "\(c.name): '\(c.old)' must occur once")
            let errors = loadErrors(Self.base.replacingOccurrences(of: c.old, with: c.new))
            let first = errors.first { $0.key == c.key }
            XCTAssertNotNil(first, "\(c.name): no error for \(c.key): \(errors)")
            guard let e = first else { continue }
            XCTAssertEqual(e.code, c.code, "\(c.name): \(e)")
            XCTAssertEqual(e.location.line, c.line, "\(c.name): \(e)")
            if let m = c.message { XCTAssertTrue(e.message.contains(m), "\(c.name): \(e.message)") }
        }
    }

    /// An HA pair's tunnels end on the virtual address: a VPN may use one as its local-address.
    func testAVPNMayEndOnAVirtualAddress() throws {
        let vpn = """
        ike:
          ike-policy-templates: [{ name: t, proposals: [aes128gcm16-prfsha256-x25519] }]
          ipsec-policy-templates: [{ name: e, proposals: [aes128gcm16] }]
          vpns:
            - { name: v, ike-policy: t, ipsec-policy: e, local-address: LOCAL, remote-address: any, local-id: gw.test,
                remote-id: "*.test", local-auth: { method: psk }, remote-auth: { method: psk }, psk: "a-long-enough-lab-psk-0123",
                security-policies: [{ name: lan, local-ts: [10.1.0.0/24], remote-ts: [10.9.0.0/24] }] }

        """
        let config = try load(Self.base + vpn.replacingOccurrences(of: "LOCAL", with: "10.2.0.100"))
        XCTAssertEqual(config.ike.vpns.first?.localAddress.description, "10.2.0.100")
        let errors = loadErrors(Self.base + vpn.replacingOccurrences(of: "LOCAL", with: "10.2.0.200"))
        XCTAssertEqual(errors.map(\.key), ["ike.vpns[0].local-address"], "neither a port's nor a virtual address")
    }

    func testAReloadThatChangesHAIsRefused() throws {
        let running = try load(Self.base)
        let keys = SAKeyFingerprints(running.ipsec)
        XCTAssertEqual(ReloadCheck.restartOnly(running: running, runningKeys: keys, new: try load(Self.base)), [])
        let shifted = try load(Self.base.replacingOccurrences(of: "oseq-shift: 100000", with: "oseq-shift: 200000"))
        XCTAssertEqual(ReloadCheck.restartOnly(running: running, runningKeys: keys, new: shifted).map(\.key), ["ha"])
        let rekeyed = try load(Self.base.replacingOccurrences(of: "0x\(Self.key)", with: "0x" + String(repeating: "0f", count: 32)))
        XCTAssertEqual(ReloadCheck.restartOnly(running: running, runningKeys: keys, new: rekeyed).map(\.key), ["ha"],
                       "the key prints redacted, yet a new key is a change")
    }
}
