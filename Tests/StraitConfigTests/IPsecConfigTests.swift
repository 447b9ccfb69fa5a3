import StraitCore
import XCTest
@testable import StraitConfig

/// The `ipsec` section: one mistake per case, made by editing a valid base (as BadConfigTests
/// does), each asserting the only error's code, key path and line; then the values of the base.
final class IPsecConfigTests: XCTestCase {
    static let key128 = "0xa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3"
    static let key256 = "0x505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f70717273"

    /// Valid with `testFacts()`. The comments are the line numbers the cases refer to.
    static let base = """
    fast-path:                           # 1
      instance: lab                      # 2
      core-mask: "1"                     # 3
    ports:                               # 4
      - name: lan01                      # 5
        device: net_af_packet0,iface=eth1   # 6
        addresses: [10.1.0.1/24]         # 7
      - name: wan01                      # 8
        device: "0000:00:04.0"           # 9
        addresses:                       # 10
          - 192.0.2.1/24                 # 11
          - 2001:db8::1/64               # 12
    routes:                              # 13
      - prefix: 10.9.0.0/24              # 14
        via: 192.0.2.254                 # 15
    ipsec:                               # 16
      udp-port: 4501                     # 17
      sas:                               # 18
        - name: site1-out                # 19
          direction: out                 # 20
          spi: 0x00001001                # 21
          algorithm: aes128-gcm16        # 22
          key: \(key128)   # 23
          esn: true                      # 24
          local: 192.0.2.1               # 25
          remote: 192.0.2.2              # 26
          encap: udp                     # 27
          udp-ports: [4500, 4500]        # 28
          local-ts: 10.1.0.0/24          # 29
          remote-ts: 10.2.0.0/16         # 30
          lifetime:                      # 31
            soft-bytes: 1000000          # 32
            hard-bytes: 2000000          # 33
        - name: site1-in                 # 34
          direction: in                  # 35
          spi: 4098                      # 36
          algorithm: aes256-gcm16        # 37
          key: \(key256)   # 38
          replay-window: 4096            # 39
          local: 192.0.2.1               # 40
          remote: 192.0.2.2              # 41
          encap: udp                     # 42
          udp-ports: [4501, 4500]        # 43
          local-ts: 10.1.0.0/24          # 44
          remote-ts: 10.2.0.0/16         # 45
      policies:                          # 46
        - local-ts: 10.1.0.0/24          # 47
          remote-ts: 10.2.0.0/24         # 48
          protocol: tcp                  # 49
          remote-port: 443               # 50
          priority: 10                   # 51
          action: protect                # 52
          sa: site1-out                  # 53
        - local-ts: 10.1.0.0/24          # 54
          remote-ts: 10.2.9.0/24         # 55
          action: discard                # 56
      tunnel-routes:                     # 57
        - prefix: 10.2.3.0/24            # 58
          sa: site1-out                  # 59

    """

    typealias Case = BadConfigTests.Case

    /// A third SA, inserted before `policies:` (line 46), for the cases that need two alike.
    static func thirdSA(name: String = "site1-in2", spi: String = "4098", remote: String = "192.0.2.2") -> String {
        """
            - name: \(name)
              direction: in
              spi: \(spi)
              algorithm: aes128-gcm16
              key: \(key128)
              local: 192.0.2.1
              remote: \(remote)
              local-ts: 10.1.0.0/24
              remote-ts: 10.2.0.0/16

        """
    }

