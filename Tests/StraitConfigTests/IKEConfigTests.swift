import StraitCore
import XCTest
@testable import StraitConfig

/// The `ike` section: one mistake per case, made by editing a valid base (as BadConfigTests
/// does), each asserting the only error's code, key path and line; then the values of the base.
final class IKEConfigTests: XCTestCase {
    static let psk = "0sdGVzdHRlc3R0ZXN0dGVzdA=="   // "testtesttesttest", 16 bytes
    static let hexSecret = "0x000102030405060708090a0b0c0d0e0f"
    static let plainSecret = "a plain secret of 24 b"

    /// The files the base names, and two that are not readable certificates.
    static let files: [String: SystemFacts.FileAccess] = [
        "/etc/strait/gw.pem": .readable, "/etc/strait/gw.key": .readable, "/etc/strait/ca.pem": .readable,
        "/etc/strait/secret.key": .unreadable("permission denied"), "/etc/strait": .notAFile,
    ]
    static let facts = testFacts(files: files)

    /// Valid with `facts`. The comments are the line numbers the cases refer to.
    static let base = """
    fast-path:                           # 1
      instance: lab                      # 2
      core-mask: "1"                     # 3
    ports:                               # 4
      - name: lan01                      # 5
        device: net_af_packet0,iface=eth1   # 6
        addresses: [10.1.0.1/24, fd00:1::1/64]   # 7
      - name: wan01                      # 8
        device: "0000:00:04.0"           # 9
        addresses:                       # 10
          - 192.0.2.1/24                 # 11
          - 2001:db8::1/64               # 12
    ipsec:                               # 13
      udp-port: 4501                     # 14
    ike:                                 # 15
      listen:                            # 16
        ports: [500, 4500, 4501]         # 17
      limits:                            # 18
        half-open: 2000                  # 19
        cookie-threshold: 100            # 20
        queue: 1024                      # 21
      retransmit:                        # 22
        timeout: 500ms                   # 23
        tries: 3                         # 24
        base: 2                          # 25
      ike-policy-templates:              # 26
        - name: ike-a                    # 27
          proposals:                     # 28
            - aes128gcm16-prfsha256-x25519   # 29
            - aes256-sha384-ecp384-modp2048  # 30
          unique-sa: keep                # 31
          rekey-time: 4h                 # 32
          reauth-time: 1d                # 33
          over-time: 10m                 # 34
          rand-time: 5m                  # 35
          mobike: false                  # 36
          fragmentation: true            # 37
          dpd: { interval: 30s, timeout: 150s }   # 38
        - name: ike-b                    # 39
          proposals: [aes256gcm16-prfsha384-ecp384]   # 40
      ipsec-policy-templates:            # 41
        - name: esp-a                    # 42
          proposals:                     # 43
            - aes128gcm16-esn            # 44
            - aes256gcm16-x25519-esn-noesn   # 45
          replay-window: 4096            # 46
          rekey-time: 1h                 # 47
          life-time: 2h                  # 48
          rand-time: 5m                  # 49
          rekey-bytes: 10GB              # 50
          life-bytes: 11GiB              # 51
          rekey-packets: 1000000         # 52
          life-packets: 0                # 53
          start-action: none             # 54
          close-action: none             # 55
          dpd-action: clear              # 56
          encap: udp                     # 57
        - name: esp-start                # 58
          proposals: [aes128gcm16]       # 59
          start-action: start            # 60
      vpns:                              # 61
        - name: sites                    # 62
          ike-policy: ike-a              # 63
          ipsec-policy: esp-a            # 64
          local-address: 192.0.2.1       # 65
          remote-address: any            # 66
          local-id: gw.example.net       # 67
          remote-id: "*.sites.example.net"   # 68
          local-auth: { method: psk }    # 69
          remote-auth: { method: psk }   # 70
          psk: \(psk)   # 71
          security-policies:             # 72
            - name: lan                  # 73
              local-ts: [10.1.0.0/24, fd00:1::/64]   # 74
              remote-ts: [10.128.0.0/9, fd00:8000::/33]   # 75
            - name: dns                  # 76
              local-ts: ["10.1.0.53/32[udp/53]"]   # 77
              remote-ts: [10.128.0.0/9]  # 78
              ipsec-policy: esp-a        # 79
        - name: hq                       # 80
          ike-policy: ike-b              # 81
          local-address: 192.0.2.1       # 82
          remote-address: 198.51.100.7   # 83
          remote-id: "C=CH, O=Example, CN=hq"   # 84
          local-auth:                    # 85
            method: certificate          # 86
            certificate: /etc/strait/gw.pem   # 87
            private-key: /etc/strait/gw.key   # 88
          remote-auth:                   # 89
            method: certificate          # 90
            ca: [/etc/strait/ca.pem]     # 91
          security-policies:             # 92
            - name: all                  # 93
              local-ts: [10.1.0.0/24]    # 94
              remote-ts: [10.200.0.0/16] # 95
              ipsec-policy: esp-start    # 96
      psks:                              # 97
        - ids: [site1.sites.example.net, 192.0.2.77]   # 98
          secret: \(hexSecret)   # 99
        - ids: [alice@sites.example.net] # 100
          secret: \(plainSecret)   # 101
          allow-weak-psk: false          # 102

    """

