import Foundation
import StraitAPI
import StraitControl
import XCTest

/// `show ipsec sa` and `show ipsec spd`: through the control socket, as tables, and through straitctl.
final class IPsecReportTests: FixtureServerTestCase {
    func testRoundTripThroughTheControlSocket() throws {
        let client = ControlClient(socketPath: path)
        XCTAssertEqual(try client.call(ControlCommands.showIPsecSAs), Fixtures.ipsecSAs)
        XCTAssertEqual(try client.call(ControlCommands.showIPsecSPD), Fixtures.ipsecPolicies)
        XCTAssertEqual(ControlCommands.showIPsecSAs.words, ["show", "ipsec", "sa"])
        XCTAssertEqual(ControlCommands.showIPsecSPD.words, ["show", "ipsec", "spd"])
        XCTAssertTrue(ControlCommands.all.contains(["show", "ipsec", "sa"]))
        XCTAssertTrue(ControlCommands.all.contains(["show", "ipsec", "spd"]))
    }

    /// Scripts (and the ESP lab) read these names.
    func testJSONFieldNames() throws {
        let client = ControlClient(socketPath: path)
        let sas = try XCTUnwrap(JSONSerialization.jsonObject(with: client.callRaw(["show", "ipsec", "sa"])) as? [[String: Any]])
        XCTAssertEqual(Set(sas[0].keys), ["name", "direction", "spi", "local", "remote", "encap", "udpPorts", "algorithm",
                                          "esn", "replayWindow", "localTS", "remoteTS", "active", "expired", "packets",
                                          "bytes", "replayDrops", "authFailures", "policyMismatches", "seq"])
        XCTAssertNil(sas[1]["seq"], "an inbound SA has replayTop, not seq")
        XCTAssertEqual(sas[1]["replayTop"] as? Int, 42)
        XCTAssertEqual(sas[0]["spi"] as? String, "0x00001001")
        let text = String(decoding: try client.callRaw(["show", "ipsec", "sa"]), as: UTF8.self)
        XCTAssertTrue(text.contains(#""authFailures":18446744073709551615"#), text)

        let policies = try XCTUnwrap(JSONSerialization.jsonObject(with: client.callRaw(["show", "ipsec", "spd"])) as? [[String: Any]])
        XCTAssertEqual(Set(policies[0].keys), ["index", "localTS", "remoteTS", "protocol", "ports", "priority", "action",
                                               "sa", "matches"])
        XCTAssertNil(policies[1]["sa"])
    }

    func testSATable() {
        XCTAssertEqual(ReportText.ipsecSAs(Fixtures.ipsecSAs), """
            NAME       DIR  SPI         LOCAL      REMOTE     ENCAP          ALGORITHM     ESN  WINDOW  LOCAL-TS     REMOTE-TS    STATE    PACKETS    BYTES  REPLAY             AUTH-FAIL  TS-FAIL     SEQ/TOP
            site1-out  out  0x00001001  192.0.2.1  192.0.2.2  udp 4500/4500  aes128-gcm16  yes       -  10.1.0.0/24  10.2.0.0/24  active      1200  1500000       -                     -        -  4294967300
            site1-in   in   0x00002001  192.0.2.1  192.0.2.2  none           aes256-gcm8   no     4096  fd00:1::/64  fd00:2::/64  expired        7      700       3  18446744073709551615        1          42

            """)
        XCTAssertEqual(ReportText.ipsecSAs([]).split(separator: "\n").count, 1, "an empty SAD is the header")
        var off = Fixtures.ipsecSAs[1]
        off.replayWindow = 0
        off.expired = false
        XCTAssertTrue(ReportText.ipsecSAs([off]).contains(" off  fd00:1::/64  fd00:2::/64  inactive "))
    }

    func testPolicyTable() {
        XCTAssertEqual(ReportText.ipsecPolicies(Fixtures.ipsecPolicies), """
            INDEX  LOCAL-TS     REMOTE-TS    PROTO  PORTS  PRIO  ACTION   SA         MATCHES
                0  10.1.0.0/24  10.2.0.0/24  tcp    *:443    10  protect  site1-out       99
                1  0.0.0.0/0    10.9.0.0/16  any    *:*     100  discard  -                0

            """)
        XCTAssertEqual(PolicyReport.ports(local: 0, remote: 0), "*:*")
        XCTAssertEqual(PolicyReport.ports(local: 1024, remote: 0), "1024:*")
    }

    /// Runs the straitctl built next to the tests.
    private func straitctl(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let r = try Straitctl.run(arguments)
        return (r.status, r.stdout, r.stderr)
    }

    func testStraitctlPrintsTablesAndJSON() throws {
        let sa = try straitctl(["--socket", path, "show", "ipsec", "sa"])
        XCTAssertEqual(sa.status, 0, sa.stderr)
        XCTAssertEqual(sa.stdout, ReportText.ipsecSAs(Fixtures.ipsecSAs))
        let spd = try straitctl(["show", "ipsec", "spd", "--json", "--socket", path])
        XCTAssertEqual(spd.status, 0, spd.stderr)
        XCTAssertEqual(try JSONDecoder().decode([PolicyReport].self, from: Data(spd.stdout.utf8)), Fixtures.ipsecPolicies)
        let json = try straitctl(["--json", "--socket", path, "show", "ipsec", "sa"])
        XCTAssertEqual(try JSONDecoder().decode([SAReport].self, from: Data(json.stdout.utf8)), Fixtures.ipsecSAs)
        let usage = try straitctl(["show", "ipsec", "bogus"])
        XCTAssertEqual(usage.status, 2)
    }
}
