import CFastPath
import XCTest

/// Pre-fragmentation of inner IPv4 packets too big for their tunnel (fp_toobig.c), checked by
/// reassembling the fragments here with an independent reading of RFC 791.
final class FragmentTests: XCTestCase {
    override func setUp() { XCTAssertTrue(FastPathTestEAL.up()) }

    private func checksum(_ h: ArraySlice<UInt8>) -> UInt16 {
        var sum: UInt32 = 0
        var i = h.startIndex
        while i < h.endIndex { sum += UInt32(h[i]) << 8 | UInt32(h[i + 1]); i += 2 }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// An IPv4 packet with `options` (padded to 4) and `payload` bytes of a counting pattern.
    private func packet(payload: Int, options: [UInt8] = [], flags: UInt16 = 0, offset8: UInt16 = 0) -> [UInt8] {
        var opts = options
        while opts.count % 4 != 0 { opts.append(0) }
        let ihl = 20 + opts.count, total = ihl + payload
        let frag = flags | offset8
        var p: [UInt8] = [UInt8(0x40 | ihl / 4), 0, UInt8(total >> 8), UInt8(total & 0xff), 0xbe, 0xef,
                          UInt8(frag >> 8), UInt8(frag & 0xff), 64, 17, 0, 0, 10, 1, 0, 2, 10, 2, 0, 2] + opts
        let ck = checksum(p[0..<ihl])
        p[10] = UInt8(ck >> 8); p[11] = UInt8(ck & 0xff)
        return p + (0..<payload).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
    }

    private func fragment(_ p: [UInt8], mtu: UInt32) -> [[UInt8]]? {
        var out = [UInt8](repeating: 0, count: 16384)
        var lens = [UInt32](repeating: 0, count: 8)
        let n = fp_ipv4_fragment_buffer(p, UInt32(p.count), mtu, &out, UInt32(out.count), &lens, 8)
        guard n > 0 else { return nil }
        var res: [[UInt8]] = [], at = 0
        for i in 0..<Int(n) { res.append(Array(out[at..<at + Int(lens[i])])); at += Int(lens[i]) }
        return res
    }

    private struct Parsed { var ihl: Int; var offset: Int; var more: Bool; var id: UInt16; var data: [UInt8]; var header: [UInt8] }

    private func parse(_ f: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> Parsed {
        let ihl = Int(f[0] & 0x0f) * 4
        XCTAssertEqual(Int(f[2]) << 8 | Int(f[3]), f.count, "total length", file: file, line: line)
        XCTAssertEqual(checksum(f[0..<ihl]), 0, "header checksum", file: file, line: line)   // sums to 0 when right
        let frag = UInt16(f[6]) << 8 | UInt16(f[7])
        return Parsed(ihl: ihl, offset: Int(frag & 0x1fff) * 8, more: frag & 0x2000 != 0, id: UInt16(f[4]) << 8 | UInt16(f[5]),
                      data: Array(f[ihl...]), header: Array(f[0..<ihl]))
    }

    func testA1500BytePacketBecomesTwoFragmentsThatReassemble() throws {
        let p = packet(payload: 1480)
        let frags = try XCTUnwrap(fragment(p, mtu: 1435))
        XCTAssertEqual(frags.count, 2)
        let parsed = frags.map { parse($0) }
        XCTAssertTrue(frags.allSatisfy { $0.count <= 1435 })
        XCTAssertEqual(parsed[0].offset, 0); XCTAssertTrue(parsed[0].more)
        XCTAssertEqual(parsed[0].data.count % 8, 0, "all but the last carry a multiple of 8 bytes")
        XCTAssertEqual(parsed[1].offset, parsed[0].data.count); XCTAssertFalse(parsed[1].more)
        XCTAssertTrue(parsed.allSatisfy { $0.id == 0xbeef && $0.header[9] == 17 && $0.header[8] == 64 })
        XCTAssertEqual(parsed.flatMap(\.data), Array(p[20...]))
    }

    func testFragmentingAFragmentKeepsItsPlaceAndMoreFragmentsFlag() throws {
        // The middle fragment of a bigger datagram: offset 1480, MF set.
        let p = packet(payload: 1480, flags: 0x2000, offset8: 185)
        let parsed = try XCTUnwrap(fragment(p, mtu: 1000)).map { parse($0) }
        XCTAssertEqual(parsed.count, 2)
        XCTAssertEqual(parsed[0].offset, 1480)
        XCTAssertEqual(parsed[1].offset, 1480 + parsed[0].data.count)
        XCTAssertTrue(parsed.allSatisfy(\.more), "the datagram goes on after this piece: MF stays set on the last one")
        XCTAssertEqual(parsed.flatMap(\.data), Array(p[20...]))
    }

    func testOnlyCopiedOptionsRepeatInLaterFragments() throws {
        // Record route (7: not copied) and a security option (130: copied), 11 + 4 bytes.
        let rr: [UInt8] = [7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0]
        let sec: [UInt8] = [130, 4, 0xaa, 0xbb]
        let p = packet(payload: 600, options: rr + sec)
        let parsed = try XCTUnwrap(fragment(p, mtu: 300)).map { parse($0) }
        XCTAssertGreaterThanOrEqual(parsed.count, 3)
        XCTAssertEqual(parsed[0].ihl, 36, "the first fragment keeps every option")
        for later in parsed.dropFirst() {
            XCTAssertEqual(later.ihl, 24)
            XCTAssertEqual(Array(later.header[20..<24]), sec)
        }
        XCTAssertEqual(parsed.flatMap(\.data), Array(p[36...]))
    }

    func testNothingToDoForDFPacketsOrPacketsThatFit() {
        XCTAssertNil(fragment(packet(payload: 1480, flags: 0x4000), mtu: 1435), "DF set: ICMP, not fragments")
        XCTAssertNil(fragment(packet(payload: 1000), mtu: 1435), "fits")
        var bad = packet(payload: 1480); bad[2] = 0xff    // total length beyond the buffer
        XCTAssertNil(fragment(bad, mtu: 1435))
        XCTAssertNil(fragment(packet(payload: 1480), mtu: 24), "no room for 8 bytes of data per fragment")
    }
}
