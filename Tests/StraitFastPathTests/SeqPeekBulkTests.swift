import CFastPath
import Foundation
import XCTest

/// fp_sa_seq_peek_bulk: the HA active's per-tick read of every SA's outbound sequence number and
/// inbound replay top in one call. Must read what the per-SA readers read, position by position,
/// and mark handles that name no SA.
final class SeqPeekBulkTests: FastPathSATestCase {
    private let key = (0..<16).map { UInt8($0 &* 5 &+ 1) }
    private let salt: [UInt8] = [9, 8, 7, 6]

    private func sa(inbound: Bool, spi: UInt32) -> Int32 {
        return keep(ESP.addSA(inbound: inbound, spi: spi, key: key, salt: salt, esn: true, inactive: inbound))
    }

    /// An IPv4/UDP-ish packet 10.1.0.1 -> 10.2.0.1 with a valid header checksum.
    private func inner() -> [UInt8] {
        var p: [UInt8] = [0x45, 0, 0, 60, 0, 1, 0, 0, 64, 17, 0, 0, 10, 1, 0, 1, 10, 2, 0, 1]
        var sum: UInt32 = 0
        for i in stride(from: 0, to: 20, by: 2) { sum += UInt32(p[i]) << 8 | UInt32(p[i + 1]) }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        p[10] = UInt8(~UInt16(sum) >> 8); p[11] = UInt8(~UInt16(sum) & 0xff)
        return p + [UInt8](repeating: 0x5a, count: 40)
    }

    func testReadsEverySAsSequenceAndTopInPlaceAndMarksMissingHandles() {
        // More pairs than the reader's prefetch distance, so the look-ahead runs off the end too.
        let n = 20
        var outs: [Int32] = [], ins: [Int32] = []
        for i in 0..<n {
            let o = sa(inbound: false, spi: 0x5E0_0000 + UInt32(i)), t = sa(inbound: true, spi: 0x5E1_0000 + UInt32(i))
            XCTAssertEqual(fp_sa_set_seq(o, UInt64(1000 + 7 * i)), 0)
            ESP.setTop(t, UInt64(5000 + 11 * i))
            outs.append(o); ins.append(t)
        }
        // One packet moves SA 3's sequence number by one, as a worker would.
        let r = ESP.encap(outs[3], inner())
        guard case .packet = r else { return XCTFail("encap: \(r)") }
        // A deleted SA and -1 read as "no SA".
        fp_sa_del(outs[5]); installed.removeAll { $0 == outs[5] }
        ins[7] = -1
        var seq = [UInt64](repeating: 0, count: n), top = [UInt64](repeating: 0, count: n)
        XCTAssertEqual(fp_sa_seq_peek_bulk(outs, ins, UInt32(n), &seq, &top), 2)
        for i in 0..<n {
            var one: UInt64 = 0
            if i == 5 {
                XCTAssertEqual(seq[i], .max)
            } else {
                XCTAssertEqual(fp_sa_get_seq(outs[i], &one), 0)
                XCTAssertEqual(seq[i], one, "outbound \(i)")
                XCTAssertEqual(seq[i], UInt64(1000 + 7 * i) + (i == 3 ? 1 : 0), "outbound \(i)")
            }
            XCTAssertEqual(top[i], i == 7 ? .max : UInt64(5000 + 11 * i), "inbound \(i)")
        }
        XCTAssertEqual(fp_sa_seq_peek_bulk(outs, ins, 0, &seq, &top), 0, "n = 0 reads nothing")
    }
}
