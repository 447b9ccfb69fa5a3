import Foundation
import StraitCore
import XCTest
@testable import StraitConfig

/// The values under the `ike` section: proposals, identities, durations, byte counts, traffic
/// selectors, PSKs, template defaults, the retransmission schedule, file checks.
final class IKEValueTests: XCTestCase {
    func testIKEProposals() throws {
        let good: [(String, String)] = [
            ("aes128gcm16-prfsha256-x25519", "aes128gcm16-prfsha256-x25519"),
            ("x25519-prfsha256-aes128gcm", "aes128gcm16-prfsha256-x25519"),          // any order; aes128gcm = gcm16
            ("aes256gcm-prfsha384-curve25519-ecp384", "aes256gcm16-prfsha384-x25519-ecp384"),
            ("aes128-sha256-modp2048", "aes128-sha256-prfsha256-modp2048"),          // PRF from integrity
            ("aes128-aes256-sha2_256-sha512-ecp256", "aes128-aes256-sha256-sha512-prfsha256-prfsha512-ecp256"),
            ("aes256-sha384-prfsha512-ecp384", "aes256-sha384-prfsha512-ecp384"),    // an explicit PRF wins
        ]
        for (text, canonical) in good {
            let proposal = try IKEProposal.parse(text).get()
            XCTAssertEqual(proposal.description, canonical, text)
            XCTAssertEqual(try IKEProposal.parse(canonical).get(), proposal, "canonical form of \(text) parses back")
        }
        let p = try IKEProposal.parse("aes256gcm16-prfsha384-ecp384-x25519").get()
        XCTAssertEqual(p, IKEProposal(encryption: [.aes256GCM16], prf: [.hmacSHA384], groups: [.ecp384, .curve25519]))
        XCTAssertTrue(p.isAEAD)
        XCTAssertNil(try? IKEProposal.parse("aes128-sha256-modp1024").get())
        XCTAssertEqual(try IKEProposal.parse("aes128-sha256-modp1024", allowMODP1024: true).get().groups, [.modp1024])

        let bad: [(String, ProposalError.Kind, Int)] = [
            ("aes128gcm16-prfsha256-x2559", .unknownKeyword, 23), ("-aes128gcm16-prfsha256-x25519", .unknownKeyword, 1),
            ("aes128gcm16-prfsha256-x25519-", .unknownKeyword, 30), ("", .unknownKeyword, 1),
            ("aes128gcm16-aes128gcm16-prfsha256-x25519", .duplicate, 13), ("aes128gcm16-sha256-prfsha256-x25519", .conflict, 13),
            ("aes128gcm16-x25519", .missing, 1), ("aes128-x25519", .missing, 1), ("aes128gcm16-prfsha256", .missing, 1),
            ("aes128-aes128gcm16-sha256-x25519", .conflict, 8), ("aes128gcm16-prfsha256-modp1024", .weak, 23),
            ("aes128gcm16-prfsha256-x25519-noesn", .conflict, 30),
        ]
        for (text, kind, position) in bad {
            guard case .failure(let error) = IKEProposal.parse(text) else { XCTFail("\(text) parses"); continue }
            XCTAssertEqual(error.kind, kind, "\(text): \(error)")
            XCTAssertEqual(error.position, position, "\(text): \(error)")
        }
    }

    func testESPProposals() throws {
        let good: [(String, ESPProposal)] = [
            ("aes128gcm16", ESPProposal(encryption: [.aes128GCM16], esn: [.noESN])),
            ("aes128gcm16-esn", ESPProposal(encryption: [.aes128GCM16], esn: [.esn])),
            ("aes256gcm16-esn-noesn", ESPProposal(encryption: [.aes256GCM16], esn: [.esn, .noESN])),
            ("aes128gcm16-x25519-esn", ESPProposal(encryption: [.aes128GCM16], groups: [.curve25519], esn: [.esn])),
            ("aes256gcm-aes128gcm-ecp256-modp2048", ESPProposal(encryption: [.aes256GCM16, .aes128GCM16], groups: [.ecp256, .modp2048])),
        ]
        for (text, expected) in good {
            XCTAssertEqual(try ESPProposal.parse(text).get(), expected, text)
            XCTAssertEqual(try ESPProposal.parse(expected.description).get(), expected, expected.description)
        }
        XCTAssertEqual(ESPProposal(encryption: [.aes128GCM16], groups: [.curve25519], esn: [.esn, .noESN]).description,
                       "aes128gcm16-x25519-esn-noesn")
        for (text, kind) in [("aes128-sha256", ProposalError.Kind.unsupported), ("aes128gcm16-prfsha256", .conflict),
                             ("aes128gcm16-sha256", .conflict), ("esn", .missing), ("aes128gcm16-modp1024", .weak),
                             ("aes128gcm16-esn-esn", .duplicate)] {
            guard case .failure(let error) = ESPProposal.parse(text) else { XCTFail("\(text) parses"); continue }
            XCTAssertEqual(error.kind, kind, "\(text): \(error)")
        }
    }

