import StraitCore
import XCTest
@testable import StraitConfig

/// The `vrrp` section: what it reads, and one mistake per case with its line and key.
final class VRRPConfigTests: XCTestCase {
    /// BadConfigTests.base plus a `vrrp` section; the comments are line numbers.
    static let base = BadConfigTests.base + """
    vrrp:                                # 34
      instances:                         # 35
        - name: wan                      # 36
          interface: wan01               # 37
          vrid: 10                       # 38
          priority: 200                  # 39
          advert-interval: 100ms         # 40
          preempt-delay: 2s              # 41
          virtual-addresses: [10.2.0.100/24, 10.2.0.101/24]   # 42
          unicast-peers: [10.2.0.2]      # 43
          checksum: v2-compatible        # 44
          garp: { count: 3, refresh: 0 } # 45
        - name: lan                      # 46
          interface: lan01               # 47
          vrid: 10                       # 48
          virtual-addresses: [10.1.0.100/24]   # 49
        - name: lan6                     # 50
          interface: lan01               # 51
          vrid: 10                       # 52
          preempt: false                 # 53
          virtual-addresses: [fd00:1::100/64]  # 54
      groups:                            # 55
        - name: vpnc                     # 56
          instances: [wan, lan]          # 57

    """

    func load(_ text: String) throws -> StraitConfig { try ConfigLoader.parse(text: text, source: "t.yaml", facts: testFacts()) }

    func testTheSectionLoads() throws {
        let v = try load(Self.base).vrrp
        XCTAssertEqual(v.instances.map(\.name), ["wan", "lan", "lan6"])
        let wan = v.instances[0]
        XCTAssertEqual(wan.interface, "wan01")
        XCTAssertEqual(wan.vrid, 10)
        XCTAssertEqual(wan.priority, 200)
        XCTAssertEqual(wan.advertInterval, 10, "100ms is 10 centiseconds")
        XCTAssertEqual(wan.preemptDelay, 200)
        XCTAssertEqual(wan.virtualAddresses, [IPPrefix("10.2.0.100/24")!, IPPrefix("10.2.0.101/24")!])
        XCTAssertEqual(wan.unicastPeers, [IPAddress("10.2.0.2")!])
        XCTAssertEqual(wan.checksum, .v2Compatible)
        XCTAssertEqual(wan.garpCount, 3)
        XCTAssertNil(wan.garpRefresh, "refresh 0 means no second round")
        let lan = v.instances[1]
        XCTAssertEqual(lan.priority, 100)
        XCTAssertEqual(lan.advertInterval, 100, "1 s by default")
        XCTAssertTrue(lan.preempt)
        XCTAssertEqual(lan.checksum, .rfc5798)
        XCTAssertEqual(lan.garpCount, 5)
        XCTAssertEqual(lan.garpRefresh, 500)
        XCTAssertFalse(v.instances[2].preempt)
        XCTAssertFalse(v.instances[2].isIPv4)
        XCTAssertEqual(v.groups.map(\.name), ["vpnc"])
        XCTAssertEqual(v.groups[0].instances, ["wan", "lan"])
    }

