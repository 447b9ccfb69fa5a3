import XCTest
import StraitCore
@testable import StraitNetlink

// Event builders: ifindex 3 = lan01 (port 1), 5 = wan01 (port 2), 4 = eth0 (not a mirror).
private func link(_ index: Int32, _ name: String, up: Bool = true, deleted: Bool = false) -> NetlinkEvent {
    .link(LinkInfo(index: index, name: name, flags: up ? NL.IFF_UP : 0), deleted: deleted)
}

private func addr(_ index: Int32, _ text: String, deleted: Bool = false) -> NetlinkEvent {
    let p = IPPrefix(text)!
    return .address(AddressInfo(family: p.isIPv4 ? NL.AF_INET : NL.AF_INET6, index: index, prefixLength: p.length,
                                local: p.isIPv4 ? p.address : nil, address: p.address), deleted: deleted)
}

private func route(_ dst: String, via: String? = nil, oif: Int32? = nil, metric: UInt32 = 0, type: UInt8 = NL.RTN_UNICAST,
                   table: UInt32 = 254, hops: [RouteNextHop]? = nil, deleted: Bool = false) -> NetlinkEvent {
    let p = IPPrefix(dst)!
    var nextHops: [RouteNextHop] = []
    if let hops { nextHops = hops } else if oif != nil || via != nil { nextHops = [RouteNextHop(ifindex: oif, gateway: via.flatMap(IPAddress.init))] }
    return .route(RouteInfo(family: p.isIPv4 ? NL.AF_INET : NL.AF_INET6, destinationLength: p.length, table: table,
                            type: type, destination: p.length == 0 ? nil : p.address, priority: metric, nextHops: nextHops),
                  deleted: deleted)
}

private func neigh(_ index: Int32, _ dst: String, _ mac: String?, _ state: UInt16, deleted: Bool = false) -> NetlinkEvent {
    let a = IPAddress(dst)!
    return .neighbor(NeighborInfo(family: a.isIPv4 ? NL.AF_INET : NL.AF_INET6, index: index, state: state,
                                  destination: a, lladdr: mac.flatMap(MACAddress.init)), deleted: deleted)
}

private func P(_ s: String) -> IPPrefix { IPPrefix(s)! }
private func A(_ s: String) -> IPAddress { IPAddress(s)! }
private func M(_ s: String) -> MACAddress { MACAddress(s)! }

final class FibMirrorTests: XCTestCase {
    var fib = FibMirror(mirrors: ["lan01": 1, "wan01": 2])

    override func setUp() {
        fib = FibMirror(mirrors: ["lan01": 1, "wan01": 2])
        XCTAssertEqual(fib.handle([link(3, "lan01"), link(4, "eth0"), link(5, "wan01")]), [])
    }

    func testAddressesAreLocalRoutes() {
        XCTAssertEqual(fib.handle(addr(3, "10.0.0.1/24")), [.addRoute(P("10.0.0.1/32"), .local(port: 1))])
        XCTAssertEqual(fib.handle(addr(5, "2001:db8::1/64")), [.addRoute(P("2001:db8::1/128"), .local(port: 2))])
        XCTAssertEqual(fib.handle(addr(3, "fe80::1/64")), [], "link-local addresses are link-scoped")
        XCTAssertEqual(fib.handle(addr(3, "10.0.0.1/24")), [], "same address again")
        XCTAssertEqual(fib.handle(addr(3, "10.0.0.1/24", deleted: true)), [.deleteRoute(P("10.0.0.1/32"))])
        XCTAssertEqual(fib.routes, [P("2001:db8::1/128"): .local(port: 2)])
    }