    static let cases: [Case] = [
        // Keys and types
        Case(name: "unknown SA key", edits: [("      esn: true", "      esm: true")],
             code: .unknownKey, key: "ipsec.sas[0].esm", line: 24, message: "did you mean 'esn'?"),
        Case(name: "unknown tunnel-route key", edits: [("      sa: site1-out                  # 59\n",
                                                         "      sa: site1-out\n      via: 192.0.2.254\n")],
             code: .unknownKey, key: "ipsec.tunnel-routes[0].via", line: 60),
        Case(name: "unknown ipsec key", edits: [("  tunnel-routes:", "  tunnel-route:"),
                                                ("    - prefix: 10.2.3.0/24            # 58\n      sa: site1-out                  # 59\n", "")],
             code: .unknownKey, key: "ipsec.tunnel-route", line: 57, message: "did you mean 'tunnel-routes'?"),
        Case(name: "yes for esn", edits: [("      esn: true", "      esn: yes")],
             code: .wrongType, key: "ipsec.sas[0].esn", line: 24, message: "write true or false"),
        Case(name: "quoted replay-window", edits: [("      replay-window: 4096", "      replay-window: \"4096\"")],
             code: .wrongType, key: "ipsec.sas[1].replay-window", line: 39),
        Case(name: "tunnel-routes not a list",
             edits: [("  tunnel-routes:                     # 57\n    - prefix: 10.2.3.0/24            # 58\n"
                      + "      sa: site1-out                  # 59\n", "  tunnel-routes: 10.2.3.0/24\n")],
             code: .wrongType, key: "ipsec.tunnel-routes", line: 57, column: 18, message: "expected a list"),
        Case(name: "udp-port 4500", edits: [("  udp-port: 4501", "  udp-port: 4500")],
             code: .invalidValue, key: "ipsec.udp-port", line: 17, message: "always accepted"),
        Case(name: "udp-port out of range", edits: [("  udp-port: 4501", "  udp-port: 70000")],
             code: .outOfRange, key: "ipsec.udp-port", line: 17),
        // Names
        Case(name: "SA name with a capital", edits: [("    - name: site1-out", "    - name: Site1-out")],
             code: .invalidValue, key: "ipsec.sas[0].name", line: 19, message: "not a valid SA name"),
        Case(name: "SA name of 33 characters", edits: [("    - name: site1-in ", "    - name: s23456789012345678901234567890123 ")],
             code: .invalidValue, key: "ipsec.sas[1].name", line: 34),
        Case(name: "SA name starting with '-'", edits: [("    - name: site1-in ", "    - name: \"-site1\" ")],
             code: .invalidValue, key: "ipsec.sas[1].name", line: 34),
        Case(name: "duplicate SA name", edits: [("    - name: site1-in ", "    - name: site1-out ")],
             code: .duplicateValue, key: "ipsec.sas[1].name", line: 34, message: "ipsec.sas[0] (line 19)"),
        Case(name: "missing SA name", edits: [("    - name: site1-in                 # 34\n      direction: in",
                                               "    - direction: in")],
             code: .missingKey, key: "ipsec.sas[1].name", line: 34),
        Case(name: "SA item that is a scalar", edits: [("  policies:                          # 46\n",
                                                        "    - \(key128)\n  policies:\n")],
             code: .wrongType, key: "ipsec.sas[2]", line: 46, message: "expected a mapping"),
        // Direction, SPI, algorithm
        Case(name: "unknown direction", edits: [("      direction: out", "      direction: both")],
             code: .invalidValue, key: "ipsec.sas[0].direction", line: 20),
        Case(name: "missing direction", edits: [("      direction: out                 # 20\n", "")],
             code: .missingKey, key: "ipsec.sas[0].direction", line: 19),
        Case(name: "SPI below 256", edits: [("      spi: 0x00001001", "      spi: 255")],
             code: .outOfRange, key: "ipsec.sas[0].spi", line: 21, message: "256...0xffffffff"),
        Case(name: "SPI above 32 bits", edits: [("      spi: 0x00001001", "      spi: 0x100000000")],
             code: .outOfRange, key: "ipsec.sas[0].spi", line: 21),
        Case(name: "SPI not a number", edits: [("      spi: 0x00001001", "      spi: 0x10g1")],
             code: .invalidValue, key: "ipsec.sas[0].spi", line: 21, message: "not an SPI"),
        Case(name: "SPI used twice for one peer and direction", edits: [("  policies:                          # 46\n",
                                                                          thirdSA() + "  policies:\n")],
             code: .duplicateValue, key: "ipsec.sas[2].spi", line: 48, message: "ipsec.sas[1] (line 36)"),
        Case(name: "inbound SPI used twice, for two peers", edits: [("  policies:                          # 46\n",
                                                                    thirdSA(remote: "192.0.2.3") + "  policies:\n")],
             code: .duplicateValue, key: "ipsec.sas[2].spi", line: 48, message: "by its SPI alone"),
        Case(name: "unknown algorithm", edits: [("      algorithm: aes128-gcm16", "      algorithm: aes128-gcm")],
             code: .invalidValue, key: "ipsec.sas[0].algorithm", line: 22, message: "did you mean"),
        Case(name: "missing algorithm", edits: [("      algorithm: aes128-gcm16        # 22\n", "")],
             code: .missingKey, key: "ipsec.sas[0].algorithm", line: 19),
        // Keys
        Case(name: "key not hex", edits: [(key128 + "   # 23", "0xa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2zz")],
             code: .invalidValue, key: "ipsec.sas[0].key", line: 23, message: "not hex: write 20 bytes for aes128-gcm16"),
        Case(name: "key of odd length", edits: [(key128 + "   # 23", String(key128.dropLast()))],
             code: .invalidValue, key: "ipsec.sas[0].key", line: 23, message: "not hex"),
        Case(name: "key too short for aes256", edits: [("      algorithm: aes128-gcm16", "      algorithm: aes256-gcm8")],
             code: .invalidValue, key: "ipsec.sas[0].key", line: 23, message: "the key has 20 bytes; expected 36 bytes"),
        Case(name: "key too long for aes128", edits: [("      algorithm: aes256-gcm16", "      algorithm: aes128-gcm12")],
             code: .invalidValue, key: "ipsec.sas[1].key", line: 38, message: "expected 20 bytes for aes128-gcm12"),
        Case(name: "key without the salt", edits: [(key128 + "   # 23", String(key128.dropLast(8)))],
             code: .invalidValue, key: "ipsec.sas[0].key", line: 23, message: "the key has 16 bytes"),
        Case(name: "missing key", edits: [("      key: \(key128)   # 23\n", "")],
             code: .missingKey, key: "ipsec.sas[0].key", line: 19),
        Case(name: "key given as a list", edits: [(key128 + "   # 23", "[1, 2]")],
             code: .wrongType, key: "ipsec.sas[0].key", line: 23),
        // Replay window
        Case(name: "replay-window on an outbound SA", edits: [("      esn: true                      # 24",
                                                               "      replay-window: 64")],
             code: .conflict, key: "ipsec.sas[0].replay-window", line: 24, message: "inbound SAs only"),
        Case(name: "replay-window above 8192", edits: [("      replay-window: 4096", "      replay-window: 16384")],
             code: .outOfRange, key: "ipsec.sas[1].replay-window", line: 39),
        Case(name: "replay-window negative", edits: [("      replay-window: 4096", "      replay-window: -64")],
             code: .outOfRange, key: "ipsec.sas[1].replay-window", line: 39),
        Case(name: "replay-window not a multiple of 64", edits: [("      replay-window: 4096", "      replay-window: 1000")],
             code: .invalidValue, key: "ipsec.sas[1].replay-window", line: 39, message: "multiple of 64"),
        // Outer addresses and UDP encapsulation
        Case(name: "local not an address of any port", edits: [("      local: 192.0.2.1               # 25", "      local: 192.0.2.9")],
             code: .notFound, key: "ipsec.sas[0].local", line: 25, message: "not an address of any port"),
        Case(name: "local IPv6", edits: [("      local: 192.0.2.1               # 25", "      local: 2001:db8::1")],
             code: .invalidValue, key: "ipsec.sas[0].local", line: 25, message: "IPv4 only"),
        Case(name: "remote not an address", edits: [("      remote: 192.0.2.2              # 26", "      remote: 192.0.2")],
             code: .invalidValue, key: "ipsec.sas[0].remote", line: 26),
        Case(name: "missing remote", edits: [("      remote: 192.0.2.2              # 41\n", "")],
             code: .missingKey, key: "ipsec.sas[1].remote", line: 34),
        Case(name: "unknown encap", edits: [("      encap: udp                     # 27", "      encap: tcp")],
             code: .invalidValue, key: "ipsec.sas[0].encap", line: 27),
        Case(name: "udp-ports without encap udp", edits: [("      encap: udp                     # 27", "      encap: none")],
             code: .conflict, key: "ipsec.sas[0].udp-ports", line: 28, message: "encap: udp"),
        Case(name: "udp-ports with one port", edits: [("      udp-ports: [4500, 4500]", "      udp-ports: [4500]")],
             code: .invalidValue, key: "ipsec.sas[0].udp-ports", line: 28, message: "two ports"),
        Case(name: "udp port 0", edits: [("      udp-ports: [4500, 4500]", "      udp-ports: [0, 4500]")],
             code: .outOfRange, key: "ipsec.sas[0].udp-ports[0]", line: 28),
        Case(name: "inbound UDP port not accepted", edits: [("  udp-port: 4501", "  udp-port: 4502")],
             code: .conflict, key: "ipsec.sas[1].udp-ports", line: 43, message: "ipsec.udp-port: 4501"),
        // Traffic selectors
        Case(name: "selector with host bits", edits: [("      local-ts: 10.1.0.0/24          # 29", "      local-ts: 10.1.0.1/24")],
             code: .invalidValue, key: "ipsec.sas[0].local-ts", line: 29, message: "not a network"),
        Case(name: "selector without length", edits: [("      local-ts: 10.1.0.0/24          # 29", "      local-ts: 10.1.0.0")],
             code: .invalidValue, key: "ipsec.sas[0].local-ts", line: 29),
        Case(name: "selectors of two families", edits: [("      remote-ts: 10.2.0.0/16         # 30", "      remote-ts: fd00:2::/48")],
             code: .conflict, key: "ipsec.sas[0].remote-ts", line: 30, message: "one family"),
        Case(name: "missing remote-ts", edits: [("      remote-ts: 10.2.0.0/16         # 45\n", "")],
             code: .missingKey, key: "ipsec.sas[1].remote-ts", line: 34),
        // Lifetimes
        Case(name: "soft lifetime not below hard", edits: [("        soft-bytes: 1000000", "        soft-bytes: 2000000")],
             code: .conflict, key: "ipsec.sas[0].lifetime.soft-bytes", line: 32, message: "must be below hard-bytes"),
        Case(name: "unknown lifetime key", edits: [("        hard-bytes: 2000000", "        hard-byte: 2000000")],
             code: .unknownKey, key: "ipsec.sas[0].lifetime.hard-byte", line: 33),
        Case(name: "negative lifetime", edits: [("        hard-bytes: 2000000", "        hard-bytes: -1")],
             code: .outOfRange, key: "ipsec.sas[0].lifetime.hard-bytes", line: 33),
        // Policies
        Case(name: "policy SA unknown", edits: [("      sa: site1-out                  # 53", "      sa: site1-ot")],
             code: .notFound, key: "ipsec.policies[0].sa", line: 53, message: "did you mean 'site1-out'?"),
        Case(name: "policy SA inbound", edits: [("      sa: site1-out                  # 53", "      sa: site1-in")],
             code: .conflict, key: "ipsec.policies[0].sa", line: 53, message: "inbound"),
        Case(name: "protect without sa", edits: [("      sa: site1-out                  # 53\n", "")],
             code: .missingKey, key: "ipsec.policies[0].sa", line: 47, message: "action protect needs 'sa'"),
        Case(name: "discard with an sa", edits: [("      action: discard                # 56\n",
                                                  "      action: discard\n      sa: site1-out\n")],
             code: .conflict, key: "ipsec.policies[1].sa", line: 57),
        Case(name: "unknown action", edits: [("      action: discard", "      action: drop")],
             code: .invalidValue, key: "ipsec.policies[1].action", line: 56),
        Case(name: "missing action", edits: [("      action: discard                # 56\n", "")],
             code: .missingKey, key: "ipsec.policies[1].action", line: 54),
        Case(name: "port selector without tcp or udp", edits: [("      protocol: tcp", "      protocol: icmp")],
             code: .conflict, key: "ipsec.policies[0].remote-port", line: 50, message: "tcp or udp"),
        Case(name: "port selector with any protocol", edits: [("      protocol: tcp                  # 49\n", "")],
             code: .conflict, key: "ipsec.policies[0].remote-port", line: 49, message: "protocol any"),
        Case(name: "unknown protocol", edits: [("      protocol: tcp", "      protocol: tpc")],
             code: .invalidValue, key: "ipsec.policies[0].protocol", line: 49, message: "did you mean 'tcp'?"),
        Case(name: "protocol number above 255", edits: [("      protocol: tcp", "      protocol: 300")],
             code: .outOfRange, key: "ipsec.policies[0].protocol", line: 49),
        Case(name: "icmpv6 with IPv4 selectors", edits: [("      action: discard                # 56\n",
                                                          "      action: discard\n      protocol: icmpv6\n")],
             code: .conflict, key: "ipsec.policies[1].protocol", line: 57),
        Case(name: "port out of range", edits: [("      remote-port: 443", "      remote-port: 65536")],
             code: .outOfRange, key: "ipsec.policies[0].remote-port", line: 50),
        Case(name: "negative priority", edits: [("      priority: 10", "      priority: -1")],
             code: .outOfRange, key: "ipsec.policies[0].priority", line: 51),
        Case(name: "policy outside its SA's selectors", edits: [("      remote-ts: 10.2.0.0/24         # 48",
                                                                 "      remote-ts: 10.3.0.0/24")],
             code: .conflict, key: "ipsec.policies[0].sa", line: 53, message: "not inside SA 'site1-out'"),
        Case(name: "policy selectors of two families", edits: [("      remote-ts: 10.2.9.0/24", "      remote-ts: fd00::/64")],
             code: .conflict, key: "ipsec.policies[1].remote-ts", line: 55),
        Case(name: "policy selector not a network", edits: [("      remote-ts: 10.2.9.0/24", "      remote-ts: 10.2.9.1/24")],
             code: .invalidValue, key: "ipsec.policies[1].remote-ts", line: 55),
        Case(name: "duplicate policy", edits: [("      remote-ts: 10.2.9.0/24         # 55\n      action: discard",
                                                "      remote-ts: 10.2.0.0/24\n      protocol: tcp\n      remote-port: 443\n"
                                                + "      action: discard")],
             code: .duplicateValue, key: "ipsec.policies[1]", line: 54, message: "ipsec.policies[0] (line 47)"),
        // Tunnel routes
        Case(name: "tunnel route with host bits", edits: [("    - prefix: 10.2.3.0/24", "    - prefix: 10.2.3.1/24")],
             code: .invalidValue, key: "ipsec.tunnel-routes[0].prefix", line: 58, message: "the network is 10.2.3.0/24"),
        Case(name: "tunnel route SA unknown", edits: [("      sa: site1-out                  # 59", "      sa: nosuch")],
             code: .notFound, key: "ipsec.tunnel-routes[0].sa", line: 59, message: "no SA is named 'nosuch'"),
        Case(name: "tunnel route SA inbound", edits: [("      sa: site1-out                  # 59", "      sa: site1-in")],
             code: .conflict, key: "ipsec.tunnel-routes[0].sa", line: 59),
        Case(name: "tunnel route outside the SA's remote-ts", edits: [("    - prefix: 10.2.3.0/24", "    - prefix: 10.3.0.0/24")],
             code: .conflict, key: "ipsec.tunnel-routes[0].prefix", line: 58, message: "outside SA 'site1-out'"),
        Case(name: "duplicate tunnel route", edits: [("      sa: site1-out                  # 59\n",
                                                      "      sa: site1-out\n    - prefix: 10.2.3.0/24\n      sa: site1-out\n")],
             code: .duplicateValue, key: "ipsec.tunnel-routes[1].prefix", line: 60, message: "line 58"),
        Case(name: "tunnel route that is also a static route", edits: [("  - prefix: 10.9.0.0/24", "  - prefix: 10.2.3.0/24")],
             code: .conflict, key: "ipsec.tunnel-routes[0].prefix", line: 58, message: "also a static route"),
        Case(name: "tunnel route without sa", edits: [("      sa: site1-out                  # 59\n", "")],
             code: .missingKey, key: "ipsec.tunnel-routes[0].sa", line: 58),
    ]

