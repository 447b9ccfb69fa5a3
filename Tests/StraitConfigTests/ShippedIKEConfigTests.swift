import StraitCore
import XCTest
@testable import StraitConfig

/// conf/ike-concentrator.yaml: a wildcard-remote IKEv2 VPN with PSKs, and its commented certificate variant.
final class ShippedIKEConfigTests: XCTestCase {
    static let file = "conf/ike-concentrator.yaml"
    static let certificateFiles: [String: SystemFacts.FileAccess] = [
        "/etc/strait/ike/gw.example.net.pem": .readable, "/etc/strait/ike/gw.example.net.key": .readable,
        "/etc/strait/ike/sites-ca.pem": .readable,
    ]
    private let facts = testFacts(cpus: [0, 1, 2, 3], interfaces: [], pci: ["0000:00:04.0", "0000:00:05.0"])

    private func text() throws -> String { try String(contentsOfFile: repositoryFile(Self.file), encoding: .utf8) }

    func testTheConcentratorLoads() throws {
        let config = try ConfigLoader.load(path: repositoryFile(Self.file), facts: facts)
        let ike = config.ike
        XCTAssertEqual(config.fastPath.instance, "concentrator")
        XCTAssertEqual(ike.listen.ports, [500, 4500])
        XCTAssertEqual(ike.limits, IKELimits(halfOpen: 5000, cookieThreshold: 500, queue: 4096))
        XCTAssertEqual(ike.retransmit, IKERetransmit(timeout: .seconds(2), tries: 5, base: 1.8))
        XCTAssertEqual(ike.ikePolicyTemplates.map(\.name), ["ike-default"])
        XCTAssertEqual(ike.ipsecPolicyTemplates.map(\.name), ["esp-default", "esp-pfs"])

        let vpn = try XCTUnwrap(ike.vpn(named: "sites"))
        XCTAssertEqual(ike.vpns.count, 1, "the certificate variant is commented out")
        XCTAssertEqual(vpn.localAddress, IPAddress("192.0.2.1"))
        XCTAssertEqual(vpn.remoteAddress, .any)
        XCTAssertEqual(vpn.localID, .fqdn("gw.example.net"))
        XCTAssertEqual(vpn.remoteID, .fqdn("*.sites.example.net"))
        XCTAssertEqual([vpn.localAuth, vpn.localAuth], [.psk, .psk])
        XCTAssertEqual(vpn.remoteAuth, .psk)
        XCTAssertEqual(vpn.psk?.bytes, Array("EXAMPLE-ONLY-sites-shared-key!!".utf8))
        XCTAssertEqual(vpn.securityPolicies.map(\.name), ["lan", "servers"])
        XCTAssertEqual(vpn.securityPolicies.map(\.ipsecPolicy), ["esp-default", "esp-pfs"])
        XCTAssertEqual(vpn.securityPolicies[0].localTS.map(\.description), ["10.1.0.0/16", "fd00:1::/48"])
        XCTAssertEqual(vpn.securityPolicies[1].localTS.map(\.description), ["172.16.10.0/24[tcp/443]"])

        // Every site of the VPN matches; the listed ones have their own secret.
        let site1 = IKEIdentity.fqdn("site1.sites.example.net"), site9 = IKEIdentity.fqdn("site9.sites.example.net")
        XCTAssertTrue(vpn.remoteID.matches(site9))
        XCTAssertFalse(vpn.remoteID.matches(.fqdn("a.site9.sites.example.net")))
        XCTAssertEqual(ike.psk(for: vpn, remoteID: site9), vpn.psk)
        XCTAssertEqual(ike.psk(for: vpn, remoteID: site1)?.bytes.count, 20)
        XCTAssertNotEqual(ike.psk(for: vpn, remoteID: site1), vpn.psk)
        XCTAssertEqual(ike.psk(for: vpn, remoteID: .fqdn("site2-backup.sites.example.net")),
                       ike.psk(for: vpn, remoteID: .fqdn("Site2.Sites.Example.Net")))

        for secret in ["RVhBTVBMRS1PTkxZLXNpdGVzLXNoYXJlZC1rZXkhIQ==", "26a196e90260ac1e", "RVhBTVBMRS1PTkxZLXNpdGUyLWtleS0wMTIz"] {
            XCTAssertTrue(config.text.contains(secret))
            XCTAssertFalse(config.redactedText.contains(secret), secret)
        }
        let placeholders = { (text: String) in text.components(separatedBy: "<redacted>").count - 1 }
        XCTAssertEqual(placeholders(config.redactedText) - placeholders(config.text), 3, "one psk, two secrets")
    }

    /// The commented-out certificate VPN is valid once uncommented (with its files there).
    func testTheCertificateVariantLoads() throws {
        let lines = try text().components(separatedBy: "\n")
        let start = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("    # - name: sites-cert") })
        var uncommented = lines
        var i = start
        while i < lines.count, lines[i].hasPrefix("    # ") {
            uncommented[i] = "    " + lines[i].dropFirst(6)
            i += 1
        }
        let variant = uncommented.joined(separator: "\n")
        let files = testFacts(cpus: [0, 1, 2, 3], interfaces: [], pci: ["0000:00:04.0", "0000:00:05.0"], files: Self.certificateFiles)
        let config = try ConfigLoader.parse(text: variant, source: "variant.yaml", facts: files)
        let vpn = try XCTUnwrap(config.ike.vpn(named: "sites-cert"))
        XCTAssertEqual(vpn.localAuth, .certificate(certificate: "/etc/strait/ike/gw.example.net.pem",
                                                   privateKey: "/etc/strait/ike/gw.example.net.key"))
        XCTAssertEqual(vpn.remoteAuth, .certificate(ca: ["/etc/strait/ike/sites-ca.pem"]))
        XCTAssertNil(vpn.psk)
        XCTAssertEqual(vpn.localID.description, "C=CH, O=Example, CN=gw.example.net")
        XCTAssertTrue(vpn.remoteID.matches(.distinguishedName([.init(attribute: "C", value: "CH"),
                                                               .init(attribute: "O", value: "example"),
                                                               .init(attribute: "CN", value: "site1")])))
        // Without the files, each one is named.
        let errors = loadErrors(variant, facts: facts)
        XCTAssertEqual(errors.map(\.code), [.notFound, .notFound, .notFound])
        XCTAssertEqual(errors.map(\.key), ["ike.vpns[1].local-auth.certificate", "ike.vpns[1].local-auth.private-key",
                                           "ike.vpns[1].remote-auth.ca[0]"])
        XCTAssertTrue(errors[0].message.contains("/etc/strait/ike/gw.example.net.pem"), errors[0].message)
    }
}
