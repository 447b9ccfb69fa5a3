import StraitHASync
import XCTest

/// The split-brain rules without I/O: detection once per episode, the peer's samples kept while
/// active, the winner's jump past them, and the bound's yield by (priority, node id).
final class HASplitBrainTests: XCTestCase {
    let a = HAChildKey(inboundSPI: 0xc1, outboundSPI: 0x51)
    let b = HAChildKey(inboundSPI: 0xc2, outboundSPI: 0x52)
    func at(_ ms: UInt64) -> HAInstant { HAInstant(nanoseconds: ms * 1_000_000) }

    func testDetectedOncePerEpisode() {
        var sb = HASplitBrain(bound: .seconds(3))
        XCTAssertEqual(sb.peerReported(.active, localActive: false, now: at(0)), .none, "a standby hearing the active: normal")
        XCTAssertEqual(sb.peerReported(.standby, localActive: true, now: at(0)), .none, "an active hearing the standby: normal")
        sb.localActivated(now: at(0))
        XCTAssertEqual(sb.peerReported(.active, localActive: true, now: at(1000)), .none,
                       "within the grace: a heartbeat the peer sent before it demoted (we preempted it)")
        XCTAssertEqual(sb.peerReported(.active, localActive: true, now: at(1500)), .detected)
        XCTAssertEqual(sb.peerReported(.active, localActive: true, now: at(2000)), .none, "logged once")
        XCTAssertTrue(sb.isSplit)
        XCTAssertEqual(sb.peerReported(.standby, localActive: true, now: at(2500)), .won)
        XCTAssertFalse(sb.isSplit)
        XCTAssertEqual(sb.peerReported(.active, localActive: true, now: at(9000)), .detected, "a new episode")
        XCTAssertEqual(sb.episodes, 2)
    }

    func testWinnerMovesPastThePeersNumbers() {
        var sb = HASplitBrain(bound: .seconds(3))
        XCTAssertEqual(sb.peerReported(.active, localActive: true, now: at(2000)), .detected, "never activated here: no grace to wait")
        sb.peerSamples([HASeqState(child: a, outboundSeq: 9000, inboundTop: 5), HASeqState(child: b, outboundSeq: 10, inboundTop: 0)],
                       localActive: true)
        sb.peerSamples([HASeqState(child: a, outboundSeq: 8000, inboundTop: 5)], localActive: true)
        XCTAssertEqual(sb.peerSeq[a], 9000, "the highest report counts, a late one does not lower it")
        XCTAssertEqual(sb.peerAskedForDump(localActive: true), .won)
        // Behind the peer: jump past its last report + shift.
        XCTAssertEqual(sb.resumeSeq(a, own: 100, shift: 4096, esn: false)?.seq, 13096)
        XCTAssertEqual(sb.resumeSeq(a, own: 100, shift: 4096, esn: false)?.rekeyNow, false)
        // Ahead of the peer's report + shift already: keep our own numbers (never back).
        XCTAssertNil(sb.resumeSeq(b, own: 50_000, shift: 4096, esn: false))
        XCTAssertNil(sb.resumeSeq(HAChildKey(inboundSPI: 1, outboundSPI: 2), own: 1, shift: 4096, esn: false), "not reported")
        // A 32-bit SA near its end: capped, flagged for a rekey.
        sb.peerSamples([HASeqState(child: a, outboundSeq: UInt64(UInt32.max) - 10, inboundTop: 0)], localActive: true)
        XCTAssertEqual(sb.resumeSeq(a, own: 0, shift: 4096, esn: false)?.rekeyNow, true)
        sb.resolved()
        XCTAssertTrue(sb.peerSeq.isEmpty)
    }