    func testEachBadIPsecConfigReportsItsError() {
        XCTAssertGreaterThanOrEqual(Self.cases.count, 60)
        for c in Self.cases {
            let text = c.configText(base: Self.base)
            let errors = loadErrors(text, source: "t.yaml")
            guard errors.count == 1, let error = errors.first else {
                XCTFail("\(c.name): expected one error, got \(errors.count):\n\(ConfigErrors(errors: errors))")
                continue
            }
            XCTAssertEqual(error.code, c.code, "\(c.name): \(error)")
            XCTAssertEqual(error.key, c.key, "\(c.name): \(error)")
            XCTAssertEqual(error.location.line, c.line, "\(c.name): \(error)")
            if let column = c.column { XCTAssertEqual(error.location.column, column, "\(c.name): \(error)") }
            if let message = c.message { XCTAssertTrue(error.message.contains(message), "\(c.name): \(error)") }
            for key in [Self.key128, Self.key256] {
                XCTAssertFalse(error.description.contains(key.dropFirst(2).prefix(16)), "\(c.name) echoes a key: \(error)")
            }
        }
    }

    func testTheBaseLoadsWithItsValues() throws {
        let config = try ConfigLoader.parse(text: Self.base, source: "t.yaml", facts: testFacts())
        let ipsec = config.ipsec
        XCTAssertEqual(ipsec.udpPort, 4501)
        XCTAssertEqual(ipsec.sas.map(\.name), ["site1-out", "site1-in"])

        let out = ipsec.sas[0]
        XCTAssertEqual(out.direction, .outbound)
        XCTAssertEqual(out.spi, 0x1001)
        XCTAssertEqual(out.spiText, "0x00001001")
        XCTAssertEqual(out.algorithm, .aes128gcm16)
        XCTAssertEqual(out.key.bytes, (0..<20).map { UInt8(0xa0 + $0) })
        XCTAssertTrue(out.esn)
        XCTAssertEqual(out.replayWindow, 0, "outbound SAs have no window")
        XCTAssertEqual(out.local, IPv4Address("192.0.2.1"))
        XCTAssertEqual(out.remote, IPv4Address("192.0.2.2"))
        XCTAssertEqual(out.encapsulation, .udp)
        XCTAssertEqual([out.udpLocalPort, out.udpRemotePort], [4500, 4500])
        XCTAssertEqual(out.localTS.description, "10.1.0.0/24")
        XCTAssertEqual(out.remoteTS.description, "10.2.0.0/16")
        XCTAssertEqual(out.lifetime, SALifetime(softBytes: 1_000_000, hardBytes: 2_000_000))
        XCTAssertEqual(out.location.line, 19)

        let inbound = ipsec.sas[1]
        XCTAssertEqual(inbound.direction, .inbound)
        XCTAssertEqual(inbound.spi, 4098)
        XCTAssertEqual(inbound.algorithm, .aes256gcm16)
        XCTAssertEqual(inbound.key.bytes.count, 36)
        XCTAssertFalse(inbound.esn)
        XCTAssertEqual(inbound.replayWindow, 4096)
        XCTAssertEqual([inbound.udpLocalPort, inbound.udpRemotePort], [4501, 4500])
        XCTAssertEqual(inbound.lifetime, SALifetime())

        XCTAssertEqual(ipsec.policies.count, 2)
        let p = ipsec.policies[0]
        XCTAssertEqual(p.localTS.description, "10.1.0.0/24")
        XCTAssertEqual(p.remoteTS.description, "10.2.0.0/24")
        XCTAssertEqual(p.proto, .tcp)
        XCTAssertEqual([p.localPort, p.remotePort], [0, 443])
        XCTAssertEqual(p.priority, 10)
        XCTAssertEqual(p.action, .protect)
        XCTAssertEqual(p.sa, "site1-out")
        XCTAssertEqual(p.location.line, 47)
        XCTAssertEqual(ipsec.policies[1].proto, .any)
        XCTAssertEqual(ipsec.policies[1].priority, 100)
        XCTAssertEqual(ipsec.policies[1].action, .discard)
        XCTAssertNil(ipsec.policies[1].sa)

        XCTAssertEqual(ipsec.tunnelRoutes.map(\.prefix.description), ["10.2.3.0/24"])
        XCTAssertEqual(ipsec.tunnelRoutes.map(\.sa), ["site1-out"])
        XCTAssertEqual(ipsec.tunnelRoutes.first?.location.line, 58)
    }