    typealias Case = BadConfigTests.Case

    func testEachBadIKEConfigReportsItsError() {
        let cases = Self.sectionCases + Self.templateCases + Self.vpnCases + Self.policyCases
        XCTAssertGreaterThanOrEqual(cases.count, 100)
        XCTAssertEqual(Set(cases.map(\.name)).count, cases.count, "case names are unique")
        for c in cases {
            let errors = loadErrors(c.configText(base: Self.base), source: "t.yaml", facts: Self.facts)
            guard errors.count == 1, let error = errors.first else {
                XCTFail("\(c.name): expected one error, got \(errors.count):\n\(ConfigErrors(errors: errors))")
                continue
            }
            XCTAssertEqual(error.code, c.code, "\(c.name): \(error)")
            XCTAssertEqual(error.key, c.key, "\(c.name): \(error)")
            XCTAssertEqual(error.location.line, c.line, "\(c.name): \(error)")
            XCTAssertEqual(error.location.file, "t.yaml", c.name)
            if let column = c.column { XCTAssertEqual(error.location.column, column, "\(c.name): \(error)") }
            if let message = c.message { XCTAssertTrue(error.message.contains(message), "\(c.name): \(error)") }
            for secret in [Self.psk, "dGVzdHRlc3R0ZXN0", Self.plainSecret, "0405060708090a0b", "short-secret", "too short"] {
                XCTAssertFalse(error.description.contains(secret), "\(c.name) echoes a secret: \(error)")
            }
        }
    }

