import XCTest
@testable import StraitHASync

final class HASeqSchedulerTests: XCTestCase {
    let key = HAChildKey(inboundSPI: 1, outboundSPI: 2)
    func sample(_ out: UInt64, _ top: UInt64 = 0) -> [HASeqState] { [HASeqState(child: key, outboundSeq: out, inboundTop: top)] }
    func t(_ ms: UInt64) -> HAInstant { HAInstant(nanoseconds: ms * 1_000_000) }

    func testTimeTriggerPacketTriggerWhicheverFirst() {
        var s = HASeqScheduler(policy: HASeqSyncPolicy(oseqShift: 1000, syncPeriodTime: .milliseconds(100), syncPeriodPackets: 50))
        XCTAssertEqual(s.due(sample(10), now: t(0)).count, 1, "first sample is the base")
        // Few packets, before the period: nothing.
        XCTAssertEqual(s.due(sample(20), now: t(50)).count, 0)
        XCTAssertEqual(s.due(sample(30), now: t(99)).count, 0)
        // The period passed: time trigger.
        XCTAssertEqual(s.due(sample(31), now: t(100)).map(\.outboundSeq), [31])
        // 50 packets (outbound + inbound) before the period: packet trigger.
        XCTAssertEqual(s.due(sample(60, 19), now: t(110)).count, 0)
        XCTAssertEqual(s.due(sample(61, 20), now: t(120)).map(\.outboundSeq), [61])
        // An SA that did not move is not sent, however long it waits.
        XCTAssertEqual(s.due(sample(61, 20), now: t(10_000)).count, 0)
        // It moves once after a long pause: the period has passed, so it goes at once.
        XCTAssertEqual(s.due(sample(62, 20), now: t(10_001)).count, 1)
        s.remove(key)
        XCTAssertEqual(s.tracked, 0)
    }

    func testTakeoverSeqMath() {
        // The plain case: last synced + shift.
        XCTAssertEqual(HATakeover.outboundSeq(lastSynced: 1000, shift: 65536, esn: false), HATakeoverSeq(seq: 66536, rekeyNow: false))
        // Shift 0 still moves past the last synced number.
        XCTAssertEqual(HATakeover.outboundSeq(lastSynced: 1000, shift: 0, esn: false).seq, 1001)
        // ESN: past 2^32 with no rekey.
        XCTAssertEqual(HATakeover.outboundSeq(lastSynced: 0xFFFF_FFF0, shift: 65536, esn: true),
                       HATakeoverSeq(seq: 0xFFFF_FFF0 + 65536, rekeyNow: false))
        // 32-bit SA that the shift would overflow: capped at 2^32 - 1 and flagged.
        XCTAssertEqual(HATakeover.outboundSeq(lastSynced: 0xFFFF_FFF0, shift: 65536, esn: false),
                       HATakeoverSeq(seq: 0xFFFF_FFFF, rekeyNow: true))
        // Fits, but less than one more shift left: rekey now.
        XCTAssertTrue(HATakeover.outboundSeq(lastSynced: 0xFFFF_FFFF - 100_000, shift: 65536, esn: false).rekeyNow)
        XCTAssertFalse(HATakeover.outboundSeq(lastSynced: 0xFFFF_FFFF - 140_000, shift: 65536, esn: false).rekeyNow)
        // ESN at the very end of 64 bits.
        XCTAssertEqual(HATakeover.outboundSeq(lastSynced: UInt64.max - 5, shift: 65536, esn: true),
                       HATakeoverSeq(seq: UInt64.max, rekeyNow: true))
    }
}

final class HAStandbyStoreTests: XCTestCase {
    func testUpsertsAreIdempotentAndOrderedByVersion() {
        var st = HAStandbyStore()
        var ike = Fx.ike()
        ike.version = 5
        XCTAssertEqual(st.apply(.ikeSAUpsert(ike)), [.ikeSAAdded(ike.id)])
        XCTAssertEqual(st.apply(.ikeSAUpsert(ike)), [], "same version twice changes nothing")
        var older = ike
        older.version = 4
        older.nextRequestID = 1
        XCTAssertEqual(st.apply(.ikeSAUpsert(older)), [])
        XCTAssertEqual(st.ikeSAs[ike.id]?.nextRequestID, ike.nextRequestID)
        var newer = ike
        newer.version = 6
        newer.nextRequestID = 40
        XCTAssertEqual(st.apply(.ikeSAUpsert(newer)), [.ikeSAUpdated(ike.id)])
        XCTAssertEqual(st.ikeSAs[ike.id]?.nextRequestID, 40)
        XCTAssertEqual(st.counters.stale, 2)

        var c = Fx.child(ike: ike.id)
        c.version = 7
        XCTAssertEqual(st.apply(.childSAUpsert(c)), [.childSAAdded(c.key)])
        XCTAssertEqual(st.apply(.childSAUpsert(c)), [])
        let seq = HASeqState(child: c.key, outboundSeq: 500, inboundTop: 30)
        XCTAssertEqual(st.apply(.seqState([seq])), [.seqUpdated(c.key)])
        XCTAssertEqual(st.apply(.seqState([HASeqState(child: c.key, outboundSeq: 400, inboundTop: 20)])), [], "seq never goes back")
        XCTAssertEqual(st.seq[c.key]?.outboundSeq, 500)
        XCTAssertEqual(st.takeoverSeqs(shift: 100)[c.key], HATakeoverSeq(seq: 600, rekeyNow: false))

        // Deleting the IKE SA takes its CHILD SAs; a replayed delete or a late older upsert changes nothing.
        XCTAssertEqual(st.apply(.ikeSADelete(id: ike.id, version: 8)), [.childSARemoved(c.key), .ikeSARemoved(ike.id)])
        XCTAssertEqual(st.apply(.ikeSADelete(id: ike.id, version: 8)), [])
        XCTAssertEqual(st.apply(.ikeSAUpsert(newer)), [])
        XCTAssertTrue(st.ikeSAs.isEmpty && st.childSAs.isEmpty && st.seq.isEmpty)
    }

