import Foundation
import XCTest
@testable import StraitConfig

/// A concentrator terminates thousands of tunnels: a file of 10,000 SAs must load quickly.
final class IPsecScaleTests: XCTestCase {
    /// 10,000 SAs (5,000 peers, one SA each way), a policy and a tunnel route for 1,000 of them.
    static func bigConfig(sas count: Int = 10_000, policies: Int = 1_000) -> String {
        var text = RedactionTests.header + "ipsec:\n  sas:\n"
        text.reserveCapacity(count * 400)
        for i in 0..<count {
            let peer = i / 2, out = i % 2 == 0
            let key = "0x" + String(repeating: String(format: "%08x", UInt32(truncatingIfNeeded: i &* 2_654_435_761)), count: 5)
            text += """
                - name: sa\(i)
                  direction: \(out ? "out" : "in")
                  spi: \(IPsecDefaults.spiText(UInt32(0x1000 + i)))
                  algorithm: aes128-gcm16
                  key: \(key)
                  esn: true
                  local: 192.0.2.1
                  remote: 198.51.\(peer / 250).\(peer % 250 + 1)
                  encap: udp
                  udp-ports: [4500, 4500]
                  local-ts: 10.0.0.0/16
                  remote-ts: 10.\(100 + peer / 250).\(peer % 250).0/24

            """
        }
        text += "  policies:\n"
        for p in 0..<policies {
            text += "    - {local-ts: 10.0.0.0/16, remote-ts: 10.\(100 + p / 250).\(p % 250).0/24, action: protect, sa: sa\(2 * p)}\n"
        }
        text += "  tunnel-routes:\n"
        for p in 0..<policies {
            text += "    - {prefix: 10.\(100 + p / 250).\(p % 250).128/25, sa: sa\(2 * p)}\n"
        }
        return text
    }

    /// Debug build, as `swift test` runs it (about 1.2 s on an idle 2-core box). The best of
    /// three loads, so that a busy machine (a parallel build) does not fail it.
    func testTenThousandSAsLoadInUnderTwoSeconds() throws {
        let text = Self.bigConfig()
        var loaded: StraitConfig?
        var seconds = Double.infinity
        for _ in 0..<3 {
            let start = Date()
            loaded = try ConfigLoader.parse(text: text, source: "big.yaml", facts: testFacts())
            seconds = min(seconds, Date().timeIntervalSince(start))
        }
        let config = try XCTUnwrap(loaded)
        XCTAssertEqual(config.ipsec.sas.count, 10_000)
        XCTAssertEqual(config.ipsec.policies.count, 1_000)
        XCTAssertEqual(config.ipsec.tunnelRoutes.count, 1_000)
        XCTAssertEqual(config.redactedText.components(separatedBy: "key: <redacted>").count, 10_001)
        XCTAssertLessThan(seconds, 2.0, "10k SAs took \(seconds) s")
        print("IPsecScaleTests: 10,000 SAs, 1,000 policies and 1,000 tunnel routes (\(text.utf8.count) bytes) loaded in \(String(format: "%.3f", seconds)) s")
    }

    func testErrorsInABigFileStayCheap() {
        // Every SA has the same SPI for the same peer: 9,999 duplicates, reported without quadratic work.
        let text = Self.bigConfig(sas: 4_000, policies: 0)
            .replacingOccurrences(of: #"spi: 0x0000[0-9a-f]{4}"#, with: "spi: 0x00001000", options: .regularExpression)
            .replacingOccurrences(of: #"remote: 198\.51\.[0-9]+\.[0-9]+"#, with: "remote: 198.51.100.1", options: .regularExpression)
        let start = Date()
        let errors = loadErrors(text, source: "dup.yaml")
        XCTAssertEqual(errors.count, 3_998)
        XCTAssertTrue(errors.allSatisfy { $0.code == .duplicateValue && $0.key.hasSuffix(".spi") })
        XCTAssertLessThan(Date().timeIntervalSince(start), 5.0)
    }
}
