import StraitAPI
import XCTest

final class TextTableTests: XCTestCase {
    func testColumnsAreAlignedNumbersRightNoTrailingBlanks() {
        var t = TextTable([.init("NAME"), .init("RX-PKTS", .right), .init("NOTE")])
        t.add(["lan01", "5", "a"])
        t.add(["wan-uplink", "1234567890", ""])
        t.add(["x"])                       // missing cells are blank
        t.add(["y", "1", "b", "extra"])    // extra cells are dropped
        XCTAssertEqual(t.render(), """
            NAME           RX-PKTS  NOTE
            lan01                5  a
            wan-uplink  1234567890
            x
            y                    1  b

            """)
        XCTAssertEqual(t.render(header: false).split(separator: "\n").first, "lan01                5  a")
    }

    func testAnEmptyTableIsItsHeader() {
        XCTAssertEqual(TextTable([.init("PREFIX"), .init("TYPE")]).render(), "PREFIX  TYPE\n")
    }

    func testPortsTable() {
        let text = ReportText.ports(Fixtures.ports)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 4)
        XCTAssertTrue(lines[0].hasPrefix("NAME   DEVICE        MIRROR  LINK    MAC                 MTU  QUEUES  RX-PKTS  RX-BYTES"), String(lines[0]))
        XCTAssertTrue(lines[1].hasPrefix("lan01  0000:3b:00.0  lan01   up 25G  02:00:00:00:00:01  1500     2/3       10      1500"), String(lines[1]))
        XCTAssertTrue(lines[1].hasSuffix("18446744073709551615  192.0.2.1/24,2001:db8::1/64"), String(lines[1]))
        XCTAssertTrue(lines[2].hasPrefix("wan01  net_ring0     -       down    02:00:00:00:00:02  9000     1/1        0         0"), String(lines[2]))
        XCTAssertTrue(lines[2].hasSuffix("                     0  -"), String(lines[2]))
    }

    func testLinkText() {
        XCTAssertEqual(ReportText.link(false, 10000), "down")
        XCTAssertEqual(ReportText.link(true, 0), "up")
        XCTAssertEqual(ReportText.link(true, 100), "up 100M")
        XCTAssertEqual(ReportText.link(true, 2500), "up 2.5G")
        XCTAssertEqual(ReportText.link(true, 100_000), "up 100G")
    }

    func testStatsShowsNonZeroCountersGroupedForwardExceptionDrop() {
        XCTAssertEqual(ReportText.stats(Fixtures.stats), """
            forward:
            COUNTER   TOTAL  REASON
            fwd-ipv4     42  IPv4 forwarded

            exception:
            COUNTER  TOTAL  REASON
            exc-arp      7  ARP to the kernel

            drop:
            COUNTER                       TOTAL  REASON
            drop-no-route  18446744073709551615  no route

            """)
        let all = ReportText.stats(Fixtures.stats, all: true)
        XCTAssertTrue(all.contains("drop-ttl                          0  TTL exceeded"), all)
        let perLcore = ReportText.stats(Fixtures.stats, perLcore: true)
        XCTAssertTrue(perLcore.contains("COUNTER   TOTAL  LCORE0  LCORE1  REASON\nfwd-ipv4     42      40       2  IPv4 forwarded"),
                      perLcore)
        XCTAssertEqual(ReportText.stats(StatsReport(counters: [Fixtures.stats.counters[1]])),
                       "all counters are zero (--all shows them)\n")
    }

    func testOtherTables() {
        XCTAssertEqual(ReportText.routes(Fixtures.routes), """
            PREFIX          TYPE       VIA           PORT
            0.0.0.0/0       gateway    198.51.100.1  wan01
            192.0.2.0/24    connected  -             lan01
            203.0.113.0/24  blackhole  -             -

            """)
        XCTAssertEqual(ReportText.neighbors(Fixtures.neighbors), """
            ADDRESS     MAC                PORT
            192.0.2.10  02:00:00:00:00:0a  lan01
            fe80::1     02:00:00:00:00:0b  wan01

            """)
        XCTAssertEqual(ReportText.lcores(Fixtures.lcores), """
            LCORE  CPU  ROLE     BUSY%  RX-PKTS  TX-PKTS    LOOPS  QUEUES
                0    1  control    0.0        0        0        0  -
                2    3  worker    12.5      100       99  1000000  lan01:rx0,wan01:tx0

            """)
        XCTAssertEqual(ReportText.config(ConfigReport(source: "/etc/strait.yaml", text: "a: 1")),
                       "# source: /etc/strait.yaml\na: 1\n")
        XCTAssertEqual(ReportText.version(Fixtures.version), """
            straitd 0.1.0
            instance strait
            uptime   1d 02:03:04
            dpdk     DPDK 22.11.4

            """)
        XCTAssertEqual(ReportText.uptime(59), "00:00:59")
    }
}