    func testRouteKinds() {
        XCTAssertEqual(fib.handle(route("10.0.0.0/24", oif: 3)), [.addRoute(P("10.0.0.0/24"), .connected(port: 1))])
        XCTAssertEqual(fib.handle(route("10.1.0.0/16", via: "10.0.0.2", oif: 3)),
                       [.addRoute(P("10.1.0.0/16"), .gateway(A("10.0.0.2"), port: 1))])
        XCTAssertEqual(fib.handle(route("0.0.0.0/0", via: "192.0.2.1", oif: 5)),
                       [.addRoute(P("0.0.0.0/0"), .gateway(A("192.0.2.1"), port: 2))])
        XCTAssertEqual(fib.handle(route("10.66.0.0/16", type: NL.RTN_BLACKHOLE)), [.addRoute(P("10.66.0.0/16"), .blackhole)])
        XCTAssertEqual(fib.handle(route("10.67.0.0/16", type: NL.RTN_UNREACHABLE)), [.addRoute(P("10.67.0.0/16"), .kernel)])
        XCTAssertEqual(fib.handle(route("10.68.0.0/16", type: NL.RTN_PROHIBIT)), [.addRoute(P("10.68.0.0/16"), .kernel)])
        XCTAssertEqual(fib.handle(route("2001:db8:1::/48", via: "fe80::1", oif: 5, metric: 1024)),
                       [.addRoute(P("2001:db8:1::/48"), .gateway(A("fe80::1"), port: 2))])
        XCTAssertEqual(fib.routes.count, 7)
    }

    func testIgnoredRoutes() {
        XCTAssertEqual(fib.handle(route("10.9.0.0/16", via: "172.16.0.1", oif: 4)), [], "oif not a mirror")
        XCTAssertEqual(fib.handle(route("10.9.0.0/16", via: "10.0.0.1", oif: 99)), [], "unknown ifindex")
        XCTAssertEqual(fib.handle(route("10.8.0.0/16", oif: 3, table: 100)), [], "not table main")
        XCTAssertEqual(fib.handle(route("10.0.0.1/32", oif: 3, type: NL.RTN_LOCAL, table: 255)), [])
        XCTAssertEqual(fib.handle(route("10.0.0.255/32", oif: 3, type: NL.RTN_BROADCAST)), [])
        XCTAssertEqual(fib.handle(route("224.0.0.0/4", oif: 3, type: NL.RTN_MULTICAST)), [])
        XCTAssertEqual(fib.handle(route("fe80::/64", oif: 3, metric: 256)), [])
        XCTAssertEqual(fib.handle(route("ff00::/8", oif: 3, metric: 256)), [])
        var tos = RouteInfo(family: NL.AF_INET, destinationLength: 16, tos: 0x10, destination: A("10.7.0.0"), nextHops: [RouteNextHop(ifindex: 3)])
        XCTAssertEqual(fib.handle(.route(tos, deleted: false)), [], "TOS-specific")
        tos.tos = 0; tos.flags = NL.RTM_F_CLONED
        XCTAssertEqual(fib.handle(.route(tos, deleted: false)), [], "cached clone")
        XCTAssertEqual(fib.handle(addr(4, "172.16.0.5/24")), [], "address on a non-mirror")
        XCTAssertEqual(fib.handle(neigh(4, "172.16.0.1", "02:00:00:00:00:01", NL.NUD_REACHABLE)), [], "neighbour on a non-mirror")
        XCTAssertEqual(fib.handle(route("10.9.0.0/16", via: "172.16.0.1", oif: 4, deleted: true)), [])
        XCTAssertEqual(fib.handle(route("10.200.0.0/16", oif: 3, deleted: true)), [], "delete of something never seen")
        XCTAssertTrue(fib.routes.isEmpty)
        XCTAssertTrue(fib.neighbors.isEmpty)
    }

    func testReplaceAndNoOpSuppression() {
        XCTAssertEqual(fib.handle(route("10.1.0.0/16", via: "10.0.0.2", oif: 3)).count, 1)
        XCTAssertEqual(fib.handle(route("10.1.0.0/16", via: "10.0.0.2", oif: 3)), [], "identical route again")
        XCTAssertEqual(fib.handle(route("10.1.0.0/16", via: "10.0.0.3", oif: 3)),
                       [.addRoute(P("10.1.0.0/16"), .gateway(A("10.0.0.3"), port: 1))], "replace")
        // Same forwarding result through another kernel route shape: no operation.
        let viaMultipath = route("10.1.0.0/16", hops: [RouteNextHop(ifindex: 3, gateway: A("10.0.0.3"))])
        XCTAssertEqual(fib.handle(viaMultipath), [])
        XCTAssertEqual(fib.handle(route("10.1.0.0/16", deleted: true)), [.deleteRoute(P("10.1.0.0/16"))])
        XCTAssertEqual(fib.handle(route("10.1.0.0/16", deleted: true)), [], "already deleted")
    }