    func testBulkResyncDropsWhatTheDumpDoesNotRefresh() {
        var active = HAActiveExporter(policy: HASeqSyncPolicy())
        var st = HAStandbyStore()
        let a = active.ikeSAUpserted(Fx.ike(id: 1)), b = active.ikeSAUpserted(Fx.ike(id: 2))
        let c1 = active.childSAUpserted(Fx.child(ike: 1, spi: 11)), c2 = active.childSAUpserted(Fx.child(ike: 2, spi: 22))
        for m in [a, b, c1, c2] { _ = st.apply(m) }
        // The link was down while SA 2 went away on the active.
        _ = active.ikeSADeleted(id: 2)
        for m in active.bulkDump() { _ = st.apply(m) }
        XCTAssertEqual(Set(st.ikeSAs.keys), [1])
        XCTAssertEqual(st.childSAs.keys.map(\.inboundSPI), [11])
        XCTAssertEqual(st.completedBulk, 1)
        XCTAssertFalse(st.inBulk)
    }
}

final class HAActiveExporterTests: XCTestCase {
    func testEventsBecomeVersionedMessages() {
        var ex = HAActiveExporter(policy: HASeqSyncPolicy(oseqShift: 10, syncPeriodTime: .seconds(1), syncPeriodPackets: 100))
        guard case .ikeSAUpsert(let s1) = ex.ikeSAUpserted(Fx.ike(id: 1)) else { return XCTFail() }
        guard case .ikeSAUpsert(let s2)? = ex.messageIDs(ikeSA: 1, nextRequestID: 9, nextExpectedRequest: 9) else { return XCTFail() }
        XCTAssertGreaterThan(s2.version, s1.version)
        XCTAssertEqual(s2.nextRequestID, 9)
        XCTAssertNil(ex.messageIDs(ikeSA: 1, nextRequestID: 9, nextExpectedRequest: 9), "nothing moved")
        let child = Fx.child(ike: 1, spi: 5)
        _ = ex.childSAUpserted(child)
        let moved = ex.addressesChanged(ikeSA: 1, local: HAEndpoint(.v4(.init(0x0A00_0001)), 4500),
                                        remote: HAEndpoint(.v4(.init(0x0A00_0002)), 4501), natLocal: false, natRemote: true,
                                        childEncapsulation: (4500, 4501))
        XCTAssertEqual(moved.map(\.type), [.ikeSAUpsert, .childSAUpsert])
        // Seq samples go out through the scheduler; unknown SAs are ignored.
        let unknown = HASeqState(child: HAChildKey(inboundSPI: 99, outboundSPI: 98), outboundSeq: 1, inboundTop: 1)
        let m = ex.seqSamples([HASeqState(child: child.key, outboundSeq: 1, inboundTop: 0), unknown], now: .zero)
        XCTAssertEqual(m, .seqState([HASeqState(child: child.key, outboundSeq: 1, inboundTop: 0)]))
        XCTAssertNil(ex.seqSamples([HASeqState(child: child.key, outboundSeq: 2, inboundTop: 0)], now: HAInstant(nanoseconds: 1000)))
        XCTAssertEqual(ex.ikeSADeleted(id: 1).map(\.type), [.ikeSADelete])
        XCTAssertTrue(ex.childSAs.isEmpty)
        XCTAssertEqual(ex.bulkDump().map(\.type), [.bulkBegin, .bulkEnd])
    }

    func testDeadlinesRebasedOnTheStandbyClock() {
        let now = HAInstant(nanoseconds: 5_000_000_000)
        // Rekey due 10 s after a snapshot taken 4 s ago (wall): 6 s from now on our clock.
        XCTAssertEqual(HADeadlines.rebased(offsetMs: 10_000, takenAtWallMs: 1000, nowWallMs: 5000, nowMono: now),
                       now + .seconds(6))
        XCTAssertEqual(HADeadlines.rebased(offsetMs: 1000, takenAtWallMs: 1000, nowWallMs: 5000, nowMono: now), now)
        XCTAssertNil(HADeadlines.rebased(offsetMs: nil, takenAtWallMs: 0, nowWallMs: 0, nowMono: now))
    }
}