    func testSamplesOnlyWhileActiveAndDemotionForgets() {
        var sb = HASplitBrain(bound: .seconds(3))
        sb.peerSamples([HASeqState(child: a, outboundSeq: 9000, inboundTop: 5)], localActive: false)
        XCTAssertTrue(sb.peerSeq.isEmpty, "a standby's store keeps the active's samples, not this")
        XCTAssertEqual(sb.peerAskedForDump(localActive: true), .none, "an ordinary standby asking: nothing to move")
        // An undetected split brain (the sync link was down too): the loser's last samples arrive
        // before its dump request, and the winner still moves past them.
        sb.peerSamples([HASeqState(child: a, outboundSeq: 9000, inboundTop: 5)], localActive: true)
        XCTAssertEqual(sb.peerAskedForDump(localActive: true), .won)
        sb.localDemoted()
        XCTAssertTrue(sb.peerSeq.isEmpty)
        XCTAssertFalse(sb.isSplit)
    }

    func testBoundYieldsTheLowerNode() {
        let high = HASplitBrain.Node(nodeID: 1, priority: 200), low = HASplitBrain.Node(nodeID: 2, priority: 100)
        XCTAssertTrue(HASplitBrain.yields(local: low, peer: high))
        XCTAssertFalse(HASplitBrain.yields(local: high, peer: low))
        let n1 = HASplitBrain.Node(nodeID: 1, priority: 100), n2 = HASplitBrain.Node(nodeID: 2, priority: 100)
        XCTAssertTrue(HASplitBrain.yields(local: n1, peer: n2), "equal priority: the lower node id yields")
        XCTAssertFalse(HASplitBrain.yields(local: n2, peer: n1))

        var lo = HASplitBrain(bound: .seconds(3)), hi = HASplitBrain(bound: .seconds(3))
        XCTAssertEqual(lo.tick(now: at(0), local: low, peer: high), .none, "no split brain")
        XCTAssertEqual(lo.peerReported(.active, localActive: true, now: at(2000)), .detected)
        XCTAssertEqual(hi.peerReported(.active, localActive: true, now: at(2200)), .detected)
        XCTAssertEqual(lo.tick(now: at(4999), local: low, peer: high), .none, "within the bound")
        XCTAssertEqual(lo.tick(now: at(5000), local: low, peer: nil), .none, "peer unknown")
        XCTAssertEqual(lo.tick(now: at(5000), local: low, peer: high), .yield)
        XCTAssertEqual(lo.tick(now: at(9000), local: low, peer: high), .none, "once per episode")
        XCTAssertEqual(hi.tick(now: at(9000), local: high, peer: low), .none, "the higher node stays")
        XCTAssertEqual(lo.yields, 1)
    }
}

/// The heartbeat carries the VRRP priority the bound's tie-break needs.
final class HAHeartbeatPriorityTests: XCTestCase {
    func testPriorityRoundTrips() throws {
        let h = HAHeartbeat(nodeID: 2, role: .active, sequence: 7, ikeSAs: 1, childSAs: 1, vrrpPriority: 200)
        guard case .heartbeat(let back) = try HASyncCodec.decode(HASyncCodec.encode(.heartbeat(h))) else { return XCTFail("not a heartbeat") }
        XCTAssertEqual(back.vrrpPriority, 200)
    }

    func testFlushSendsEveryKnownSample() {
        var e = HAActiveExporter(policy: HASeqSyncPolicy())
        let c = Fx.child()
        let key = c.key
        XCTAssertTrue(e.seqFlush([HASeqState(child: key, outboundSeq: 5, inboundTop: 0)]).isEmpty, "not exported: nothing")
        _ = e.childSAUpserted(c)
        let now = HAInstant(nanoseconds: 1)
        XCTAssertNotNil(e.seqSamples([HASeqState(child: key, outboundSeq: 5, inboundTop: 0)], now: now))
        XCTAssertNil(e.seqSamples([HASeqState(child: key, outboundSeq: 6, inboundTop: 0)], now: now), "not due by the schedule")
        XCTAssertEqual(e.seqFlush([HASeqState(child: key, outboundSeq: 6, inboundTop: 0)]),
                       [.seqState([HASeqState(child: key, outboundSeq: 6, inboundTop: 0)])], "the flush sends it anyway")
    }
}