    func testTransformIDs() {
        XCTAssertEqual(IKEEncryptionAlgorithm.allCases.map(\.transformID), [20, 20, 12, 12])
        XCTAssertEqual(IKEEncryptionAlgorithm.allCases.map(\.keyBits), [128, 256, 128, 256])
        XCTAssertEqual(IKEEncryptionAlgorithm.allCases.map(\.espAlgorithm), [.aes128gcm16, .aes256gcm16, nil, nil])
        XCTAssertEqual(IKEIntegrityAlgorithm.allCases.map(\.rawValue), [12, 13, 14])
        XCTAssertEqual(IKEPRFAlgorithm.allCases.map(\.rawValue), [5, 6, 7])
        XCTAssertEqual(IKEDHGroup.allCases.map(\.rawValue), [2, 14, 19, 20, 31])
        XCTAssertEqual(ESNMode.allCases.map(\.rawValue), [0, 1])
        XCTAssertEqual(IKEIntegrityAlgorithm.allCases.map(\.matchingPRF), IKEPRFAlgorithm.allCases)
    }

    func testIdentities() throws {
        let v4 = try XCTUnwrap(IPv4Address("192.0.2.1")), v6 = try XCTUnwrap(IPv6Address("2001:db8::1"))
        let good: [(String, IKEIdentity, IKEIdentity.IDType, String)] = [
            ("192.0.2.1", .ipv4(v4), .ipv4Address, "192.0.2.1"),
            ("ip:2001:db8::1", .ipv6(v6), .ipv6Address, "2001:db8::1"),
            ("gw.example.net", .fqdn("gw.example.net"), .fqdn, "gw.example.net"),
            ("fqdn:192.0.2.1", .fqdn("192.0.2.1"), .fqdn, "fqdn:192.0.2.1"),
            ("alice@example.net", .rfc822("alice@example.net"), .rfc822Address, "alice@example.net"),
            ("email:a=b@example.net", .rfc822("a=b@example.net"), .rfc822Address, "email:a=b@example.net"),
            ("C=CH,O=Example , cn=gw", .distinguishedName([.init(attribute: "C", value: "CH"), .init(attribute: "O", value: "Example"),
                                                           .init(attribute: "CN", value: "gw")]), .derASN1DN, "C=CH, O=Example, CN=gw"),
            ("dn:emailAddress=a@b.c, O=x\\, y", .distinguishedName([.init(attribute: "E", value: "a@b.c"),
                                                                    .init(attribute: "O", value: "x, y")]), .derASN1DN,
             "E=a@b.c, O=x\\, y"),
            ("keyid:0a0B", .keyID([0x0a, 0x0b]), .keyID, "keyid:0a0b"),
            ("single", .fqdn("single"), .fqdn, "single"),
        ]
        for (text, identity, type, written) in good {
            XCTAssertEqual(try IKEIdentity.parse(text).get(), identity, text)
            XCTAssertEqual(identity.type, type, text)
            XCTAssertEqual(identity.description, written, text)
            XCTAssertEqual(try IKEIdentity.parse(written).get(), identity, "\(written) parses back")
            XCTAssertFalse(identity.isPattern, text)
        }
        for pattern in ["%any", "*.sites.example.net", "*@example.net", "C=CH, CN=*"] {
            XCTAssertNil(try? IKEIdentity.parse(pattern).get(), "\(pattern) is not a local identity")
            XCTAssertTrue(try IKEIdentity.parse(pattern, allowPattern: true).get().isPattern, pattern)
        }
        XCTAssertNil(IKEIdentity.any.type)
        for bad in ["", "@example.net", "a@", "a b", "a..b", ".a", "a.", "C=CH, X=1", "CN=", "keyid:", "keyid:abc", "ip:1.2.3",
                    String(repeating: "a", count: 64) + ".net", "a@b@c", "dn:CN"] {
            XCTAssertNil(try? IKEIdentity.parse(bad, allowPattern: true).get(), bad)
        }
    }