    func testTheBaseLoadsWithItsValues() throws {
        let config = try ConfigLoader.parse(text: Self.base, source: "t.yaml", facts: Self.facts)
        let ike = config.ike
        XCTAssertEqual(ike.listen.ports, [500, 4500, 4501])
        XCTAssertEqual(ike.listen.natTraversalPorts, [4500, 4501])
        XCTAssertEqual(ike.limits, IKELimits(halfOpen: 2000, cookieThreshold: 100, queue: 1024))
        XCTAssertEqual(ike.retransmit, IKERetransmit(timeout: .milliseconds(500), tries: 3, base: 2))
        XCTAssertEqual(ike.retransmit.giveUpAfter, .milliseconds(500 + 1000 + 2000 + 4000))

        let a = try XCTUnwrap(ike.ikePolicyTemplate(named: "ike-a"))
        XCTAssertEqual(a.proposals.map(\.description), ["aes128gcm16-prfsha256-x25519", "aes256-sha384-prfsha384-ecp384-modp2048"])
        XCTAssertEqual(a.proposals[1], IKEProposal(encryption: [.aes256CBC], integrity: [.hmacSHA384_192], prf: [.hmacSHA384],
                                                   groups: [.ecp384, .modp2048]))
        XCTAssertEqual(a.uniqueSA, .keep)
        XCTAssertEqual([a.rekeyTime, a.reauthTime, a.overTime, a.randTime], [.seconds(14400), .seconds(86400), .seconds(600), .seconds(300)])
        XCTAssertEqual(a.lifeTime, .seconds(86400 + 600))
        XCTAssertFalse(a.mobike)
        XCTAssertTrue(a.fragmentation)
        XCTAssertEqual(a.dpd, IKEDPD(interval: .seconds(30), timeout: .seconds(150)))
        XCTAssertEqual(a.location.line, 27)
        let b = try XCTUnwrap(ike.ikePolicyTemplate(named: "ike-b"))
        XCTAssertEqual(b.uniqueSA, .replace)
        XCTAssertEqual([b.rekeyTime, b.reauthTime, b.overTime, b.randTime], [.seconds(14400), .zero, .seconds(1440), .seconds(1440)])
        XCTAssertTrue(b.mobike && b.fragmentation && b.dpd.isEnabled)

        let esp = try XCTUnwrap(ike.ipsecPolicyTemplate(named: "esp-a"))
        XCTAssertEqual(esp.proposals, [ESPProposal(encryption: [.aes128GCM16], esn: [.esn]),
                                       ESPProposal(encryption: [.aes256GCM16], groups: [.curve25519], esn: [.esn, .noESN])])
        XCTAssertEqual(esp.replayWindow, 4096)
        XCTAssertEqual([esp.rekeyTime, esp.lifeTime, esp.randTime], [.seconds(3600), .seconds(7200), .seconds(300)])
        XCTAssertEqual([esp.rekeyBytes, esp.lifeBytes], [10_000_000_000, 11 << 30])
        XCTAssertEqual([esp.rekeyPackets, esp.lifePackets], [1_000_000, 1_100_000], "life-packets 0: rekey + 10%")
        XCTAssertEqual([esp.startAction, esp.closeAction], [.none, .none])
        XCTAssertEqual(esp.dpdAction, .clear)
        XCTAssertEqual(esp.encapsulation, .udp)
        XCTAssertFalse(esp.initiates)
        let start = try XCTUnwrap(ike.ipsecPolicyTemplate(named: "esp-start"))
        XCTAssertEqual([start.rekeyTime, start.lifeTime, start.randTime], [.seconds(3600), .seconds(3960), .seconds(360)])
        XCTAssertEqual([start.rekeyBytes, start.lifeBytes], [0, 0])
        XCTAssertEqual(start.replayWindow, 1024)
        XCTAssertEqual(start.proposals.first?.esn, [.noESN])
        XCTAssertEqual(start.encapsulation, .auto)
        XCTAssertTrue(start.initiates)

        XCTAssertEqual(ike.vpns.map(\.name), ["sites", "hq"])
        let sites = ike.vpns[0]
        XCTAssertEqual(sites.ikePolicy, "ike-a")
        XCTAssertEqual(sites.ipsecPolicy, "esp-a")
        XCTAssertEqual(sites.localAddress, IPAddress("192.0.2.1"))
        XCTAssertEqual(sites.remoteAddress, .any)
        XCTAssertEqual(sites.localID, .fqdn("gw.example.net"))
        XCTAssertEqual(sites.remoteID, .fqdn("*.sites.example.net"))
        XCTAssertEqual(sites.localAuth, .psk)
        XCTAssertEqual(sites.psk?.bytes, Array("testtesttesttest".utf8))
        XCTAssertTrue(sites.usesPSK)
        XCTAssertEqual(sites.securityPolicies.map(\.name), ["lan", "dns"])
        XCTAssertEqual(sites.securityPolicies.map(\.ipsecPolicy), ["esp-a", "esp-a"])
        XCTAssertEqual(sites.securityPolicies[0].localTS.map(\.description), ["10.1.0.0/24", "fd00:1::/64"])
        XCTAssertEqual(sites.securityPolicies[1].localTS,
                       [TrafficSelector(prefix: try XCTUnwrap(IPPrefix("10.1.0.53/32")), proto: .udp, ports: 53...53)])
        XCTAssertEqual(sites.securityPolicies[1].location.line, 76)
        XCTAssertEqual(sites.location.line, 62)

        let hq = ike.vpns[1]
        XCTAssertNil(hq.ipsecPolicy)
        XCTAssertEqual(hq.remoteAddress, .address(try XCTUnwrap(IPAddress("198.51.100.7"))))
        XCTAssertEqual(hq.remoteAddress.initiatorTarget, IPAddress("198.51.100.7"))
        XCTAssertEqual(hq.localID, .ipv4(try XCTUnwrap(IPv4Address("192.0.2.1"))), "local-id defaults to local-address")
        XCTAssertEqual(hq.remoteID, .distinguishedName([.init(attribute: "C", value: "CH"), .init(attribute: "O", value: "Example"),
                                                        .init(attribute: "CN", value: "hq")]))
        XCTAssertEqual(hq.localAuth, .certificate(certificate: "/etc/strait/gw.pem", privateKey: "/etc/strait/gw.key"))
        XCTAssertEqual(hq.remoteAuth, .certificate(ca: ["/etc/strait/ca.pem"]))
        XCTAssertNil(hq.psk)
        XCTAssertFalse(hq.usesPSK)
        XCTAssertEqual(hq.securityPolicies.map(\.ipsecPolicy), ["esp-start"])

        XCTAssertEqual(ike.psks.count, 2)
        XCTAssertEqual(ike.psks[0].ids, [.fqdn("site1.sites.example.net"), .ipv4(try XCTUnwrap(IPv4Address("192.0.2.77")))])
        XCTAssertEqual(ike.psks[0].secret.bytes, Array(0...15))
        XCTAssertEqual(ike.psks[1].ids, [.rfc822("alice@sites.example.net")])
        XCTAssertEqual(ike.psks[1].secret.bytes, Array(Self.plainSecret.utf8))
        XCTAssertEqual(ike.psk(for: sites, remoteID: .fqdn("SITE1.sites.example.net")), ike.psks[0].secret)
        XCTAssertEqual(ike.psk(for: sites, remoteID: .fqdn("site2.sites.example.net")), sites.psk)
        XCTAssertFalse(ike.isEmpty)
        XCTAssertTrue(config.description.contains("VPNs: 2"), config.description)
    }

