import StraitCore
import XCTest

final class CoreTypesTests: XCTestCase {
    func testCPUListParsesMasksAndLists() throws {
        XCTAssertEqual(try CPUList.parse("0x3fc").get().cpus, Array(2...9))
        XCTAssertEqual(try CPUList.parse("2-9").get().cpus, Array(2...9))
        XCTAssertEqual(try CPUList.parse("1,3,5-7").get().cpus, [1, 3, 5, 6, 7])
        XCTAssertEqual(try CPUList.parse("1,1,2").get().cpus, [1, 2])
        XCTAssertEqual(CPUList([1, 2, 3, 5]).description, "1-3,5")
        XCTAssertEqual(CPUList.parse(""), .failure(.empty))
        XCTAssertEqual(CPUList.parse("0x0"), .failure(.empty))
        XCTAssertEqual(CPUList.parse("5-2"), .failure(.reversedRange("5-2")))
        XCTAssertEqual(CPUList.parse("1-200"), .failure(.tooLarge(200)))
        XCTAssertEqual(CPUList.parse("a"), .failure(.badToken("a")))
        XCTAssertEqual(CPUList.parse("0xzz"), .failure(.badToken("0xzz")))
    }

    func testPrefixesMaskAndContain() {
        let p = IPPrefix("10.1.2.3/16")!
        XCTAssertFalse(p.isNetwork)
        XCTAssertEqual(p.network.description, "10.1.0.0/16")
        XCTAssertTrue(p.contains(IPAddress("10.1.200.1")!))
        XCTAssertFalse(p.contains(IPAddress("10.2.0.1")!))
        XCTAssertFalse(p.contains(IPAddress("::1")!))
        XCTAssertEqual(IPPrefix("0.0.0.0/0")!.network.description, "0.0.0.0/0")
        XCTAssertTrue(IPPrefix("0.0.0.0/0")!.contains(IPAddress("203.0.113.9")!))
        let v6 = IPPrefix("2001:db8:abcd:12::1/62")!
        XCTAssertEqual(v6.network.description, "2001:db8:abcd:10::/62")
        XCTAssertTrue(IPPrefix("2001:db8::/32")!.overlaps(IPPrefix("2001:db8:1::/48")!))
        XCTAssertFalse(IPPrefix("2001:db8::/32")!.overlaps(IPPrefix("2001:db9::/32")!))
        XCTAssertEqual(IPPrefix("fd00::1/128")!.network, IPPrefix("fd00::1/128")!)
        XCTAssertNil(IPPrefix("10.0.0.0/33"))
        XCTAssertNil(IPPrefix("10.0.0.0/+8"))
        XCTAssertNil(IPPrefix("10.0.0/8"))
        XCTAssertEqual(IPPrefix("192.0.2.1")!.length, 32)
    }

    func testAddressesRoundTrip() {
        for text in ["0.0.0.0", "192.0.2.255", "::", "fe80::1", "2001:db8::ff00:42:8329"] {
            let a = IPAddress(text)!
            XCTAssertEqual(a.description, text)
            XCTAssertEqual(IPAddress(bytes: a.bytes), a)
        }
        XCTAssertTrue(IPv6Address("fe80::1")!.isLinkLocal)
        XCTAssertFalse(IPv6Address("fec0::1")!.isLinkLocal)
        XCTAssertTrue(IPv6Address("ff02::1")!.isMulticast)
        XCTAssertNil(IPAddress("1.2.3"))
        XCTAssertNil(IPAddress("1.2.3.4.5"))
        XCTAssertEqual(MACAddress("02:00:5E:00:01:0a")?.description, "02:00:5e:00:01:0a")
        XCTAssertNil(MACAddress("02:00:5e:00:01"))
        XCTAssertTrue(MACAddress("01:00:5e:00:00:12")!.isMulticast)
    }
}