    func testDefaultsOfAMinimalSA() throws {
        let text = """
        fast-path:
          core-mask: "1"
        ports:
          - name: wan01
            device: net_null0
            addresses: [192.0.2.1/24]
        ipsec:
          sas:
            - name: a
              direction: in
              spi: 256
              algorithm: aes128-gcm8
              key: A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3
              local: 192.0.2.1
              remote: 198.51.100.7
              local-ts: fd00:1::/64
              remote-ts: ::/0
            - name: "0"
              direction: in
              spi: 257
              algorithm: aes128-gcm8
              key: 0XA0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3
              replay-window: 0
              local: 192.0.2.1
              remote: 198.51.100.7
              local-ts: fd00:1::/64
              remote-ts: ::/0
            - name: b
              direction: out
              spi: 256
              algorithm: aes256-gcm12
              key: 0x505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f70717273
              local: 192.0.2.1
              remote: 198.51.100.8
              local-ts: fd00:1::/64
              remote-ts: ::/0
            - name: c
              direction: out
              spi: 256
              algorithm: aes256-gcm12
              key: 0x505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f70717273
              local: 192.0.2.1
              remote: 198.51.100.9
              local-ts: fd00:1::/64
              remote-ts: ::/0
          policies:
            - local-ts: 0.0.0.0/0
              remote-ts: 0.0.0.0/0
              protocol: 50
              action: bypass
        """
        let config = try ConfigLoader.parse(text: text, source: "min.yaml", facts: testFacts())
        let sa = config.ipsec.sas[0]
        XCTAssertNil(config.ipsec.udpPort)
        XCTAssertEqual(sa.replayWindow, 1024)
        XCTAssertFalse(sa.esn)
        XCTAssertEqual(sa.encapsulation, .plain)
        XCTAssertEqual([sa.udpLocalPort, sa.udpRemotePort], [4500, 4500])
        XCTAssertEqual(sa.key.bytes.first, 0xa0)
        XCTAssertEqual(sa.algorithm.icvBytes, 8)
        XCTAssertEqual(config.ipsec.sas[1].replayWindow, 0, "0 disables the check")
        XCTAssertEqual(config.ipsec.sas.map(\.spi), [256, 257, 256, 256],
                       "an inbound and an outbound SA, and two outbound SAs to two peers, may share an SPI")
        XCTAssertEqual(config.ipsec.policies[0].proto.number, 50)
        XCTAssertEqual(config.ipsec.policies[0].proto.description, "50")
        XCTAssertEqual(config.ipsec.policies[0].priority, IPsecDefaults.policyPriority)
    }

