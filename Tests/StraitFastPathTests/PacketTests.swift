import CFastPath
import XCTest

/// The per-packet header checks and checksum arithmetic the workers run (fp_pkt.h).
final class PacketTests: XCTestCase {
    /// A valid 20-byte IPv4 header + payload, with the checksum computed from scratch.
    private func ipv4(total: Int = 28, ttl: UInt8 = 64) -> [UInt8] {
        var h: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0x12, 0x34, 0x40, 0, ttl, 17, 0, 0,
                          10, 10, 1, 2, 10, 10, 2, 2]
        h += [UInt8](repeating: 0xab, count: total - 20)
        let ck = referenceChecksum(Array(h[0..<20]))
        h[10] = UInt8(ck >> 8); h[11] = UInt8(ck & 0xff)
        return h
    }

    /// RFC 1071 checksum written independently of fp_pkt.h.
    private func referenceChecksum(_ header: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        for i in stride(from: 0, to: header.count, by: 2) where i != 10 {
            sum += UInt32(header[i]) << 8 | UInt32(header[i + 1])
        }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    private func check4(_ b: [UInt8], _ len: Int? = nil) -> fp_hdr_verdict_t {
        b.withUnsafeBufferPointer { fp_ipv4_check($0.baseAddress, UInt32(len ?? b.count)) }
    }

    func testValidIPv4HeaderPasses() {
        XCTAssertEqual(check4(ipv4()), FP_HDR_OK)
        // Ethernet pads short frames: bytes after total length are fine.
        XCTAssertEqual(check4(ipv4() + [0, 0, 0, 0, 0, 0]), FP_HDR_OK)
    }

    func testMalformedIPv4HeadersAreClassified() {
        let good = ipv4()
        XCTAssertEqual(check4(Array(good[0..<12])), FP_HDR_BAD_HEADER, "truncated header")
        var v6 = good; v6[0] = 0x65
        XCTAssertEqual(check4(v6), FP_HDR_BAD_HEADER, "wrong version")
        var ihl4 = good; ihl4[0] = 0x44
        XCTAssertEqual(check4(ihl4), FP_HDR_BAD_HEADER, "IHL below 5")
        var ihl15 = good; ihl15[0] = 0x4f
        XCTAssertEqual(check4(ihl15), FP_HDR_BAD_HEADER, "IHL beyond the bytes present")
        var long = good; long[2] = 0x05; long[3] = 0xdc
        let ck = referenceChecksum(Array(long[0..<20])); long[10] = UInt8(ck >> 8); long[11] = UInt8(ck & 0xff)
        XCTAssertEqual(check4(long), FP_HDR_BAD_LENGTH, "total length beyond the frame")
        var short = good; short[3] = 16
        let ck2 = referenceChecksum(Array(short[0..<20])); short[10] = UInt8(ck2 >> 8); short[11] = UInt8(ck2 & 0xff)
        XCTAssertEqual(check4(short), FP_HDR_BAD_LENGTH, "total length below the header")
        var badck = good; badck[11] ^= 0x01
        XCTAssertEqual(check4(badck), FP_HDR_BAD_CHECKSUM)
    }

    func testHeaderChecksumMatchesReference() {
        for ttl in [1, 2, 63, 64, 128, 255] as [UInt8] {
            let h = ipv4(ttl: ttl)
            let got = h.withUnsafeBufferPointer { fp_ipv4_header_checksum($0.baseAddress, 20) }
            XCTAssertEqual(got, referenceChecksum(Array(h[0..<20])))
        }
    }

    /// The incremental TTL update must equal a full recomputation, for every TTL and for
    /// checksums near the one's-complement wrap.
    func testTTLDecrementUpdatesChecksumIncrementally() {
        for ttl in 2...255 {
            for id in [0x0000, 0x1234, 0xfeff, 0xffff] {
                var h = ipv4(ttl: UInt8(ttl))
                h[4] = UInt8(id >> 8); h[5] = UInt8(id & 0xff)
                let ck = referenceChecksum(Array(h[0..<20])); h[10] = UInt8(ck >> 8); h[11] = UInt8(ck & 0xff)
                let newTTL = h.withUnsafeMutableBufferPointer { fp_ipv4_ttl_decrement($0.baseAddress) }
                XCTAssertEqual(Int(newTTL), ttl - 1)
                XCTAssertEqual(UInt16(h[10]) << 8 | UInt16(h[11]), referenceChecksum(Array(h[0..<20])), "ttl \(ttl) id \(id)")
                XCTAssertEqual(check4(h), FP_HDR_OK)
            }
        }
    }

    func testIPv6HeaderChecks() {
        var h = [UInt8](repeating: 0, count: 48)
        h[0] = 0x60; h[5] = 8; h[7] = 64
        let ok = h.withUnsafeBufferPointer { fp_ipv6_check($0.baseAddress, UInt32($0.count)) }
        XCTAssertEqual(ok, FP_HDR_OK)
        let truncated = h.withUnsafeBufferPointer { fp_ipv6_check($0.baseAddress, 39) }
        XCTAssertEqual(truncated, FP_HDR_BAD_HEADER)
        var long = h; long[5] = 9
        XCTAssertEqual(long.withUnsafeBufferPointer { fp_ipv6_check($0.baseAddress, UInt32($0.count)) }, FP_HDR_BAD_LENGTH)
        var v4 = h; v4[0] = 0x40
        XCTAssertEqual(v4.withUnsafeBufferPointer { fp_ipv6_check($0.baseAddress, UInt32($0.count)) }, FP_HDR_BAD_HEADER)
    }

    func testSpecialDestinationsGoToTheKernel() {
        func special4(_ a: [UInt8]) -> Bool { a.withUnsafeBufferPointer { fp_ipv4_is_special($0.baseAddress) != 0 } }
        XCTAssertTrue(special4([224, 0, 0, 5]))
        XCTAssertTrue(special4([255, 255, 255, 255]))
        XCTAssertTrue(special4([127, 0, 0, 1]))
        XCTAssertFalse(special4([10, 1, 2, 3]))
        func special6(_ text: String) -> Bool {
            var a = in6_addr()
            inet_pton(AF_INET6, text, &a)
            return withUnsafeBytes(of: &a) { fp_ipv6_is_special($0.bindMemory(to: UInt8.self).baseAddress) != 0 }
        }
        XCTAssertTrue(special6("ff02::1"))
        XCTAssertTrue(special6("fe80::1"))
        XCTAssertTrue(special6("::1"))
        XCTAssertFalse(special6("2001:db8::1"))
        XCTAssertFalse(special6("fec0::1"))
    }
}
