import XCTest
import StraitCore
@testable import StraitNetlink

/// The requests' bytes, checked field by field against the kernel's struct layouts, and decoded
/// back with the parser where the kernel would echo the same layout.
final class NetlinkRequestTests: XCTestCase {
    private func u16(_ b: [UInt8], _ at: Int) -> UInt16 { b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt16.self) } }
    private func u32(_ b: [UInt8], _ at: Int) -> UInt32 { b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) } }

    func testDumpRequests() {
        let cases: [(NetlinkRequest.DumpKind, UInt16, Int, UInt8)] = [
            (.links, NL.RTM_GETLINK, NL.IFINFOMSG_LEN, 0),
            (.addresses(family: NL.AF_INET6), NL.RTM_GETADDR, NL.IFADDRMSG_LEN, NL.AF_INET6),
            (.routes(family: NL.AF_INET), NL.RTM_GETROUTE, NL.RTMSG_LEN, NL.AF_INET),
            (.neighbors(family: NL.AF_INET6), NL.RTM_GETNEIGH, NL.NDMSG_LEN, NL.AF_INET6),
        ]
        for (kind, type, headerLength, family) in cases {
            let b = NetlinkRequest.dump(kind, sequence: 77)
            XCTAssertEqual(b.count, 16 + headerLength, "\(kind)")
            XCTAssertEqual(Int(u32(b, 0)), b.count)
            XCTAssertEqual(u16(b, 4), type)
            XCTAssertEqual(u16(b, 6), NL.NLM_F_REQUEST | NL.NLM_F_DUMP)
            XCTAssertEqual(u32(b, 8), 77)
            XCTAssertEqual(b[16], family)
        }
    }

    /// `ip neigh replace ADDR dev IF use`: struct ndmsg then NDA_DST.
    func testUseNeighborAsksTheKernelToResolve() {
        let b = NetlinkRequest.useNeighbor(index: 7, address: IPAddress("192.0.2.2")!, sequence: 5)
        XCTAssertEqual(Int(u32(b, 0)), b.count)
        XCTAssertEqual(u16(b, 4), NL.RTM_NEWNEIGH)
        XCTAssertEqual(u16(b, 6), NL.NLM_F_REQUEST | NL.NLM_F_ACK | NL.NLM_F_CREATE | NL.NLM_F_REPLACE)
        XCTAssertEqual(b[16], NL.AF_INET)                 // ndm_family
        XCTAssertEqual(u32(b, 20), 7)                     // ndm_ifindex
        XCTAssertEqual(u16(b, 24), NL.NUD_NONE)           // ndm_state
        XCTAssertEqual(b[26], NL.NTF_USE)                 // ndm_flags
        XCTAssertEqual(u16(b, 28), 8)                     // rta_len of NDA_DST
        XCTAssertEqual(u16(b, 30), NL.NDA_DST)
        XCTAssertEqual(Array(b[32..<36]), [192, 0, 2, 2])
        XCTAssertEqual(b.count, 36)
    }

    func testAddRouteRoundTrips() throws {
        let spec = RouteSpec(prefix: IPPrefix("10.50.0.0/16")!, gateway: IPAddress("10.0.0.2"), ifindex: 4, priority: 30)
        let b = NetlinkRequest.route(add: true, spec, sequence: 9)
        XCTAssertEqual(Int(u32(b, 0)), b.count)
        XCTAssertEqual(b.count % 4, 0)
        XCTAssertEqual(u16(b, 6), NL.NLM_F_REQUEST | NL.NLM_F_ACK | NL.NLM_F_CREATE | NL.NLM_F_REPLACE)
        XCTAssertEqual(b[16 + 5], NL.RTPROT_STATIC)
        XCTAssertEqual(b[16 + 6], NL.RT_SCOPE_UNIVERSE)
        let m = try XCTUnwrap(NetlinkParser.parse(b).first).get()
        guard case .route(let r, false) = m.event else { return XCTFail("\(m.event)") }
        XCTAssertEqual(r.prefix, IPPrefix("10.50.0.0/16"))
        XCTAssertEqual(r.table, NL.RT_TABLE_MAIN)
        XCTAssertEqual(r.priority, 30)
        XCTAssertEqual(r.type, NL.RTN_UNICAST)
        XCTAssertEqual(r.nextHops, [RouteNextHop(ifindex: 4, gateway: IPAddress("10.0.0.2"))])

        // A device route is link-scoped; an IPv4 route through an IPv6 gateway uses RTA_VIA.
        let dev = NetlinkRequest.route(add: true, RouteSpec(prefix: IPPrefix("10.60.0.0/16")!, ifindex: 4), sequence: 1)
        XCTAssertEqual(dev[16 + 6], NL.RT_SCOPE_LINK)
        let via = NetlinkRequest.route(add: true, RouteSpec(prefix: IPPrefix("10.70.0.0/16")!, gateway: IPAddress("fe80::1"), ifindex: 4), sequence: 1)
        guard case .route(let rv, _) = try XCTUnwrap(NetlinkParser.parse(via).first).get().event else { return XCTFail() }
        XCTAssertEqual(rv.nextHops.first?.gateway, IPAddress("fe80::1"))
    }

    func testDeleteRouteMatchesLoosely() throws {
        let b = NetlinkRequest.route(add: false, RouteSpec(prefix: IPPrefix("2001:db8::/32")!), sequence: 2)
        XCTAssertEqual(u16(b, 4), NL.RTM_DELROUTE)
        XCTAssertEqual(u16(b, 6), NL.NLM_F_REQUEST | NL.NLM_F_ACK)
        XCTAssertEqual(b[16], NL.AF_INET6)
        XCTAssertEqual(b[16 + 1], 32)
        XCTAssertEqual(b[16 + 5], NL.RTPROT_UNSPEC)
        XCTAssertEqual(b[16 + 6], NL.RT_SCOPE_NOWHERE)
        XCTAssertEqual(b[16 + 7], NL.RTN_UNSPEC)
        guard case .route(let r, true) = try XCTUnwrap(NetlinkParser.parse(b).first).get().event else { return XCTFail() }
        XCTAssertEqual(r.prefix, IPPrefix("2001:db8::/32"))
        XCTAssertTrue(r.nextHops.isEmpty)
    }

    func testAddressRequest() throws {
        let b = NetlinkRequest.address(add: true, index: 6, prefix: IPPrefix("10.0.0.1/24")!, sequence: 3)
        XCTAssertEqual(u16(b, 6), NL.NLM_F_REQUEST | NL.NLM_F_ACK | NL.NLM_F_CREATE | NL.NLM_F_EXCL)
        guard case .address(let a, false) = try XCTUnwrap(NetlinkParser.parse(b).first).get().event else { return XCTFail() }
        XCTAssertEqual(a.index, 6)
        XCTAssertEqual(a.local, IPAddress("10.0.0.1"))
        XCTAssertEqual(a.prefix, IPPrefix("10.0.0.1/24"))

        let del = NetlinkRequest.address(add: false, index: 6, prefix: IPPrefix("2001:db8::1/64")!, sequence: 3)
        XCTAssertEqual(u16(del, 4), NL.RTM_DELADDR)
        XCTAssertEqual(u16(del, 6), NL.NLM_F_REQUEST | NL.NLM_F_ACK)
    }

    func testSetLink() throws {
        let up = NetlinkRequest.setLink(index: 5, up: true, sequence: 4)
        XCTAssertEqual(u16(up, 4), NL.RTM_NEWLINK)
        XCTAssertEqual(u16(up, 6), NL.NLM_F_REQUEST | NL.NLM_F_ACK)
        XCTAssertEqual(u32(up, 16 + 4), 5)            // ifi_index
        XCTAssertEqual(u32(up, 16 + 8), NL.IFF_UP)    // ifi_flags
        XCTAssertEqual(u32(up, 16 + 12), NL.IFF_UP)   // ifi_change
        XCTAssertEqual(up.count, 32)

        // MTU only: IFF_UP untouched (change mask 0), IFLA_MTU attribute present.
        let mtu = NetlinkRequest.setLink(index: 5, mtu: 9000, sequence: 4)
        XCTAssertEqual(u32(mtu, 16 + 12), 0)
        guard case .link(let l, _) = try XCTUnwrap(NetlinkParser.parse(mtu).first).get().event else { return XCTFail() }
        XCTAssertEqual(l.mtu, 9000)
    }

    func testGetLinkByName() throws {
        let b = NetlinkRequest.getLink(name: "lan01", sequence: 8)
        XCTAssertEqual(u16(b, 6), NL.NLM_F_REQUEST)
        XCTAssertEqual(u16(b, 4), NL.RTM_GETLINK)
        // The parser only decodes RTM_NEWLINK/RTM_DELLINK messages; the body has the same layout.
        let link = try NetlinkParser.decodeLink(ByteReader(b), 16..<b.count).get()
        XCTAssertEqual(link?.name, "lan01")
    }

    func testErrorDescriptionsNameTheRequestAndErrno() {
        let e = NetlinkError.kernel(request: "add route 10.0.0.0/8 via 192.0.2.1 dev lan01", errno: 101, message: "Nexthop has invalid gateway")
        XCTAssertEqual(e.description, "add route 10.0.0.0/8 via 192.0.2.1 dev lan01: Network is unreachable (errno 101) (Nexthop has invalid gateway)")
        XCTAssertEqual(e.errno, 101)
    }
}
