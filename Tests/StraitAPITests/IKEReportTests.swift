import Foundation
import StraitAPI
import StraitControl
import XCTest

/// `show ike sa [id]`, `show ike stats`, `ike initiate`, `ike terminate`: through the control
/// socket, as text, and through straitctl.
final class IKEReportTests: FixtureServerTestCase {
    func testRoundTripThroughTheControlSocket() throws {
        let client = ControlClient(socketPath: path)
        XCTAssertEqual(try client.call(ControlCommands.showIKESAs), Fixtures.ikeSAs)
        XCTAssertEqual(try client.call(ControlCommands.showIKESAs, arguments: [IKEArguments.id: "8"]), [Fixtures.ikeSAs[1]])
        XCTAssertEqual(try client.call(ControlCommands.showIKEStats), Fixtures.ikeStats)
        XCTAssertEqual(try client.call(ControlCommands.ikeInitiate, arguments: [IKEArguments.vpn: "hq"]).message,
                       "initiating VPN 'hq' to 203.0.113.9")
        XCTAssertEqual(try client.call(ControlCommands.ikeTerminate, arguments: [IKEArguments.id: "7"]).message,
                       "deleting IKE SA 7")
        let missing = clientError { _ = try client.call(ControlCommands.showIKESAs, arguments: [IKEArguments.id: "99"]) }
        XCTAssertEqual(missing?.daemonError, ControlError(.notFound, "no IKE SA 99"))
        for words in [["show", "ike", "sa"], ["show", "ike", "stats"], ["ike", "initiate"], ["ike", "terminate"]] {
            XCTAssertTrue(ControlCommands.all.contains(words), "\(words)")
        }
        XCTAssertEqual(ControlErrorCode.notFound.rawValue, "not-found")
        XCTAssertEqual(ControlErrorCode.notConfigured.rawValue, "not-configured")
    }