    func testLowestMetricWinsAndFallsBack() {
        XCTAssertEqual(fib.handle(route("0.0.0.0/0", via: "192.0.2.1", oif: 5, metric: 100)),
                       [.addRoute(P("0.0.0.0/0"), .gateway(A("192.0.2.1"), port: 2))])
        XCTAssertEqual(fib.handle(route("0.0.0.0/0", via: "10.0.0.1", oif: 3, metric: 10)),
                       [.addRoute(P("0.0.0.0/0"), .gateway(A("10.0.0.1"), port: 1))], "better metric takes over")
        XCTAssertEqual(fib.handle(route("0.0.0.0/0", via: "10.0.0.9", oif: 3, metric: 200)), [], "worse metric: nothing")
        XCTAssertEqual(fib.handle(route("0.0.0.0/0", metric: 10, deleted: true)),
                       [.addRoute(P("0.0.0.0/0"), .gateway(A("192.0.2.1"), port: 2))], "falls back to metric 100")
        XCTAssertEqual(fib.handle(route("0.0.0.0/0", metric: 200, deleted: true)), [], "removing a backup changes nothing")
        XCTAssertEqual(fib.handle(route("0.0.0.0/0", metric: 100, deleted: true)), [.deleteRoute(P("0.0.0.0/0"))])
    }

    func testBestRouteThroughNonMirrorIsSkipped() {
        XCTAssertEqual(fib.handle(route("10.5.0.0/16", via: "172.16.0.1", oif: 4, metric: 1)), [])
        XCTAssertEqual(fib.handle(route("10.5.0.0/16", via: "10.0.0.5", oif: 3, metric: 50)),
                       [.addRoute(P("10.5.0.0/16"), .gateway(A("10.0.0.5"), port: 1))])
    }

    func testLocalAddressWinsOverRouteToTheSameHost() {
        XCTAssertEqual(fib.handle(route("10.0.0.1/32", via: "10.0.0.9", oif: 3)).count, 1)
        XCTAssertEqual(fib.handle(addr(5, "10.0.0.1/24")), [.addRoute(P("10.0.0.1/32"), .local(port: 2))])
        XCTAssertEqual(fib.handle(addr(5, "10.0.0.1/24", deleted: true)),
                       [.addRoute(P("10.0.0.1/32"), .gateway(A("10.0.0.9"), port: 1))])
    }

    func testMultipathAndViaUseTheFirstHopOnAMirror() {
        let hops = [RouteNextHop(ifindex: 4, gateway: A("2001:db8:4::1")),
                    RouteNextHop(ifindex: 5, gateway: A("fe80::5")),
                    RouteNextHop(ifindex: 3, gateway: A("fe80::3"))]
        XCTAssertEqual(fib.handle(route("2001:db8:9::/48", metric: 1024, hops: hops)),
                       [.addRoute(P("2001:db8:9::/48"), .gateway(A("fe80::5"), port: 2))])
        let dead = [RouteNextHop(ifindex: 5, gateway: A("10.0.0.5"), flags: NL.RTNH_F_DEAD),
                    RouteNextHop(ifindex: 3, gateway: A("10.0.0.3"))]
        XCTAssertEqual(fib.handle(route("10.44.0.0/16", hops: dead)),
                       [.addRoute(P("10.44.0.0/16"), .gateway(A("10.0.0.3"), port: 1))], "dead next hop skipped")
        // IPv4 route through an IPv6 next hop (RTA_VIA).
        XCTAssertEqual(fib.handle(route("10.45.0.0/16", via: "fe80::7", oif: 3)),
                       [.addRoute(P("10.45.0.0/16"), .gateway(A("fe80::7"), port: 1))])
    }

