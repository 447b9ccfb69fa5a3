import XCTest
import StraitCore
@testable import StraitNetlink

final class NetlinkParserTests: XCTestCase {
    typealias K = KernelBytes

    private func single(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> NetlinkMessage {
        let results = NetlinkParser.parse(bytes)
        XCTAssertEqual(results.count, 1, file: file, line: line)
        return try XCTUnwrap(results.first, file: file, line: line).get()
    }

    // MARK: Links

    func testLink() throws {
        let mac: [UInt8] = [0x02, 0, 0, 0, 0, 0x11]
        let m = try single(K.link(index: 7, name: "lan01", mac: mac, mtu: 9000, flags: NL.IFF_UP | NL.IFF_LOWER_UP, seq: 42))
        XCTAssertEqual(m.header.type, NL.RTM_NEWLINK)
        XCTAssertEqual(m.header.sequence, 42)
        guard case .link(let link, let deleted) = m.event else { return XCTFail("\(m.event)") }
        XCTAssertFalse(deleted)
        XCTAssertEqual(link.index, 7)
        XCTAssertEqual(link.name, "lan01")
        XCTAssertEqual(link.mac, MACAddress(mac))
        XCTAssertEqual(link.mtu, 9000)
        XCTAssertTrue(link.isUp)

        let down = try single(K.link(index: 7, name: "lan01", flags: 0, deleted: true))
        XCTAssertEqual(down.event, .link(LinkInfo(index: 7, name: "lan01", flags: 0), deleted: true))
    }

    func testBridgeFamilyLinkMessageIsNotALink() throws {
        // AF_BRIDGE RTM_DELLINK means "left the bridge", not "deleted".
        let m = try single(K.link(index: 7, name: "lan01", family: NL.AF_BRIDGE, deleted: true))
        XCTAssertEqual(m.event, .other(type: NL.RTM_DELLINK))
    }

    func testLinkWithShortMTUIsAnError() {
        var body: [UInt8] = [0, 0] + K.u16(1) + K.i32(3) + K.u32(1) + K.u32(0)
        body += K.attr(NL.IFLA_MTU, [1, 2])
        let results = NetlinkParser.parse(K.message(type: NL.RTM_NEWLINK, body: body))
        guard case .failure(let e)? = results.first else { return XCTFail("\(results)") }
        XCTAssertFalse(e.lostFraming)
        XCTAssertTrue(e.reason.contains("IFLA_MTU"), e.reason)
    }

    // MARK: Addresses

    func testAddresses() throws {
        let v4 = try single(K.address(index: 3, prefix: "10.0.0.1/24"))
        guard case .address(let a, false) = v4.event else { return XCTFail("\(v4.event)") }
        XCTAssertEqual(a.index, 3)
        XCTAssertEqual(a.prefix, IPPrefix("10.0.0.1/24"))

        // IPv6 sends IFA_ADDRESS only.
        let v6 = try single(K.address(index: 4, prefix: "2001:db8::1/64", local: false, deleted: true))
        guard case .address(let b, true) = v6.event else { return XCTFail("\(v6.event)") }
        XCTAssertNil(b.local)
        XCTAssertEqual(b.prefix, IPPrefix("2001:db8::1/64"))
    }

    func testPointToPointAddressPrefersLocal() throws {
        var body: [UInt8] = [NL.AF_INET, 32, 0, 0] + K.u32(5)
        body += K.attr(NL.IFA_ADDRESS, K.ip("192.0.2.2"))   // the peer
        body += K.attr(NL.IFA_LOCAL, K.ip("192.0.2.1"))
        let m = try single(K.message(type: NL.RTM_NEWADDR, body: body))
        guard case .address(let a, _) = m.event else { return XCTFail() }
        XCTAssertEqual(a.ownAddress, IPAddress("192.0.2.1"))
    }

    func testAddressOfWrongSizeIsAnError() {
        var body: [UInt8] = [NL.AF_INET, 24, 0, 0] + K.u32(5)
        body += K.attr(NL.IFA_LOCAL, K.ip("2001:db8::1"))
        let r = NetlinkParser.parse(K.message(type: NL.RTM_NEWADDR, body: body))
        guard case .failure? = r.first else { return XCTFail("\(r)") }
    }

    // MARK: Routes

    func testRoute() throws {
        let m = try single(K.route("10.1.0.0/16", gateway: "10.0.0.2", oif: 3, priority: 20))
        guard case .route(let r, false) = m.event else { return XCTFail("\(m.event)") }
        XCTAssertEqual(r.prefix, IPPrefix("10.1.0.0/16"))
        XCTAssertEqual(r.table, 254)
        XCTAssertEqual(r.type, NL.RTN_UNICAST)
        XCTAssertEqual(r.priority, 20)
        XCTAssertEqual(r.nextHops, [RouteNextHop(ifindex: 3, gateway: IPAddress("10.0.0.2"))])
    }

    func testDefaultRouteAndTableAttribute() throws {
        // rtm_table holds 8 bits; RTA_TABLE carries the real one and wins.
        let m = try single(K.route("0.0.0.0/0", gateway: "10.0.0.1", oif: 3, table: 252, rtaTable: 1000))
        guard case .route(let r, _) = m.event else { return XCTFail() }
        XCTAssertNil(r.destination)
        XCTAssertEqual(r.prefix, IPPrefix("0.0.0.0/0"))
        XCTAssertEqual(r.table, 1000)
        XCTAssertEqual(r.priority, 0, "absent RTA_PRIORITY is metric 0")

        let v6 = try single(K.route("::/0", gateway: "fe80::1", oif: 4, priority: 1024, deleted: true))
        guard case .route(let r6, true) = v6.event else { return XCTFail() }
        XCTAssertEqual(r6.prefix, IPPrefix("::/0"))
        XCTAssertEqual(r6.nextHops.first?.gateway, IPAddress("fe80::1"))
    }

    func testMultipathAndVia() throws {
        let hops = [K.nexthop(ifindex: 5, gateway: "2001:db8::5"), K.nexthop(ifindex: 6, via: "2001:db8::6", flags: 1)]
        let m = try single(K.route("2001:db8:100::/48", priority: 1024, multipath: hops))
        guard case .route(let r, _) = m.event else { return XCTFail() }
        XCTAssertEqual(r.nextHops, [RouteNextHop(ifindex: 5, gateway: IPAddress("2001:db8::5")),
                                    RouteNextHop(ifindex: 6, gateway: IPAddress("2001:db8::6"), flags: 1)])

        // IPv4 route through an IPv6 next hop (RTA_VIA).
        let v = try single(K.route("10.9.0.0/16", via: "fe80::9", oif: 3))
        guard case .route(let rv, _) = v.event else { return XCTFail() }
        XCTAssertEqual(rv.nextHops, [RouteNextHop(ifindex: 3, gateway: IPAddress("fe80::9"))])
    }

    func testBrokenMultipathIsAnError() {
        // An rtnexthop claiming 40 bytes in a 16-byte attribute.
        let bad = K.u16(40) + [0, 0] + K.i32(5) + K.attr(NL.RTA_GATEWAY, K.ip("10.0.0.1"))
        let r = NetlinkParser.parse(K.route("10.9.0.0/16", multipath: [bad]))
        guard case .failure(let e)? = r.first else { return XCTFail("\(r)") }
        XCTAssertTrue(e.reason.contains("rtnexthop"), e.reason)
    }

    func testRouteOfOtherFamilyIsSkipped() throws {
        // AF_MPLS (28): not decoded as IP.
        let body: [UInt8] = [28, 20, 0, 0, 254, 3, 0, 1] + K.u32(0) + K.attr(NL.RTA_DST, [0, 1, 0x41, 0])
        let m = try single(K.message(type: NL.RTM_NEWROUTE, body: body))
        XCTAssertEqual(m.event, .other(type: NL.RTM_NEWROUTE))
    }

    // MARK: Neighbours

    func testNeighbor() throws {
        let mac: [UInt8] = [0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee]
        let m = try single(K.neighbor(index: 3, dst: "10.0.0.2", lladdr: mac, state: NL.NUD_REACHABLE))
        guard case .neighbor(let n, false) = m.event else { return XCTFail("\(m.event)") }
        XCTAssertEqual(n.destination, IPAddress("10.0.0.2"))
        XCTAssertEqual(n.lladdr, MACAddress(mac))
        XCTAssertEqual(n.state, NL.NUD_REACHABLE)
        XCTAssertTrue(n.isUsable)

        let failed = try single(K.neighbor(index: 3, dst: "2001:db8::2", lladdr: nil, state: NL.NUD_FAILED))
        guard case .neighbor(let f, _) = failed.event else { return XCTFail() }
        XCTAssertNil(f.lladdr)
        XCTAssertFalse(f.isUsable)

        // A non-Ethernet link-layer address (e.g. a 4-byte tunnel endpoint) is not a MAC.
        let tunnel = try single(K.neighbor(index: 3, dst: "10.0.0.3", lladdr: [1, 2, 3, 4], state: NL.NUD_NOARP))
        guard case .neighbor(let t, _) = tunnel.event else { return XCTFail() }
        XCTAssertNil(t.lladdr)
    }

    // MARK: Multi-part, acks, errors

    func testMultipartDump() throws {
        // Names of odd lengths exercise attribute padding.
        let buffer = K.link(index: 1, name: "lo", seq: 9, msgFlags: NL.NLM_F_MULTI)
            + K.link(index: 2, name: "lan01", seq: 9, msgFlags: NL.NLM_F_MULTI)
            + K.link(index: 3, name: "wan001x", seq: 9, msgFlags: NL.NLM_F_MULTI)
            + K.done(seq: 9)
        let results = NetlinkParser.parse(buffer)
        let messages = try results.map { try $0.get() }
        XCTAssertEqual(messages.count, 4)
        XCTAssertEqual(messages.compactMap { if case .link(let l, _) = $0.event { return l.name } else { return nil } },
                       ["lo", "lan01", "wan001x"])
        XCTAssertTrue(messages.dropLast().allSatisfy { $0.header.flags & NL.NLM_F_MULTI != 0 && $0.header.sequence == 9 })
        XCTAssertEqual(messages.last?.event, .done)
    }

    func testAckAndErrors() throws {
        let ack = try single(K.error(seq: 5, code: 0))
        XCTAssertEqual(ack.event, .ack)
        XCTAssertEqual(ack.header.sequence, 5)

        let exists = try single(K.error(seq: 6, code: -17))
        XCTAssertEqual(exists.event, .error(errno: 17, message: nil))

        let ext = try single(K.error(seq: 7, code: -101, extAckMessage: "Nexthop has invalid gateway"))
        XCTAssertEqual(ext.event, .error(errno: 101, message: "Nexthop has invalid gateway"))

        // Not capped: the request's payload is echoed before the TLVs.
        let echoed = try single(K.error(seq: 8, code: -22, capped: false, echoedPayload: [UInt8](repeating: 0xee, count: 13),
                                        extAckMessage: "bad value"))
        XCTAssertEqual(echoed.event, .error(errno: 22, message: "bad value"))

        let short = NetlinkParser.parse(K.message(type: NL.NLMSG_ERROR, seq: 9, body: [0, 0]))
        guard case .failure(let e)? = short.first else { return XCTFail("\(short)") }
        XCTAssertEqual(e.header?.sequence, 9)
    }

    func testDoneWithErrorCode() throws {
        let m = try single(K.message(type: NL.NLMSG_DONE, flags: NL.NLM_F_MULTI, seq: 3, body: K.i32(-4)))
        XCTAssertEqual(m.event, .error(errno: 4, message: nil))
    }

    // MARK: Malformed input

    func testBadBodyDoesNotStopTheWalk() throws {
        var badAttr = [UInt8](K.route("10.1.0.0/16", oif: 3))
        // Make the last attribute claim more bytes than the message has.
        badAttr[badAttr.count - 8] = 200
        let buffer = badAttr + K.route("10.2.0.0/16", oif: 3)
        let results = NetlinkParser.parse(buffer)
        XCTAssertEqual(results.count, 2)
        guard case .failure(let e) = results[0] else { return XCTFail("\(results[0])") }
        XCTAssertFalse(e.lostFraming)
        guard case .route(let r, _) = try results[1].get().event else { return XCTFail() }
        XCTAssertEqual(r.prefix, IPPrefix("10.2.0.0/16"))
    }

    func testBrokenHeaderEndsTheWalk() {
        var buffer = K.route("10.1.0.0/16", oif: 3) + K.route("10.2.0.0/16", oif: 3)
        buffer[0] = 8; buffer[1] = 0; buffer[2] = 0; buffer[3] = 0     // nlmsg_len 8 < 16
        let results = NetlinkParser.parse(buffer)
        XCTAssertEqual(results.count, 1)
        guard case .failure(let e) = results[0] else { return XCTFail() }
        XCTAssertTrue(e.lostFraming)

        let tooLong = K.u32(4000) + [UInt8](K.route("10.1.0.0/16", oif: 3).dropFirst(4))
        guard case .failure(let e2)? = NetlinkParser.parse(tooLong).first else { return XCTFail() }
        XCTAssertTrue(e2.lostFraming)
    }

    func testEveryTruncationIsAValueNotACrash() {
        let mac: [UInt8] = [2, 0, 0, 0, 0, 1]
        let buffer = K.link(index: 2, name: "lan01", mac: mac, mtu: 1500)
            + K.address(index: 2, prefix: "10.0.0.1/24")
            + K.route("2001:db8::/32", priority: 1024, multipath: [K.nexthop(ifindex: 2, gateway: "2001:db8::1")])
            + K.neighbor(index: 2, dst: "10.0.0.2", lladdr: mac, state: NL.NUD_STALE)
            + K.error(seq: 1, code: -1, extAckMessage: "nope")
            + K.done(seq: 1)
        var messageEnds: Set<Int> = [0]
        var offset = 0
        for m in NetlinkParser.parse(buffer) {
            guard case .success(let message) = m else { return XCTFail("\(m)") }
            offset += NL.align(Int(message.header.length))
            messageEnds.insert(offset)
        }
        XCTAssertEqual(offset, buffer.count)
        for cut in 0...buffer.count {
            let results = NetlinkParser.parse(Array(buffer.prefix(cut)))
            if messageEnds.contains(cut) {
                XCTAssertTrue(results.allSatisfy { (try? $0.get()) != nil }, "cut at \(cut)")
            } else {
                guard case .failure(let e)? = results.last else { return XCTFail("cut at \(cut) parsed without error") }
                XCTAssertTrue(e.lostFraming, "cut at \(cut)")
            }
        }
    }

    func testGarbageNeverCrashes() {
        var rng = SplitMix(seed: 0x5eed)
        let seedMessages = [K.link(index: 2, name: "x", mtu: 1), K.route("10.0.0.0/8", gateway: "10.0.0.1", oif: 1),
                            K.neighbor(index: 2, dst: "::1", lladdr: [1, 2, 3, 4, 5, 6], state: 2),
                            K.address(index: 1, prefix: "::1/128"), K.error(seq: 1, code: -3, extAckMessage: "m")]
        var parsed = 0
        for i in 0..<5000 {
            var bytes: [UInt8]
            if i % 2 == 0 {
                bytes = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                // Valid message with a few bytes flipped: reaches the body decoders.
                bytes = seedMessages[Int(rng.next() % UInt64(seedMessages.count))]
                for _ in 0..<3 { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            }
            parsed += NetlinkParser.parse(bytes).count
        }
        XCTAssertGreaterThan(parsed, 0)
    }
}

/// A small deterministic generator for the fuzz test.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