    func testIdentityPatterns() throws {
        func id(_ text: String) throws -> IKEIdentity { try IKEIdentity.parse(text, allowPattern: true).get() }
        let cases: [(String, String, Bool)] = [
            ("*.sites.example.net", "s1.sites.example.net", true),
            ("*.sites.example.net", "S1.Sites.Example.NET", true),
            ("*.sites.example.net", "a.s1.sites.example.net", false),   // '*' stays within one label
            ("*.sites.example.net", "sites.example.net", false),
            ("site*.example.net", "site12.example.net", true),
            ("site*.example.net", "site.example.net", true),
            ("site*.example.net", "branch1.example.net", false),
            ("*", "gw", true), ("*", "gw.example.net", false),
            ("*@example.net", "first.last@example.net", true),          // any local part
            ("*@*.example.net", "a@mail.example.net", true),
            ("*@example.net", "a@mail.example.net", false),
            ("*.example.net", "a@x.example.net", false),                // types must agree
            ("%any", "192.0.2.1", true), ("%any", "CN=x", true),
            ("C=CH, O=Example, CN=*", "C=CH, O=example, CN=site1", true),
            ("C=CH, O=Example, CN=*", "C=CH, O=Other, CN=site1", false),
            ("C=CH, O=Example, CN=*", "C=CH, CN=site1", false),
            ("192.0.2.1", "192.0.2.1", true), ("192.0.2.1", "fqdn:192.0.2.1", false),
            ("gw.example.net", "GW.example.net", true),
        ]
        for (pattern, identity, matches) in cases {
            XCTAssertEqual(try id(pattern).matches(try id(identity)), matches, "\(pattern) vs \(identity)")
        }
    }

    func testDurations() {
        let good: [(String, Duration)] = [("0", .zero), ("90", .seconds(90)), ("90s", .seconds(90)), ("30m", .seconds(1800)),
                                          ("4h", .seconds(14400)), ("1d", .seconds(86400)), ("500ms", .milliseconds(500)),
                                          ("3650d", .seconds(3650 * 86400))]
        for (text, duration) in good { XCTAssertEqual(try? IKEValues.duration(text).get(), duration, text) }
        for bad in ["", "s", "1.5h", "-1s", "010", "4 h", "4H", "1h30m", "4hours", "0x10"] {
            XCTAssertEqual(IKEValues.duration(bad), .failure(.notADuration), bad)
        }
        XCTAssertEqual(IKEValues.duration("3651d"), .failure(.tooLong))
        XCTAssertEqual(IKEValues.duration("99999999999999999999"), .failure(.tooLong))
        XCTAssertEqual([Duration.seconds(14400), .seconds(5400), .seconds(61), .milliseconds(1500), .zero].map(IKEValues.text),
                       ["4h", "90m", "61s", "1500ms", "0"])
    }

    func testByteCounts() {
        let good: [(String, UInt64)] = [("0", 0), ("1000", 1000), ("10B", 10), ("10kB", 10_000), ("10KB", 10_000),
                                        ("5MB", 5_000_000), ("10GB", 10_000_000_000), ("2TB", 2_000_000_000_000),
                                        ("1KiB", 1024), ("3MiB", 3 << 20), ("11GiB", 11 << 30), ("1TiB", 1 << 40)]
        for (text, bytes) in good { XCTAssertEqual(try? IKEValues.byteCount(text).get(), bytes, text) }
        XCTAssertEqual(IKEValues.byteCount("10Gb"), .failure(.notACount(suggestion: "10GB")))
        XCTAssertEqual(IKEValues.byteCount("10gib"), .failure(.notACount(suggestion: "10GiB")))
        for bad in ["", "GB", "-1", "1.5GB", "10 GB", "010"] {
            guard case .failure(.notACount) = IKEValues.byteCount(bad) else { XCTFail(bad); continue }
        }
        XCTAssertEqual(IKEValues.byteCount("18446744073709551615"), .success(UInt64.max))
        XCTAssertEqual(IKEValues.byteCount("18446744073709551616"), .failure(.tooLarge))
        XCTAssertEqual(IKEValues.byteCount("20000000TB"), .failure(.tooLarge))
    }