    func testNoIKESectionIsAnEmptyOne() throws {
        let bare = try ConfigLoader.parse(text: BadConfigTests.base, source: "t.yaml", facts: testFacts())
        XCTAssertTrue(bare.ike.isEmpty)
        XCTAssertEqual(bare.ike.listen.ports, [500, 4500])
        for section in ["ike:\n", "ike: {}\n", "ike:\n  vpns: []\n  psks:\n"] {
            let empty = try ConfigLoader.parse(text: BadConfigTests.base + section, source: "t.yaml", facts: testFacts())
            XCTAssertTrue(empty.ike.isEmpty, section)
            XCTAssertEqual(empty.redactedText, empty.text)
        }
    }

    /// PSK coverage by `psks`, weak PSKs allowed, modp1024 allowed, defaults of a minimal VPN.
    func testOptInsAndCoverage() throws {
        // The VPN's psk may go when psks holds an identity its remote-id matches.
        let covered = Self.base.replacingOccurrences(of: "      psk: \(Self.psk)   # 71\n", with: "")
        let config = try ConfigLoader.parse(text: covered, source: "t.yaml", facts: Self.facts)
        XCTAssertNil(config.ike.vpns[0].psk)
        XCTAssertEqual(config.ike.psk(for: config.ike.vpns[0], remoteID: .fqdn("site1.sites.example.net"))?.bytes.count, 16)
        XCTAssertNil(config.ike.psk(for: config.ike.vpns[0], remoteID: .fqdn("site2.sites.example.net")))

        let weak = Self.base.replacingOccurrences(of: "      psk: \(Self.psk)   # 71\n",
                                                  with: "      psk: short-secret\n      allow-weak-psk: true\n")
            .replacingOccurrences(of: "    - aes256-sha384-ecp384-modp2048  # 30\n",
                                  with: "    - aes256-sha384-modp1024\n      allow-modp1024: true\n")
        let w = try ConfigLoader.parse(text: weak, source: "t.yaml", facts: Self.facts)
        XCTAssertEqual(w.ike.vpns[0].psk?.bytes.count, 12)
        XCTAssertTrue(w.ike.vpns[0].allowWeakPSK)
        XCTAssertEqual(w.ike.ikePolicyTemplates[0].proposals[1].groups, [.modp1024])
        XCTAssertTrue(w.ike.ikePolicyTemplates[0].allowMODP1024)
    }
}