    func testNoIPsecSectionIsAnEmptyOne() throws {
        let bare = try ConfigLoader.parse(text: BadConfigTests.base, source: "t.yaml", facts: testFacts())
        XCTAssertTrue(bare.ipsec.isEmpty)
        let empty = try ConfigLoader.parse(text: BadConfigTests.base + "ipsec:\n  sas:\n  policies: []\n", source: "t.yaml",
                                           facts: testFacts())
        XCTAssertTrue(empty.ipsec.isEmpty)
        XCTAssertEqual(empty.redactedText, empty.text)
    }

    func testAlgorithms() {
        XCTAssertEqual(SAAlgorithm.allCases.map(\.rawValue),
                       ["aes128-gcm16", "aes128-gcm12", "aes128-gcm8", "aes256-gcm16", "aes256-gcm12", "aes256-gcm8"])
        XCTAssertEqual(SAAlgorithm.allCases.map(\.keyingMaterialBytes), [20, 20, 20, 36, 36, 36])
        XCTAssertEqual(SAAlgorithm(keyBytes: 32, icvBytes: 12), .aes256gcm12)
        XCTAssertNil(SAAlgorithm(keyBytes: 24, icvBytes: 16))
        XCTAssertEqual(IPsecDefaults.spiText(0x1001), "0x00001001")
        XCTAssertEqual(IPsecDefaults.spiText(UInt32.max), "0xffffffff")
    }

