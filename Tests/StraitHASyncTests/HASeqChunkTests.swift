import XCTest
@testable import StraitHASync

/// Sequence samples that fall due together go out in messages the standby accepts.
final class HASeqChunkTests: XCTestCase {
    func testManyDueSamplesAreChunkedBelowTheMessageLimit() throws {
        var ex = HAActiveExporter(policy: HASeqSyncPolicy(oseqShift: 10, syncPeriodTime: .seconds(1), syncPeriodPackets: 100))
        // 6,000 new CHILD SAs with 1024-packet windows: all due at once (never synced), as after
        // a tunnel setup burst. One message would be ~950 kB.
        let n = 6000
        var samples: [HASeqState] = []
        for i in 0..<n {
            let c = Fx.child(ike: 1, spi: 0xC000_0000 | UInt32(i))
            _ = ex.childSAUpserted(c)
            samples.append(HASeqState(child: c.key, outboundSeq: 1, inboundTop: 0, window: 1024, bitmap: Array(repeating: 0, count: 16)))
        }
        let messages = ex.seqSampleMessages(samples, now: .zero)
        XCTAssertEqual(messages.count, (n + HAActiveExporter.seqChunk - 1) / HAActiveExporter.seqChunk)
        var states = 0
        for m in messages {
            let bytes = HASyncCodec.encode(m)
            XCTAssertLessThanOrEqual(bytes.count, HASyncCodec.headerLength + HALimits.maxMessage)
            // The receiving side's decode accepts it.
            guard case .seqState(let s) = try HASyncCodec.decode(bytes) else { return XCTFail("not a seqState") }
            states += s.count
        }
        XCTAssertEqual(states, n, "every due sample goes out once")
        XCTAssertTrue(ex.seqSampleMessages(samples, now: HAInstant(nanoseconds: 1000)).isEmpty, "then nothing is due")
    }
}
