import StraitCore
@testable import StraitVRRP
import XCTest

/// The codec against packets built by an independent implementation (scapy 2.5's VRRPv3
/// layer, which checksums over the IPv4/IPv6 pseudo-header as RFC 5798 5.2.8 says).
final class VRRPAdvertisementTests: XCTestCase {
    private let v4src = IPAddress("192.0.2.1")!, v6src = IPAddress("fe80::1")!
    // IP(src="192.0.2.1", dst="224.0.0.18")/VRRPv3(vrid=7, priority=150, adv=100, addrlist=["192.0.2.100", "198.51.100.1"])
    private let scapyV4 = hex("310796020064a963c0000264c6336401")
    // IPv6(src="fe80::1", dst="ff02::12")/VRRPv3(vrid=9, priority=255, adv=5, addrlist=["2001:db8::100"])
    private let scapyV6 = hex("3109ff010005a31720010db8000000000000000000000100")

    func testEncodesWhatScapyBuilds() {
        let a4 = VRRPAdvertisement(vrid: 7, priority: 150, maxAdvertInterval: 100,
                                   addresses: [IPAddress("192.0.2.100")!, IPAddress("198.51.100.1")!])
        XCTAssertEqual(a4.encode(source: v4src, destination: VRRPAdvertisement.groupV4), scapyV4)
        let a6 = VRRPAdvertisement(vrid: 9, priority: 255, maxAdvertInterval: 5, addresses: [IPAddress("2001:db8::100")!])
        XCTAssertEqual(a6.encode(source: v6src, destination: VRRPAdvertisement.groupV6), scapyV6)
    }

    func testDecodesWhatScapyBuilds() throws {
        let a4 = try VRRPAdvertisement.decode(scapyV4, source: v4src, destination: VRRPAdvertisement.groupV4)
        XCTAssertEqual(a4, VRRPAdvertisement(vrid: 7, priority: 150, maxAdvertInterval: 100,
                                             addresses: [IPAddress("192.0.2.100")!, IPAddress("198.51.100.1")!]))
        let a6 = try VRRPAdvertisement.decode(scapyV6, source: v6src, destination: VRRPAdvertisement.groupV6)
        XCTAssertEqual(a6.priority, 255)
        XCTAssertEqual(a6.maxAdvertInterval, 5)
        XCTAssertEqual(a6.addresses, [IPAddress("2001:db8::100")!])
    }

    func testTheChecksumCoversTheSourceAddress() {
        // The same bytes from another source do not verify: the pseudo-header is in the sum.
        XCTAssertThrowsError(try VRRPAdvertisement.decode(scapyV4, source: IPAddress("192.0.2.2")!,
                                                          destination: VRRPAdvertisement.groupV4)) {
            XCTAssertEqual(($0 as? VRRPAdvertisement.DecodeError)?.code, .badChecksum)
        }
    }

    func testTheOlderIPv4ChecksumWithoutPseudoHeaderOnlyWhenAskedFor() throws {
        let a = VRRPAdvertisement(vrid: 3, priority: 100, maxAdvertInterval: 100, addresses: [IPAddress("10.0.0.1")!])
        let old = a.encode(source: v4src, destination: VRRPAdvertisement.groupV4, mode: .withoutPseudoHeaderForIPv4)
        XCTAssertNotEqual(old, a.encode(source: v4src, destination: VRRPAdvertisement.groupV4))
        XCTAssertEqual(try VRRPAdvertisement.decode(old, source: v4src, destination: VRRPAdvertisement.groupV4,
                                                    mode: .withoutPseudoHeaderForIPv4), a)
        XCTAssertThrowsError(try VRRPAdvertisement.decode(old, source: v4src, destination: VRRPAdvertisement.groupV4))
    }

    func testMalformedAdvertisementsAreRejectedWithAReason() {
        func code(_ b: [UInt8], _ src: IPAddress? = nil) -> VRRPAdvertisement.DecodeError.Code? {
            let s = src ?? v4src
            do {
                _ = try VRRPAdvertisement.decode(b, source: s, destination: s.isIPv4 ? VRRPAdvertisement.groupV4 : VRRPAdvertisement.groupV6)
                return nil
            } catch { return (error as? VRRPAdvertisement.DecodeError)?.code }
        }
        XCTAssertEqual(code([]), .truncated)
        XCTAssertEqual(code(Array(scapyV4.prefix(7))), .truncated)
        XCTAssertEqual(code(Array(scapyV4.dropLast())), .badCount)
        XCTAssertEqual(code(scapyV4 + [0, 0, 0, 0]), .badCount)
        var v2 = scapyV4; v2[0] = 0x21
        XCTAssertEqual(code(v2), .badVersion)
        var t = scapyV4; t[0] = 0x32
        XCTAssertEqual(code(t), .badType)
        var z = scapyV4; z[1] = 0
        XCTAssertEqual(code(z), .badVRID)
        var i = scapyV4; i[4] = 0; i[5] = 0
        XCTAssertEqual(code(i), .badInterval)
        var n = scapyV4; n[3] = 0
        XCTAssertEqual(code(n), .badCount)
        var flip = scapyV4; flip[9] ^= 1
        XCTAssertEqual(code(flip), .badChecksum)
        XCTAssertEqual(code(scapyV4, v6src), .badCount, "IPv6 sources carry 16-byte addresses")
        XCTAssertThrowsError(try VRRPAdvertisement.decode(scapyV4, source: v4src, destination: VRRPAdvertisement.groupV6))
        // Every truncation of a valid packet is rejected, never a crash.
        for k in 0..<scapyV6.count { XCTAssertNotNil(code(Array(scapyV6.prefix(k)), v6src)) }
    }

    func testSkewAndMasterDownFollowRFC5798() {
        // Priority 100, 1 s: skew (156 * 100) / 256 = 60 cs, master down 360 cs.
        XCTAssertEqual(VRRPTiming.skew(priority: 100, masterAdvertInterval: Centiseconds(100)), Centiseconds(60))
        XCTAssertEqual(VRRPTiming.masterDown(priority: 100, masterAdvertInterval: Centiseconds(100)), Centiseconds(360))
        // A better backup waits less.
        XCTAssertEqual(VRRPTiming.masterDown(priority: 254, masterAdvertInterval: Centiseconds(100)), Centiseconds(300))
        XCTAssertEqual(VRRPTiming.masterDown(priority: 1, masterAdvertInterval: Centiseconds(10)), Centiseconds(39))
    }
}

func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var i = s.startIndex
    while i < s.endIndex {
        let j = s.index(i, offsetBy: 2)
        out.append(UInt8(s[i..<j], radix: 16)!)
        i = j
    }
    return out
}
