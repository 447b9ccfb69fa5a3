import XCTest
@testable import StraitHASync

/// The daemon's cheap sampling path (dueSamples on samples without bitmaps, then seqMessages with
/// the due ones completed) decides exactly as seqSampleMessages does on full samples.
final class HASeqTwoStepTests: XCTestCase {
    private func exporter(_ children: [HAChildKey]) -> HAActiveExporter {
        var ex = HAActiveExporter(policy: HASeqSyncPolicy(oseqShift: 10, syncPeriodTime: .milliseconds(200), syncPeriodPackets: 100))
        for (i, _) in children.enumerated() { _ = ex.childSAUpserted(Fx.child(ike: 1, spi: 0xD000_0000 | UInt32(i))) }
        return ex
    }

    func testTwoStepSamplingSendsWhatOneStepSends() {
        let n = 50
        let keys = (0..<n).map { Fx.child(ike: 1, spi: 0xD000_0000 | UInt32($0)).key }
        var one = exporter(keys), two = exporter(keys)
        var seq = [UInt64](repeating: 1, count: n), top = [UInt64](repeating: 0, count: n)
        var rng = SystemRandomNumberGenerator()
        for tick in 0..<40 {
            // Some SAs move a little, one in ten by a burst past the packet threshold.
            for i in 0..<n where Int.random(in: 0..<3, using: &rng) == 0 {
                seq[i] += Int.random(in: 0..<10, using: &rng) == 0 ? 150 : 1
                top[i] += UInt64.random(in: 0...2, using: &rng)
            }
            let now = HAInstant(nanoseconds: UInt64(tick) * 50_000_000)
            func full(_ i: Int) -> HASeqState {
                HASeqState(child: keys[i], outboundSeq: seq[i], inboundTop: top[i], window: 64, bitmap: [top[i] & 0xff])
            }
            let expected = one.seqSampleMessages((0..<n).map(full), now: now)
            // The daemon offers only SAs that moved since last taken; offering all is a superset.
            let light = (0..<n).map { HASeqState(child: keys[$0], outboundSeq: seq[$0], inboundTop: top[$0]) }
            let due = two.dueSamples(light, now: now).map { s in full(keys.firstIndex(of: s.child)!) }
            XCTAssertEqual(two.seqMessages(due), expected, "tick \(tick)")
        }
        // The next dump carries what was recorded; recordSamples brings it up to date.
        two.recordSamples((0..<n).map { HASeqState(child: keys[$0], outboundSeq: seq[$0] + 1, inboundTop: top[$0]) })
        let dumped = two.bulkDump().flatMap { m -> [HASeqState] in if case .seqState(let s) = m { return s } else { return [] } }
        XCTAssertEqual(dumped.count, n)
        XCTAssertTrue(dumped.allSatisfy { s in s.outboundSeq == seq[keys.firstIndex(of: s.child)!] + 1 })
    }
}