    func testTrafficSelectors() {
        let context = LoadContext(file: "t.yaml", facts: testFacts())
        func ts(_ text: String) -> TrafficSelector? {
            IKESecurityPolicySection.trafficSelector(Located(value: text, location: SourceLocation(file: "t.yaml", line: 1, column: 1),
                                                             key: "ts"), context: context)?.value
        }
        for (text, written) in [("10.1.0.0/16", "10.1.0.0/16"), ("10.1.0.0/16[udp]", "10.1.0.0/16[udp]"),
                                ("10.1.0.0/16[udp/53]", "10.1.0.0/16[udp/53]"), ("fd00::/64[tcp/8000-8080]", "fd00::/64[tcp/8000-8080]"),
                                ("0.0.0.0/0[47]", "0.0.0.0/0[47]"), ("10.1.0.0/16[any]", "10.1.0.0/16"),
                                ("10.1.0.0/16[tcp/0-65535]", "10.1.0.0/16[tcp]"), ("fd00::/64[icmpv6]", "fd00::/64[icmpv6]")] {
            XCTAssertEqual(ts(text)?.description, written, text)
        }
        XCTAssertEqual(ts("10.1.0.0/16[tcp/8000-8080]")?.ports, 8000...8080)
        XCTAssertEqual(context.errors.count, 0, "\(ConfigErrors(errors: context.errors))")
        for bad in ["10.1.0.1/16", "10.1.0.0", "10.1.0.0/16[", "10.1.0.0/16[]", "10.1.0.0/16[udp/53]x", "10.1.0.0/16[udp/]",
                    "10.1.0.0/16[udp/53-]", "10.1.0.0/16[256]", "10.1.0.0/16[udp/53][tcp]", "fd00::/64[icmp]"] {
            XCTAssertNil(ts(bad), bad)
        }
    }

    func testPSKFormats() {
        let context = LoadContext(file: "t.yaml", facts: testFacts())
        func psk(_ text: String, weak: Bool = false) -> [UInt8]? {
            IKEValues.psk(Located(value: text, location: SourceLocation(file: "t.yaml", line: 1, column: 1), key: "psk"),
                          allowWeak: weak, context: context)?.bytes
        }
        XCTAssertEqual(psk("0x000102030405060708090a0b0c0d0e0f"), Array(0...15))
        XCTAssertEqual(psk("0X000102030405060708090A0B0C0D0E0F"), Array(0...15))
        XCTAssertEqual(psk("0sAAECAwQFBgcICQoLDA0ODw=="), Array(0...15))
        XCTAssertEqual(psk("sixteen bytes!!!"), Array("sixteen bytes!!!".utf8))
        XCTAssertEqual(psk("0x0001", weak: true), [0, 1])
        XCTAssertEqual(context.errors.count, 0)
        for bad in ["0x0001", "0x0g", "0s@@@", "short", ""] { XCTAssertNil(psk(bad), bad) }
        XCTAssertEqual(context.errors.map(\.code), [.weak, .invalidValue, .invalidValue, .weak, .invalidValue])

        let key = PSK(bytes: Array("sixteen bytes!!!".utf8))
        XCTAssertEqual("\(key)", "<redacted>")
        XCTAssertEqual(String(reflecting: key), "<redacted>")
        XCTAssertEqual(key, PSK(bytes: Array("sixteen bytes!!!".utf8)))
        XCTAssertNotEqual(key, PSK(bytes: Array("sixteen bytes!!?".utf8)))
        XCTAssertNotEqual(key, PSK(bytes: Array("sixteen bytes!!".utf8)))
    }

