import CFastPath
import Foundation
import StraitCore
import XCTest

/// FIB/LPM, nexthops and neighbours through the C API, on a real EAL with two null ports
/// (no workers: the tables are the subject here, the lab covers forwarding). EAL itself is
/// shared by all test classes (FastPathTestEAL).
final class TablesTests: XCTestCase {
    static var ports: [Int32] = []

    override class func setUp() {
        super.setUp()
        guard ports.isEmpty, FastPathTestEAL.up() else { return }
        var err = [CChar](repeating: 0, count: Int(FP_ERR_LEN))
        for name in ["p0", "p1"] {
            var pc = fp_port_config_t()
            withUnsafeMutableBytes(of: &pc.name) { raw in for (i, b) in name.utf8.enumerated() { raw[i] = b } }
            let dev = "net_null_\(name)"
            withUnsafeMutableBytes(of: &pc.devargs) { raw in for (i, b) in dev.utf8.enumerated() { raw[i] = b } }
            pc.no_mirror = 1
            let h = fp_port_add(&pc, &err, err.count)
            XCTAssertGreaterThanOrEqual(h, 0, String(cString: err))
            ports.append(h)
        }
    }

    private func ip(_ text: String) -> fp_ip_t {
        var r = fp_ip_t()
        let a = IPAddress(text)!
        r.family = a.isIPv4 ? 4 : 6
        withUnsafeMutableBytes(of: &r.addr) { raw in for (i, b) in a.bytes.enumerated() { raw[i] = b } }
        return r
    }

    @discardableResult
    private func add(_ prefix: String, _ type: fp_nh_type_t, via: String? = nil, port: Int32 = 0) -> Int32 {
        let p = IPPrefix(prefix)!
        var a = ip(p.address.description)
        var g = via.map { ip($0) } ?? fp_ip_t()
        return fp_route_add(&a, UInt8(p.length), type, &g, port)
    }

    @discardableResult
    private func del(_ prefix: String) -> Int32 {
        let p = IPPrefix(prefix)!
        var a = ip(p.address.description)
        return fp_route_del(&a, UInt8(p.length))
    }

    private func lookup(_ dst: String) -> fp_route_result_t? {
        var a = ip(dst)
        var r = fp_route_result_t()
        return fp_route_lookup(&a, &r) == 0 ? r : nil
    }

    private func gateway(_ r: fp_route_result_t?) -> String? {
        guard let r, r.type == FP_NH_GATEWAY else { return nil }
        let bytes = withUnsafeBytes(of: r.gateway.addr) { Array($0) }
        return IPAddress(bytes: r.gateway.family == 4 ? Array(bytes[0..<4]) : bytes)?.description
    }

    func testIPv4LongestPrefixMatchAndFallback() {
        XCTAssertEqual(add("10.60.0.0/16", FP_NH_GATEWAY, via: "192.0.2.1"), 0)
        XCTAssertEqual(add("10.60.1.0/24", FP_NH_GATEWAY, via: "192.0.2.2", port: 1), 0)
        XCTAssertEqual(add("10.60.1.7/32", FP_NH_LOCAL), 0)
        XCTAssertEqual(gateway(lookup("10.60.9.9")), "192.0.2.1")
        XCTAssertEqual(gateway(lookup("10.60.1.9")), "192.0.2.2")
        XCTAssertEqual(lookup("10.60.1.9")?.port, 1)
        XCTAssertEqual(lookup("10.60.1.7")?.type, FP_NH_LOCAL)
        XCTAssertNil(lookup("10.61.0.1"))

        XCTAssertEqual(del("10.60.1.0/24"), 0)
        XCTAssertEqual(gateway(lookup("10.60.1.9")), "192.0.2.1", "falls back to the /16")
        XCTAssertEqual(del("10.60.1.0/24"), -ENOENT)

        // Replace in place: same prefix, new nexthop.
        XCTAssertEqual(add("10.60.0.0/16", FP_NH_BLACKHOLE), 0)
        XCTAssertEqual(lookup("10.60.9.9")?.type, FP_NH_BLACKHOLE)
        del("10.60.0.0/16"); del("10.60.1.7/32")
        XCTAssertNil(lookup("10.60.9.9"))
    }

    func testIPv4DefaultRoute() {
        XCTAssertNil(lookup("203.0.113.9"))
        XCTAssertEqual(add("0.0.0.0/0", FP_NH_GATEWAY, via: "192.0.2.254"), 0)
        XCTAssertEqual(add("203.0.113.0/24", FP_NH_CONNECTED, port: 1), 0)
        XCTAssertEqual(gateway(lookup("198.51.100.1")), "192.0.2.254")
        XCTAssertEqual(lookup("203.0.113.9")?.type, FP_NH_CONNECTED)
        XCTAssertEqual(del("0.0.0.0/0"), 0)
        XCTAssertNil(lookup("198.51.100.1"))
        XCTAssertEqual(del("0.0.0.0/0"), -ENOENT)
        del("203.0.113.0/24")
    }