    func testNoSectionIsEmpty() throws {
        XCTAssertTrue(try load(BadConfigTests.base).vrrp.isEmpty)
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
        Case(name: "unknown key", old: "      preempt-delay: 2s", new: "      preempt-dely: 2s",
             code: .unknownKey, key: "vrrp.instances[0].preempt-dely", line: 41, message: "did you mean 'preempt-delay'?"),
        Case(name: "no such port", old: "      interface: wan01", new: "      interface: wan02",
             code: .notFound, key: "vrrp.instances[0].interface", line: 37, message: "no port is called 'wan02'"),
        Case(name: "vrid 0", old: "      vrid: 10                       # 38", new: "      vrid: 0",
             code: .outOfRange, key: "vrrp.instances[0].vrid", line: 38, message: "1...255"),
        Case(name: "vrid missing", old: "      vrid: 10                       # 38\n", new: "",
             code: .missingKey, key: "vrrp.instances[0].vrid", line: 36),
        Case(name: "priority 256", old: "      priority: 200", new: "      priority: 256",
             code: .outOfRange, key: "vrrp.instances[0].priority", line: 39),
        Case(name: "interval below 10ms", old: "advert-interval: 100ms", new: "advert-interval: 5ms",
             code: .invalidValue, key: "vrrp.instances[0].advert-interval", line: 40, message: "centiseconds"),
        Case(name: "interval above 40.95s", old: "advert-interval: 100ms", new: "advert-interval: 41s",
             code: .outOfRange, key: "vrrp.instances[0].advert-interval", line: 40, message: "10ms...40950ms"),
        Case(name: "interval zero", old: "advert-interval: 100ms", new: "advert-interval: 0",
             code: .outOfRange, key: "vrrp.instances[0].advert-interval", line: 40),
        Case(name: "interval not a duration", old: "advert-interval: 100ms", new: "advert-interval: fast",
             code: .invalidValue, key: "vrrp.instances[0].advert-interval", line: 40, message: "not a duration"),
        Case(name: "mixed families", old: "[10.2.0.100/24, 10.2.0.101/24]", new: "[10.2.0.100/24, fd00:2::1/64]",
             code: .conflict, key: "vrrp.instances[0].virtual-addresses[1]", line: 42, message: "one family"),
        Case(name: "not a prefix", old: "[10.2.0.100/24, 10.2.0.101/24]", new: "[10.2.0.100/24, 10.2.0.300/24]",
             code: .invalidValue, key: "vrrp.instances[0].virtual-addresses[1]", line: 42),
        Case(name: "address twice", old: "[10.2.0.100/24, 10.2.0.101/24]", new: "[10.2.0.100/24, 10.2.0.100/32]",
             code: .duplicateValue, key: "vrrp.instances[0].virtual-addresses[1]", line: 42),
        Case(name: "no addresses", old: "[10.2.0.100/24, 10.2.0.101/24]", new: "[]",
             code: .invalidValue, key: "vrrp.instances[0].virtual-addresses", line: 42),
        Case(name: "peer of the other family", old: "[10.2.0.2]", new: "[fd00::2]",
             code: .conflict, key: "vrrp.instances[0].unicast-peers[0]", line: 43),
        Case(name: "unknown checksum", old: "checksum: v2-compatible", new: "checksum: v2",
             code: .invalidValue, key: "vrrp.instances[0].checksum", line: 44),
        Case(name: "v2-compatible for IPv6", old: "      preempt: false                 # 53",
             new: "      preempt: false\n      checksum: v2-compatible",
             code: .conflict, key: "vrrp.instances[2].checksum", line: 54, message: "IPv4 only"),
        Case(name: "garp count zero", old: "count: 3", new: "count: 0",
             code: .outOfRange, key: "vrrp.instances[0].garp.count", line: 45),
        Case(name: "same VRID twice on a port and family", old: "      interface: lan01               # 47",
             new: "      interface: wan01", code: .duplicateValue, key: "vrrp.instances[1].vrid", line: 48, message: "by vrrp.instances[0]"),
        Case(name: "name twice", old: "    - name: lan                      # 46", new: "    - name: wan",
             code: .duplicateValue, key: "vrrp.instances[1].name", line: 46),
        Case(name: "IPv4 instance on a port without IPv4", old: "      - 10.2.0.1/24                  # 28",
             new: "      - fd00:2::1/64", code: .conflict, key: "vrrp.instances[0].interface", line: 37, message: "no IPv4 address"),
        Case(name: "use-vmac", old: "      preempt: false                 # 53", new: "      use-vmac: true",
             code: .invalidValue, key: "vrrp.instances[2].use-vmac", line: 53, message: "not supported"),
        Case(name: "accept-mode false", old: "      preempt: false                 # 53", new: "      accept-mode: false",
             code: .invalidValue, key: "vrrp.instances[2].accept-mode", line: 53),
        Case(name: "group of an unknown instance", old: "[wan, lan]", new: "[wan, lna]",
             code: .notFound, key: "vrrp.groups[0].instances[1]", line: 57),
        Case(name: "instance in two groups", old: "      instances: [wan, lan]          # 57",
             new: "      instances: [wan, lan]\n    - name: other\n      instances: [lan]",
             code: .conflict, key: "vrrp.groups[1].instances[0]", line: 59, message: "already in group 'vpnc'"),
        Case(name: "no instances", old: "  instances:                         # 35", new: "  instance:",
             code: .unknownKey, key: "vrrp.instance", line: 35),
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
            XCTAssertEqual(e.location.file, "t.yaml")
            if let m = c.message { XCTAssertTrue(e.message.contains(m), "\(c.name): \(e.message)") }
        }
    }

    func testAReloadThatChangesVRRPIsRefused() throws {
        let running = try load(Self.base)
        let changed = try load(Self.base.replacingOccurrences(of: "priority: 200", with: "priority: 150"))
        let errors = ReloadCheck.restartOnly(running: running, runningKeys: SAKeyFingerprints(running.ipsec), new: changed)
        XCTAssertEqual(errors.map(\.key), ["vrrp"])
        XCTAssertEqual(errors.first?.location.line, 34)
        XCTAssertEqual(ReloadCheck.restartOnly(running: running, runningKeys: SAKeyFingerprints(running.ipsec),
                                               new: try load(Self.base)), [])
    }
}