    func testNeighborStates() {
        let mac1 = "02:00:00:00:00:01", mac2 = "02:00:00:00:00:02"
        XCTAssertEqual(fib.handle(neigh(3, "10.0.0.2", nil, NL.NUD_INCOMPLETE)), [], "incomplete, not installed")
        XCTAssertEqual(fib.handle(neigh(3, "10.0.0.2", mac1, NL.NUD_INCOMPLETE)), [], "the state decides, not the lladdr")
        XCTAssertEqual(fib.handle(neigh(3, "10.0.0.2", mac1, NL.NUD_REACHABLE)),
                       [.addNeighbor(port: 1, address: A("10.0.0.2"), mac: M(mac1))])
        for state in [NL.NUD_STALE, NL.NUD_DELAY, NL.NUD_PROBE, NL.NUD_REACHABLE] {
            XCTAssertEqual(fib.handle(neigh(3, "10.0.0.2", mac1, state)), [], "state \(state), same MAC")
        }
        XCTAssertEqual(fib.handle(neigh(3, "10.0.0.2", mac2, NL.NUD_STALE)),
                       [.addNeighbor(port: 1, address: A("10.0.0.2"), mac: M(mac2))], "MAC changed")
        XCTAssertEqual(fib.handle(neigh(3, "10.0.0.2", mac2, NL.NUD_FAILED)), [.deleteNeighbor(port: 1, address: A("10.0.0.2"))])
        XCTAssertEqual(fib.handle(neigh(3, "10.0.0.2", nil, NL.NUD_FAILED)), [])
        XCTAssertEqual(fib.handle(neigh(5, "2001:db8::2", mac1, NL.NUD_PERMANENT)),
                       [.addNeighbor(port: 2, address: A("2001:db8::2"), mac: M(mac1))])
        XCTAssertEqual(fib.handle(neigh(5, "2001:db8::3", mac2, NL.NUD_NOARP)),
                       [.addNeighbor(port: 2, address: A("2001:db8::3"), mac: M(mac2))])
        XCTAssertEqual(fib.handle(neigh(5, "2001:db8::4", nil, NL.NUD_REACHABLE)), [], "usable state without lladdr")
        XCTAssertEqual(fib.handle(neigh(5, "ff02::16", "33:33:00:00:00:16", NL.NUD_NOARP)), [], "multicast")
        XCTAssertEqual(fib.handle(neigh(3, "224.0.0.22", "01:00:5e:00:00:16", NL.NUD_NOARP)), [], "multicast")
        XCTAssertEqual(fib.handle(neigh(5, "2001:db8::2", mac1, NL.NUD_PERMANENT, deleted: true)),
                       [.deleteNeighbor(port: 2, address: A("2001:db8::2"))])
        XCTAssertEqual(fib.handle(neigh(5, "2001:db8::3", mac2, NL.NUD_NONE)), [.deleteNeighbor(port: 2, address: A("2001:db8::3"))])
        XCTAssertTrue(fib.neighbors.isEmpty)
    }

    func testLinkDeletionRemovesEverythingOnIt() {
        _ = fib.handle([addr(3, "10.0.0.1/24"), route("10.0.0.0/24", oif: 3), route("10.1.0.0/16", via: "10.0.0.2", oif: 3),
                        route("2001:db8:1::/48", via: "fe80::1", oif: 3, metric: 1024),
                        neigh(3, "10.0.0.2", "02:00:00:00:00:02", NL.NUD_REACHABLE),
                        route("0.0.0.0/0", via: "192.0.2.1", oif: 5), neigh(5, "192.0.2.1", "02:00:00:00:00:09", NL.NUD_STALE)])
        XCTAssertEqual(fib.routes.count, 5)
        let ops = fib.handle(link(3, "lan01", deleted: true))
        XCTAssertEqual(Set(ops), [.deleteRoute(P("10.0.0.1/32")), .deleteRoute(P("10.0.0.0/24")), .deleteRoute(P("10.1.0.0/16")),
                                  .deleteRoute(P("2001:db8:1::/48")), .deleteNeighbor(port: 1, address: A("10.0.0.2"))])
        XCTAssertEqual(ops.count, 5)
        XCTAssertEqual(ops.last, .deleteNeighbor(port: 1, address: A("10.0.0.2")), "routes withdrawn before neighbours")
        XCTAssertEqual(fib.routes, [P("0.0.0.0/0"): .gateway(A("192.0.2.1"), port: 2)])
        XCTAssertEqual(fib.neighbors.count, 1)
        // The kernel's own follow-up notifications change nothing.
        XCTAssertEqual(fib.handle([addr(3, "10.0.0.1/24", deleted: true), route("10.0.0.0/24", oif: 3, deleted: true)]), [])
    }

