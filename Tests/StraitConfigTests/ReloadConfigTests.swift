import XCTest
@testable import StraitConfig

/// A reload's view of two configs: which VPNs changed how (`IKEConfigDiff`), and which
/// restart-only keys changed (`ReloadCheck`), each named by file, line and key.
final class ReloadConfigTests: XCTestCase {
    let base = IKEConfigTests.base

    func load(_ text: String) throws -> StraitConfig {
        try ConfigLoader.parse(text: text, source: "t.yaml", facts: IKEConfigTests.facts)
    }

    /// `base` with `old` replaced by `new` (which must be there).
    func edit(_ old: String, _ new: String, in text: String? = nil) -> String {
        let text = text ?? base
        XCTAssertTrue(text.contains(old), old)
        return text.replacingOccurrences(of: old, with: new)
    }

    func diff(_ text: String) throws -> IKEConfigDiff {
        IKEConfigDiff(old: try load(base).ike, new: try load(text).ike)
    }

    func testMovedLinesAloneChangeNothing() throws {
        let shifted = "# a comment\n\n" + base
        XCTAssertTrue(try diff(shifted).isEmpty)
        let running = try load(base)
        XCTAssertEqual(ReloadCheck.restartOnly(running: running, runningKeys: SAKeyFingerprints(running.ipsec), new: try load(shifted)), [])
    }

    func testVPNsAddedAndRemovedByName() throws {
        let d = try diff(edit("- name: hq ", "- name: hq2 "))
        XCTAssertEqual(d.vpns.map(\.name), ["sites", "hq", "hq2"])
        XCTAssertEqual(d.vpns.map(\.change), [.unchanged, .removed, .added])
    }

    func testTimersAndActionsKeepTheSAs() throws {
        XCTAssertEqual(try diff(edit("interval: 30s", "interval: 10s")).change(of: "sites"), .kept(["ike-policy(ike-a).dpd"]))
        XCTAssertEqual(try diff(edit("interval: 30s", "interval: 10s")).change(of: "hq"), .unchanged, "hq uses ike-b")
        XCTAssertEqual(try diff(edit("      rekey-time: 1h                 # 47", "      rekey-time: 50m"))
            .change(of: "sites"), .kept(["security-policies(lan).ipsec-policy(esp-a).rekey-time",
                                         "security-policies(dns).ipsec-policy(esp-a).rekey-time"]))
        XCTAssertEqual(try diff(edit("start-action: start", "start-action: none")).change(of: "hq"),
                       .kept(["security-policies(all).ipsec-policy(esp-start).start-action"]))
    }

    func testWhatWasNegotiatedOrAuthenticatedRenegotiates() throws {
        XCTAssertEqual(try diff(edit("local-id: gw.example.net", "local-id: gw2.example.net")).change(of: "sites"), .renegotiate(["local-id"]))
        XCTAssertEqual(try diff(edit("remote-ts: [10.200.0.0/16]", "remote-ts: [10.201.0.0/16]")).change(of: "hq"),
                       .renegotiate(["security-policies(all).remote-ts"]))
        let proposals = try diff(edit("proposals: [aes256gcm16-prfsha384-ecp384]", "proposals: [aes256gcm16-prfsha384-x25519]"))
        XCTAssertEqual(proposals.change(of: "hq"), .renegotiate(["ike-policy(ike-b).proposals"]))
        XCTAssertEqual(proposals.change(of: "sites"), .unchanged)
        XCTAssertEqual(try diff(edit("ca: [/etc/strait/ca.pem]", "ca: [/etc/strait/gw.pem]")).change(of: "hq"), .renegotiate(["remote-auth"]))
    }

    func testATemplateRenamedWithTheSameContentIsNoChange() throws {
        let renamed = edit("ike-policy: ike-b", "ike-policy: ike-c", in: edit("- name: ike-b", "- name: ike-c"))
        XCTAssertTrue(try diff(renamed).isEmpty)
    }

    func testPSKsAreKeptForTheEngineToCheckPerSA() throws {
        let d = try diff(edit(IKEConfigTests.hexSecret, "0x0f0e0d0c0b0a09080706050403020100"))
        XCTAssertEqual(d.global, ["psks"])
        XCTAssertEqual(d.change(of: "sites"), .unchanged)
        XCTAssertEqual(try diff(edit("tries: 3", "tries: 4")).global, ["retransmit"])
    }

    func testRestartOnlyKeysAreRefusedByFileLineAndKey() throws {
        let running = try load(base)
        func refused(_ text: String) throws -> [String] {
            ReloadCheck.restartOnly(running: running, runningKeys: SAKeyFingerprints(running.ipsec), new: try load(text))
                .map { "\($0.location.file):\($0.location.line): \($0.key)" }
        }
        XCTAssertEqual(try refused(edit("core-mask: \"1\"", "core-mask: \"1-2\"")), ["t.yaml:3: fast-path.core-mask"])
        XCTAssertEqual(try refused(edit("ports: [500, 4500, 4501]", "ports: [500, 4500]")), ["t.yaml:17: ike.listen.ports"])
        XCTAssertEqual(try refused(edit("queue: 1024", "queue: 2048")), ["t.yaml:21: ike.limits.queue"])
        XCTAssertEqual(try refused(edit("- 2001:db8::1/64", "- 2001:db8::2/64")), ["t.yaml:8: ports[1]"])
        XCTAssertEqual(try refused(edit("half-open: 2000", "half-open: 3000")), [], "live")
        let error = ReloadCheck.restartOnly(running: running, runningKeys: SAKeyFingerprints(running.ipsec),
                                            new: try load(edit("core-mask: \"1\"", "core-mask: \"1-2\""))).first
        XCTAssertTrue(error?.description.hasPrefix("t.yaml:3:") ?? false)
        XCTAssertTrue(error?.description.contains("restart straitd") ?? false, "\(String(describing: error))")
    }

    func testAStaticSAKeyChangeIsSeenAfterTheKeysAreGone() throws {
        let text = try String(contentsOfFile: repositoryFile("conf/esp-site-a.yaml"), encoding: .utf8)
        let facts = testFacts(cpus: Set(0..<64), interfaces: ["gwa-lan", "gwa-wan", "eth1", "eth2"])
        let running = try ConfigLoader.parse(text: text, source: "a.yaml", facts: facts)
        let keys = SAKeyFingerprints(running.ipsec)
        var dropped = running
        dropped.ipsec = dropped.ipsec.withoutKeys
        var rekeyed = running
        rekeyed.ipsec.sas[0].key = SAKey(bytes: running.ipsec.sas[0].key.bytes.map { $0 ^ 1 })
        XCTAssertEqual(ReloadCheck.restartOnly(running: dropped, runningKeys: keys, new: running), [])
        XCTAssertEqual(ReloadCheck.restartOnly(running: dropped, runningKeys: keys, new: rekeyed).map(\.key), ["ipsec.sas[0].key"])
    }

    func testAFileWithAnErrorNamesFileLineAndKey() {
        let errors = loadErrors(edit("half-open: 2000", "half-open: lots"), source: "t.yaml", facts: IKEConfigTests.facts)
        XCTAssertEqual(errors.map { "\($0.location.file):\($0.location.line): \($0.key)" }, ["t.yaml:19: ike.limits.half-open"])
    }
}

extension ConfigError: Equatable {
    public static func == (l: ConfigError, r: ConfigError) -> Bool { l.description == r.description && l.code == r.code }
}
