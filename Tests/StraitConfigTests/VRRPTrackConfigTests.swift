import StraitCore
import XCTest
@testable import StraitConfig

/// `vrrp` tracking, startup delay and paced GARP keys, on VRRPConfigTests' base.
final class VRRPTrackConfigTests: XCTestCase {
    static let base = VRRPConfigTests.base.replacingOccurrences(of: "      garp: { count: 3, refresh: 0 } # 45", with: """
          garp: { count: 3, refresh: 0, interval: 200ms }
          startup-delay: 5s
          track: { ports: [wan01, { name: lan01, weight: -50 }], fast-path: -100 }
    """).replacingOccurrences(of: "  groups:                            # 55", with: """
      startup-delay: 2s
      track-interval: 50ms
      worker-stuck-after: 1s
      groups:
    """)

    func load(_ text: String) throws -> StraitConfig { try ConfigLoader.parse(text: text, source: "t.yaml", facts: testFacts()) }

    func testTheKeysLoad() throws {
        let v = try load(Self.base).vrrp
        let wan = v.instances[0]
        XCTAssertEqual(wan.garpInterval, 20)
        XCTAssertEqual(wan.startupDelay, 500)
        XCTAssertEqual(wan.track, VRRPTrackConfig(ports: [.init(name: "wan01"), .init(name: "lan01", effect: .weight(-50))],
                                                  fastPath: .weight(-100)))
        XCTAssertNil(v.instances[1].startupDelay, "the section's applies")
        XCTAssertEqual(v.instances[1].track, VRRPTrackConfig())
        XCTAssertEqual(v.startupDelay, 200)
        XCTAssertEqual(v.trackInterval, 5)
        XCTAssertEqual(v.workerStuckAfter, 100)
        let plain = try load(VRRPConfigTests.base).vrrp
        XCTAssertEqual([plain.trackInterval, plain.workerStuckAfter, plain.startupDelay], [10, 50, 0])
        let fault = try load(Self.base.replacingOccurrences(of: "fast-path: -100", with: "fast-path: fault")).vrrp
        XCTAssertEqual(fault.instances[0].track.fastPath, .fault)
    }

    func testMistakes() {
        let cases: [(old: String, new: String, key: String, code: ConfigError.Code)] = [
            ("[wan01, {", "[wan02, {", "vrrp.instances[0].track.ports[0]", .notFound),
            ("weight: -50", "weight: 10", "vrrp.instances[0].track.ports[1].weight", .outOfRange),
            ("name: lan01, weight", "name: wan01, weight", "vrrp.instances[0].track.ports[1].name", .duplicateValue),
            ("fast-path: -100", "fast-path: often", "vrrp.instances[0].track.fast-path", .wrongType),
            ("fast-path: -100", "fast-pth: -100", "vrrp.instances[0].track.fast-pth", .unknownKey),
            ("priority: 200", "priority: 255", "vrrp.instances[0].track.fast-path", .conflict),
            ("interval: 200ms", "interval: 2s", "vrrp.instances[0].garp.interval", .outOfRange),
            ("track-interval: 50ms", "track-interval: 5s", "vrrp.track-interval", .outOfRange),
        ]
        for c in cases {
            XCTAssertEqual(Self.base.components(separatedBy: c.old).count, 2, "'\(c.old)' must occur once")
            let errors = loadErrors(Self.base.replacingOccurrences(of: c.old, with: c.new))
            XCTAssertTrue(errors.contains { $0.key == c.key && $0.code == c.code }, "\(c.new): \(errors)")
        }
    }
}