    func testLinkDownFlushesIPv4RoutesLikeTheKernel() {
        _ = fib.handle([addr(3, "10.0.0.1/24"), route("10.0.0.0/24", oif: 3), route("10.1.0.0/16", via: "10.0.0.2", oif: 3),
                        route("2001:db8:1::/48", via: "fe80::1", oif: 3, metric: 1024)])
        XCTAssertEqual(fib.handle(link(3, "lan01", up: true)), [], "no change")
        let ops = fib.handle(link(3, "lan01", up: false))
        XCTAssertEqual(Set(ops), [.deleteRoute(P("10.0.0.0/24")), .deleteRoute(P("10.1.0.0/16"))],
                       "IPv4 routes go silently; IPv6 ones are notified by the kernel; addresses stay")
        XCTAssertEqual(fib.routes[P("10.0.0.1/32")], .local(port: 1))
        XCTAssertEqual(fib.routes[P("2001:db8:1::/48")], .gateway(A("fe80::1"), port: 1))
        // Up again: the flushed routes stay gone (the kernel re-announces its connected ones).
        XCTAssertEqual(fib.handle(link(3, "lan01", up: true)), [])
    }

    func testMultipathNextHopDiesWithItsLinkAndComesBack() {
        let hops = [RouteNextHop(ifindex: 3, gateway: A("10.0.0.2")), RouteNextHop(ifindex: 5, gateway: A("192.0.2.1"))]
        XCTAssertEqual(fib.handle(route("10.20.0.0/16", hops: hops)), [.addRoute(P("10.20.0.0/16"), .gateway(A("10.0.0.2"), port: 1))])
        XCTAssertEqual(fib.handle(link(3, "lan01", up: false)), [.addRoute(P("10.20.0.0/16"), .gateway(A("192.0.2.1"), port: 2))])
        XCTAssertEqual(fib.handle(link(3, "lan01", up: true)), [.addRoute(P("10.20.0.0/16"), .gateway(A("10.0.0.2"), port: 1))])
        XCTAssertEqual(fib.handle(link(3, "lan01", up: false)).count, 1)
        XCTAssertEqual(fib.handle(link(5, "wan01", up: false)), [.deleteRoute(P("10.20.0.0/16"))], "all next hops dead: flushed")
        XCTAssertEqual(fib.handle([link(3, "lan01", up: true), link(5, "wan01", up: true)]), [], "a flushed route does not come back")
    }

    func testRemovingTheLastIPv4AddressFlushesIPv4Routes() {
        _ = fib.handle([addr(3, "10.0.0.1/24"), addr(3, "10.8.0.1/24"), route("10.50.0.0/16", via: "10.0.0.2", oif: 3),
                        route("2001:db8:1::/48", via: "fe80::1", oif: 3, metric: 1024)])
        XCTAssertEqual(fib.handle(addr(3, "10.8.0.1/24", deleted: true)), [.deleteRoute(P("10.8.0.1/32"))])
        XCTAssertEqual(Set(fib.handle(addr(3, "10.0.0.1/24", deleted: true))),
                       [.deleteRoute(P("10.0.0.1/32")), .deleteRoute(P("10.50.0.0/16"))])
        XCTAssertNotNil(fib.routes[P("2001:db8:1::/48")])
    }

    func testRecreatedMirrorWithNewIndex() {
        _ = fib.handle([addr(3, "10.0.0.1/24"), route("10.1.0.0/16", via: "10.0.0.2", oif: 3),
                        neigh(3, "10.0.0.2", "02:00:00:00:00:02", NL.NUD_REACHABLE)])
        // lan01 comes back as ifindex 9 and its deletion was never seen.
        let ops = fib.handle(link(9, "lan01"))
        XCTAssertEqual(Set(ops), [.deleteRoute(P("10.0.0.1/32")), .deleteRoute(P("10.1.0.0/16")),
                                  .deleteNeighbor(port: 1, address: A("10.0.0.2"))])
        XCTAssertEqual(fib.handle(route("10.1.0.0/16", via: "10.0.0.2", oif: 3)), [], "old ifindex is not a mirror any more")
        XCTAssertEqual(fib.handle(route("10.1.0.0/16", via: "10.0.0.2", oif: 9)),
                       [.addRoute(P("10.1.0.0/16"), .gateway(A("10.0.0.2"), port: 1))])
        XCTAssertEqual(fib.port(ofIndex: 9), 1)
        XCTAssertNil(fib.port(ofIndex: 3))
    }