    func testIPv6RoutesOnBothLeftRightCopies() {
        XCTAssertEqual(add("2001:db8:a::/48", FP_NH_GATEWAY, via: "fe80::1"), 0)
        XCTAssertEqual(add("2001:db8:a:1::/64", FP_NH_CONNECTED, port: 1), 0)
        XCTAssertEqual(add("::/0", FP_NH_KERNEL), 0)
        // Several changes flip the active copy each time; every answer must stay right.
        for _ in 0..<3 {
            XCTAssertEqual(gateway(lookup("2001:db8:a:2::1")), "fe80::1")
            XCTAssertEqual(lookup("2001:db8:a:1::5")?.type, FP_NH_CONNECTED)
            XCTAssertEqual(lookup("2001:db9::1")?.type, FP_NH_KERNEL)
            XCTAssertEqual(add("2001:db8:b::/48", FP_NH_BLACKHOLE), 0)
            XCTAssertEqual(del("2001:db8:b::/48"), 0)
        }
        XCTAssertEqual(del("2001:db8:a:1::/64"), 0)
        XCTAssertEqual(gateway(lookup("2001:db8:a:1::5")), "fe80::1")
        XCTAssertEqual(del("2001:db8:a:1::/64"), -ENOENT)
        del("2001:db8:a::/48"); del("::/0")
        XCTAssertNil(lookup("2001:db8:a:2::1"))
    }

    func testRoutesRejectBadArguments() {
        XCTAssertEqual(add("10.70.0.0/16", FP_NH_GATEWAY, via: "192.0.2.1", port: 9), -ENODEV, "unknown port")
        var p = ip("10.70.0.0")
        var g = fp_ip_t()
        XCTAssertEqual(fp_route_add(&p, 33, FP_NH_BLACKHOLE, &g, 0), -EINVAL, "depth beyond 32")
        XCTAssertEqual(fp_route_add(&p, 16, fp_nh_type_t(rawValue: 99), &g, 0), -EINVAL, "unknown type")
    }

    /// Nexthops are shared and reference counted: many routes through one gateway use one
    /// index, and the index is freed only when the last route goes.
    func testNexthopsAreSharedAndReleased() {
        for i in 0..<200 { XCTAssertEqual(add("10.80.\(i).0/24", FP_NH_GATEWAY, via: "192.0.2.77"), 0) }
        let first = lookup("10.80.0.1")!.nexthop_index
        XCTAssertEqual(lookup("10.80.199.1")!.nexthop_index, first)
        for i in 0..<200 { XCTAssertEqual(del("10.80.\(i).0/24"), 0) }
        // 70k distinct gateways would exhaust 64k nexthops if released ones leaked.
        for round in 0..<3 {
            for i in 0..<30000 {
                let gw = "198.18.\(i / 250).\(i % 250 + 1)"
                XCTAssertEqual(add("10.81.\(i / 250).\(i % 250)/32", FP_NH_GATEWAY, via: gw), 0, "round \(round) route \(i)")
            }
            for i in 0..<30000 { del("10.81.\(i / 250).\(i % 250)/32") }
        }
    }

    func testNeighborsAddReplaceDelete() {
        var a = ip("10.90.0.1")
        var mac: [UInt8] = [0x02, 0, 0, 0, 0, 1]
        var out = [UInt8](repeating: 0, count: 6)
        XCTAssertEqual(fp_neigh_lookup(0, &a, &out), -ENOENT)
        XCTAssertEqual(fp_neigh_add(0, &a, &mac), 0)
        XCTAssertEqual(fp_neigh_lookup(0, &a, &out), 0)
        XCTAssertEqual(out, mac)
        XCTAssertEqual(fp_neigh_lookup(1, &a, &out), -ENOENT, "neighbours are per port")
        mac[5] = 2
        XCTAssertEqual(fp_neigh_add(0, &a, &mac), 0)
        XCTAssertEqual(fp_neigh_lookup(0, &a, &out), 0)
        XCTAssertEqual(out[5], 2, "replaced in place")
        var a6 = ip("fd00::1")
        XCTAssertEqual(fp_neigh_add(0, &a6, &mac), 0)
        XCTAssertEqual(fp_neigh_del(0, &a), 0)
        XCTAssertEqual(fp_neigh_lookup(0, &a, &out), -ENOENT)
        XCTAssertEqual(fp_neigh_lookup(0, &a6, &out), 0)
        XCTAssertEqual(fp_neigh_del(5, &a6), -ENODEV)
        fp_neigh_del(0, &a6)
    }

    func testCountersAreDeclaredOnceWithReasons() {
        let n = Int(fp_counter_count())
        XCTAssertGreaterThan(n, 20)
        var names = Set<String>()
        for c in 0..<n {
            let name = String(cString: fp_counter_name(Int32(c)))
            XCTAssertFalse(name.isEmpty)
            XCTAssertTrue(names.insert(name).inserted, "duplicate counter \(name)")
            XCTAssertFalse(String(cString: fp_counter_reason(Int32(c))).isEmpty, "\(name) has no reason")
        }
        for required in ["no-route", "ttl-expired", "ipv4-bad-header", "ipv4-bad-length", "tx-full", "no-neighbor"] {
            XCTAssertTrue(names.contains(required), required)
        }
        // No workers in this process: every counter reads zero, and out-of-range reads are safe.
        XCTAssertEqual(fp_counter_value(0, 0), 0)
        XCTAssertEqual(fp_counter_value(Int32(n), 0), 0)
        XCTAssertEqual(fp_counter_value(-1, -1), 0)
    }
}