    func testTemplateDefaults() {
        let at = SourceLocation(file: "t.yaml", line: 1, column: 1)
        let ike = IKEPolicyTemplate(name: "t", proposals: [], location: at)
        XCTAssertEqual([ike.rekeyTime, ike.reauthTime, ike.overTime, ike.randTime], [.seconds(14400), .zero, .seconds(1440), .seconds(1440)])
        XCTAssertEqual(ike.lifeTime, .seconds(14400 + 1440))
        XCTAssertEqual(ike.uniqueSA, .replace)
        XCTAssertEqual(ike.dpd, IKEDPD(interval: .seconds(30), timeout: .seconds(150)))
        XCTAssertNil(IKEPolicyTemplate(name: "t", proposals: [], rekeyTime: .zero, location: at).lifeTime)
        XCTAssertEqual(IKEPolicyTemplate(name: "t", proposals: [], rekeyTime: .seconds(3600), reauthTime: .seconds(7200),
                                         location: at).lifeTime, .seconds(7920))
        XCTAssertFalse(IKEDPD(interval: .zero).isEnabled)

        let child = IPsecPolicyTemplate(name: "c", proposals: [], rekeyBytes: 1000, rekeyPackets: UInt64.max - 1, location: at)
        XCTAssertEqual([child.rekeyTime, child.lifeTime, child.randTime], [.seconds(3600), .seconds(3960), .seconds(360)])
        XCTAssertEqual([child.lifeBytes, child.lifePackets], [1100, UInt64.max], "+ 10%, saturating")
        XCTAssertEqual(child.replayWindow, 1024)
        XCTAssertFalse(child.initiates)
        let off = IPsecPolicyTemplate(name: "c", proposals: [], rekeyTime: .zero, dpdAction: .trap, location: at)
        XCTAssertEqual([off.lifeTime, off.randTime], [.zero, .zero])
        XCTAssertEqual(off.lifeBytes, 0)
        XCTAssertTrue(off.initiates)
        XCTAssertEqual(IPsecPolicyTemplate(name: "c", proposals: [], lifeTime: .seconds(5000), location: at).randTime, .seconds(1400))
    }

    func testRetransmitSchedule() {
        let r = IKERetransmit()
        XCTAssertEqual((0...5).map { r.wait(afterAttempt: $0) / .milliseconds(1) }.map { ($0 * 10).rounded() / 10 },
                       [2000, 3600, 6480, 11664, 20995.2, 37791.4])
        XCTAssertEqual(r.giveUpAfter / .seconds(1), 82.53, accuracy: 0.01)
        XCTAssertEqual(IKERetransmit(timeout: .seconds(1), tries: 0, base: 2).giveUpAfter, .seconds(1))
    }

    func testRemoteAddresses() throws {
        let a = try XCTUnwrap(IPAddress("198.51.100.7")), p = try XCTUnwrap(IPPrefix("198.51.100.0/24"))
        XCTAssertTrue(IKERemoteAddress.any.contains(a))
        XCTAssertTrue(IKERemoteAddress.prefix(p).contains(a))
        XCTAssertFalse(IKERemoteAddress.address(try XCTUnwrap(IPAddress("198.51.100.8"))).contains(a))
        XCTAssertEqual([IKERemoteAddress.any, .address(a), .prefix(p)].map(\.description), ["any", "198.51.100.7", "198.51.100.0/24"])
        XCTAssertEqual([IKERemoteAddress.any, .address(a), .prefix(p)].map(\.initiatorTarget), [nil, a, nil])
    }

    /// The real file system check (as root every file is readable, so `unreadable` is tested through injected facts).
    func testFileAccessOnThisMachine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strait-ike-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("gw.pem").path
        try "-----BEGIN CERTIFICATE-----\n".write(toFile: file, atomically: true, encoding: .utf8)
        let linkToFile = dir.appendingPathComponent("link.pem").path, linkToDir = dir.appendingPathComponent("link-dir").path
        try FileManager.default.createSymbolicLink(atPath: linkToFile, withDestinationPath: file)
        try FileManager.default.createSymbolicLink(atPath: linkToDir, withDestinationPath: dir.path)
        XCTAssertEqual(SystemFacts.fileAccess(atPath: file), .readable)
        XCTAssertEqual(SystemFacts.fileAccess(atPath: linkToFile), .readable)
        XCTAssertEqual(SystemFacts.fileAccess(atPath: dir.path), .notAFile)
        XCTAssertEqual(SystemFacts.fileAccess(atPath: linkToDir), .notAFile)
        XCTAssertEqual(SystemFacts.fileAccess(atPath: "/dev/null"), .notAFile)
        XCTAssertEqual(SystemFacts.fileAccess(atPath: dir.appendingPathComponent("nope.pem").path), .missing)
        XCTAssertEqual(SystemFacts.current.fileAccess(file), .readable)
    }
}