    func testValueRules() {
        for good in ["a", "0", "site1-out", "a_b", String(repeating: "x", count: 32)] {
            XCTAssertTrue(IPsecValues.isSAName(good), good)
        }
        for bad in ["", "-a", "_a", "A", "a.b", "a b", String(repeating: "x", count: 33), "é"] {
            XCTAssertFalse(IPsecValues.isSAName(bad), bad)
        }
        XCTAssertEqual(try? IPsecValues.spi("0x00001001").get(), 0x1001)
        XCTAssertEqual(try? IPsecValues.spi("4294967295").get(), UInt32.max)
        for bad in ["", "0x", "-256", "+256", "0256", "1e3", "0x1_00"] { XCTAssertNil(try? IPsecValues.spi(bad).get(), bad) }
        XCTAssertEqual(IPsecValues.hexBytes("0x00ff10"), [0, 255, 16])
        XCTAssertEqual(IPsecValues.hexBytes("ABcd"), [0xab, 0xcd])
        for bad in ["", "0x", "0xabc", "0x0g", "ab cd", "0xé1"] { XCTAssertNil(IPsecValues.hexBytes(bad), bad) }
    }
}

extension BadConfigTests.Case {
    /// `base` with each `(old, new)` applied; `old` must occur exactly once.
    func configText(base: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        if let text { return text }
        var result = base
        for (old, new) in edits {
            let parts = result.components(separatedBy: old)
            XCTAssertEqual(parts.count, 2, "\(name): '\(old)' must occur once in the base", file: file, line: line)
            result = parts.joined(separator: new)
        }
        return result
    }
}