    func testRenameIntoAndOutOfAMirror() {
        _ = fib.handle([link(6, "tmp0"), addr(6, "10.6.0.1/24"), route("10.6.0.0/24", oif: 6),
                        neigh(6, "10.6.0.2", "02:00:00:00:00:06", NL.NUD_REACHABLE)])
        XCTAssertTrue(fib.routes.isEmpty)
        // lan01 (index 3) goes away and tmp0 takes its name.
        _ = fib.handle(link(3, "lan01", deleted: true))
        XCTAssertEqual(Set(fib.handle(link(6, "lan01"))),
                       [.addRoute(P("10.6.0.1/32"), .local(port: 1)), .addRoute(P("10.6.0.0/24"), .connected(port: 1)),
                        .addNeighbor(port: 1, address: A("10.6.0.2"), mac: M("02:00:00:00:00:06"))])
        XCTAssertEqual(Set(fib.handle(link(6, "other"))),
                       [.deleteRoute(P("10.6.0.1/32")), .deleteRoute(P("10.6.0.0/24")), .deleteNeighbor(port: 1, address: A("10.6.0.2"))])
    }

    func testResyncDeletesStaleAndRepeatsNothingUnchanged() {
        _ = fib.handle([addr(3, "10.0.0.1/24"), route("10.0.0.0/24", oif: 3), route("10.1.0.0/16", via: "10.0.0.2", oif: 3),
                        route("10.2.0.0/16", via: "10.0.0.2", oif: 3), neigh(3, "10.0.0.2", "02:00:00:00:00:02", NL.NUD_REACHABLE),
                        neigh(3, "10.0.0.3", "02:00:00:00:00:03", NL.NUD_REACHABLE)])
        let before = fib.routes
        fib.beginResync()
        XCTAssertTrue(fib.isResyncing)
        // The dump: 10.1/16 changed gateway, 10.2/16 and neighbour .3 vanished, 10.3/16 is new.
        let dump: [NetlinkEvent] = [link(4, "eth0"), link(3, "lan01"), link(5, "wan01"), addr(3, "10.0.0.1/24"),
                                    route("10.0.0.0/24", oif: 3), route("10.1.0.0/16", via: "10.0.0.9", oif: 3),
                                    route("10.3.0.0/16", via: "10.0.0.2", oif: 3),
                                    neigh(3, "10.0.0.2", "02:00:00:00:00:02", NL.NUD_STALE), .done]
        XCTAssertEqual(fib.handle(dump), [], "nothing emitted during the dump")
        XCTAssertEqual(fib.routes, before, "the fast path is untouched until the end")
        let ops = fib.endResync()
        XCTAssertFalse(fib.isResyncing)
        XCTAssertEqual(ops, [.deleteRoute(P("10.2.0.0/16")), .deleteNeighbor(port: 1, address: A("10.0.0.3")),
                             .addRoute(P("10.1.0.0/16"), .gateway(A("10.0.0.9"), port: 1)),
                             .addRoute(P("10.3.0.0/16"), .gateway(A("10.0.0.2"), port: 1))])
        // Incremental handling works as before afterwards.
        XCTAssertEqual(fib.handle(route("10.3.0.0/16", deleted: true)), [.deleteRoute(P("10.3.0.0/16"))])

        // A resync that finds everything unchanged emits nothing.
        fib.beginResync()
        _ = fib.handle(dump)
        _ = fib.handle(route("10.3.0.0/16", deleted: true))
        XCTAssertEqual(fib.endResync(), [])
    }

    func testResyncWhenAMirrorVanished() {
        _ = fib.handle([addr(5, "192.0.2.2/24"), route("0.0.0.0/0", via: "192.0.2.1", oif: 5)])
        fib.beginResync()
        _ = fib.handle([link(3, "lan01"), link(4, "eth0")])
        XCTAssertEqual(fib.endResync(), [.deleteRoute(P("0.0.0.0/0")), .deleteRoute(P("192.0.2.2/32"))])
        XCTAssertTrue(fib.routes.isEmpty)
    }
}