    /// Scripts (and the IKE lab) read these names.
    func testJSONFieldNames() throws {
        let client = ControlClient(socketPath: path)
        let sas = try XCTUnwrap(JSONSerialization.jsonObject(with: client.callRaw(["show", "ike", "sa"])) as? [[String: Any]])
        XCTAssertEqual(Set(sas[0].keys), ["id", "vpn", "state", "role", "local", "remote", "localID", "remoteID",
                                          "initiatorSPI", "responderSPI", "proposal", "natLocal", "natRemote",
                                          "ageSeconds", "nextMessageID", "children"])
        let children = try XCTUnwrap(sas[0]["children"] as? [[String: Any]])
        XCTAssertEqual(Set(children[0].keys), ["name", "inboundSPI", "outboundSPI", "proposal", "localTS", "remoteTS",
                                               "encapsulated", "ageSeconds", "usage"])
        XCTAssertNil(children[1]["usage"], "no usage: no key")
        XCTAssertEqual(Set(try XCTUnwrap(children[0]["usage"] as? [String: Any]).keys),
                       ["inboundPackets", "inboundBytes", "outboundPackets", "outboundBytes", "replayDrops",
                        "authFailures", "outboundSeq"])
        let stats = try XCTUnwrap(JSONSerialization.jsonObject(with: client.callRaw(["show", "ike", "stats"])) as? [String: Any])
        XCTAssertEqual(stats["malformed"] as? Int, 1)
        XCTAssertEqual(stats["delivered"] as? Int, 120)
        XCTAssertEqual(stats["ports"] as? [Int], [500, 4500])
        XCTAssertTrue(String(decoding: try client.callRaw(["show", "ike", "stats"]), as: UTF8.self)
            .contains(#""sendErrors":18446744073709551615"#))
    }

    func testSATable() {
        XCTAssertEqual(ReportText.ikeSAs(Fixtures.ikeSAs), """
            ID  VPN    STATE        ROLE       LOCAL           REMOTE             REMOTE-ID             PROPOSAL                      NAT          AGE  CHILDREN
             7  sites  established  responder  192.0.2.1:4500  198.51.100.7:4500  s1.sites.example.net  aes128gcm16-prfsha256-x25519  remote  01:02:05         2
             8  hq     connecting   initiator  192.0.2.1:500   203.0.113.9:500    hq.example.net        -                             no      00:00:00         0

            """)
        XCTAssertEqual(ReportText.ikeSAs([]), "ID  VPN  STATE  ROLE  LOCAL  REMOTE  REMOTE-ID  PROPOSAL  NAT  AGE  CHILDREN\n",
                       "no IKE SA: the header")
    }

    func testSADetail() {
        XCTAssertEqual(ReportText.ikeSA(Fixtures.ikeSAs[0]), """
            IKE SA 7: established, responder
              vpn         sites
              local       192.0.2.1:4500  id gw.example.net
              remote      198.51.100.7:4500  id s1.sites.example.net
              SPIs        0x0123456789abcdef (initiator)  0xfedcba9876543210 (responder)
              proposal    aes128gcm16-prfsha256-x25519
              NAT         remote
              age         01:02:05
              message ID  4

            CHILD SA sites/lan#7
              SPIs       in 0xc0012345  out 0x0a0b0c0d
              proposal   aes128gcm16-esn
              local TS   10.1.0.0/16, fd00:1::/48
              remote TS  10.128.1.0/24, fd00:8001::/64
              encap      ESP in UDP
              age        01:00:00
              in         1200 packets  1500000 bytes  replay drops 2  auth failures 18446744073709551615
              out        900 packets  800000 bytes  seq 900

            CHILD SA sites/servers#7
              SPIs       in 0xc0054321  out 0x0a0b0c0e
              proposal   aes256gcm16-x25519-esn
              local TS   172.16.10.0/24
              remote TS  10.128.1.0/24
              encap      ESP in UDP
              age        00:00:59
              usage      unknown (not in the fast path)

            """)
        XCTAssertTrue(ReportText.ikeSA(Fixtures.ikeSAs[1]).hasSuffix("\nno CHILD SA\n"))
    }

    func testStats() {
        XCTAssertEqual(ReportText.ikeStats(Fixtures.ikeStats), """
            ports: 500, 4500

            engine:
            COUNTER               VALUE  MEANING
            received                120  IKE messages given to the engine
            sent                    118  IKE messages the engine sent
            malformed                 1  messages that do not parse
            unknown-spi               2  messages for an IKE SA we do not have
            retransmits-answered      3  retransmitted requests answered again
            retransmits-sent          4  our requests sent again
            cookies-sent              5  IKE_SA_INIT answered with a COOKIE
            half-open-refused         6  IKE_SA_INIT refused: too many half-open SAs
            auth-failures             7  peers that failed authentication
            no-proposal               8  NO_PROPOSAL_CHOSEN
            ts-unacceptable           9  TS_UNACCEPTABLE
            ike-sas-established      10  IKE SAs established since start
            child-sas-installed      11  CHILD SAs installed since start

            udp:
            COUNTER                             VALUE  MEANING
            datagrams                             140  datagrams read on the IKE ports
            delivered                             120  IKE messages the engine took from the queue
            queue-drops                            12  IKE messages dropped: queue full
            nat-keepalives                         15  NAT keepalives (dropped)
            non-ike                                 1  datagrams on a NAT-T port without the non-ESP marker (dropped)
            short                                   2  datagrams too short to be IKE (dropped)
            unsupported-address                     0  datagrams from or to a non-IPv4 address
            send-errors          18446744073709551615  datagrams that could not be sent
            queue                              3/4096  messages waiting now / the limit
            queue-high-water                       64  the most messages that ever waited

            """)
    }

    /// Runs the straitctl built next to the tests.
    private func straitctl(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let r = try Straitctl.run(arguments)
        return (r.status, r.stdout, r.stderr)
    }

    func testStraitctlShowsIKESAsAndStats() throws {
        let table = try straitctl(["--socket", path, "show", "ike", "sa"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertEqual(table.stdout, ReportText.ikeSAs(Fixtures.ikeSAs))
        let one = try straitctl(["show", "ike", "sa", "7", "--socket", path])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertEqual(one.stdout, ReportText.ikeSA(Fixtures.ikeSAs[0]))
        let json = try straitctl(["--json", "--socket", path, "show", "ike", "sa", "8"])
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssertEqual(try JSONDecoder().decode([IKESAStatus].self, from: Data(json.stdout.utf8)), [Fixtures.ikeSAs[1]])
        let stats = try straitctl(["--socket", path, "show", "ike", "stats"])
        XCTAssertEqual(stats.stdout, ReportText.ikeStats(Fixtures.ikeStats))
        let statsJSON = try straitctl(["--socket", path, "show", "ike", "stats", "--json"])
        XCTAssertEqual(try JSONDecoder().decode(IKEStatsReport.self, from: Data(statsJSON.stdout.utf8)), Fixtures.ikeStats)

        let missing = try straitctl(["--socket", path, "show", "ike", "sa", "99"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "straitctl: straitd: not-found: no IKE SA 99\n")
        let usage = try straitctl(["--socket", path, "show", "ike", "sa", "seven"])
        XCTAssertEqual(usage.status, 2)
    }

    func testStraitctlInitiatesAndTerminates() throws {
        let initiate = try straitctl(["--socket", path, "ike", "initiate", "sites", "--remote", "198.51.100.7"])
        XCTAssertEqual(initiate.status, 0, initiate.stderr)
        XCTAssertEqual(initiate.stdout, "initiating VPN 'sites' to 198.51.100.7\n")
        let json = try straitctl(["--socket", path, "--json", "ike", "initiate", "hq"])
        XCTAssertEqual(json.stdout, "{\n  \"message\" : \"initiating VPN 'hq' to 203.0.113.9\"\n}\n")
        let unknown = try straitctl(["--socket", path, "ike", "initiate", "nope"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertEqual(unknown.stderr, "straitctl: straitd: not-found: no VPN named 'nope'\n")
        let badRemote = try straitctl(["--socket", path, "ike", "initiate", "hq", "--remote", "not-an-address"])
        XCTAssertEqual(badRemote.status, 2)
        XCTAssertTrue(badRemote.stderr.contains("not an IP address"), badRemote.stderr)

        let terminate = try straitctl(["--socket", path, "ike", "terminate", "7"])
        XCTAssertEqual(terminate.status, 0, terminate.stderr)
        XCTAssertEqual(terminate.stdout, "deleting IKE SA 7\n")
        let gone = try straitctl(["--socket", path, "ike", "terminate", "99"])
        XCTAssertEqual(gone.status, 1)
        XCTAssertEqual(try straitctl(["--socket", path, "ike", "terminate"]).status, 2, "the id is required")
    }
}
