import Foundation
import XCTest
@testable import StraitAPI

/// `ha failover-test`'s arithmetic: gaps, losses, counter deltas, the verdict.
final class FailoverReportTests: XCTestCase {
    /// Probes every 10 ms for 2 s; those sent in [from, to) get no reply, the rest one after 1 ms.
    func series(lostFrom: Double, to: Double, count: Int = 200) -> (sent: [Double], replied: [Double?]) {
        let sent = (0..<count).map { Double($0) * 0.01 }
        return (sent, sent.map { $0 >= lostFrom && $0 < to - 1e-9 ? nil : $0 + 0.001 })
    }

    func testTheGapRunsFromTheLastAnsweredProbeToTheNextAnsweredOne() {
        let s = series(lostFrom: 0.5, to: 0.9)   // probes 50..89 lost
        let t = FailoverMath.target("10.2.0.2", sentAt: s.sent, repliedAt: s.replied)
        XCTAssertEqual(t.sent, 200); XCTAssertEqual(t.received, 160); XCTAssertEqual(t.lost, 40)
        XCTAssertEqual(t.gapMs, 410, accuracy: 0.01)     // 0.49 -> 0.90
        XCTAssertEqual(t.gapFromMs, 490, accuracy: 0.01); XCTAssertEqual(t.gapToMs, 900, accuracy: 0.01)
        XCTAssertTrue(t.recovered)
    }

    func testNoLossIsOneInterval() {
        let s = series(lostFrom: 5, to: 5)
        let t = FailoverMath.target("x", sentAt: s.sent, repliedAt: s.replied)
        XCTAssertEqual(t.lost, 0); XCTAssertEqual(t.gapMs, 10, accuracy: 0.01); XCTAssertTrue(t.recovered)
    }

    func testTrafficThatNeverComesBackIsAGapToTheEndAndNotRecovered() {
        let s = series(lostFrom: 1.0, to: 3.0)
        let t = FailoverMath.target("x", sentAt: s.sent, repliedAt: s.replied)
        XCTAssertEqual(t.lost, 100); XCTAssertFalse(t.recovered)
        XCTAssertEqual(t.gapMs, 1000, accuracy: 0.01)   // 0.99 -> 1.99, the last probe
    }

    func testNoReplyAtTheStartCountsFromTheFirstProbe() {
        let s = series(lostFrom: 0, to: 0.3)
        let t = FailoverMath.target("x", sentAt: s.sent, repliedAt: s.replied)
        XCTAssertEqual(t.gapMs, 300, accuracy: 0.01); XCTAssertEqual(t.gapFromMs, 0)
    }

    func testALateReplyIsLost() {
        let sent = [0.0, 0.01, 0.02, 0.03]
        let t = FailoverMath.target("x", sentAt: sent, repliedAt: [0.001, 1.5, 0.021, 0.031], replyTimeout: 1)
        XCTAssertEqual(t.lost, 1); XCTAssertEqual(t.gapMs, 20, accuracy: 0.01)
    }

    func snap(_ node: String, role: String?, pid: Int = 1, ike: Int = 2, child: Int = 2, established: UInt64 = 2,
              replay: UInt64 = 0, reachable: Bool = true, roleChanged: Int? = nil) -> FailoverNodeSnapshot {
        guard reachable else { return FailoverNodeSnapshot(node: node) }
        return FailoverNodeSnapshot(node: node, reachable: true, nodeID: node == "a" ? 1 : 2, role: role, pid: pid,
                                    ikeSAs: ike, childSAs: child, activeOutboundSAs: child, ikeSAsEstablished: established,
                                    childSAsInstalled: established, espReplayDrops: replay, espAuthFailures: 0, takeovers: 0,
                                    roleChangedMs: roleChanged, lastTakeoverMs: role == "active" ? 2.5 : nil)
    }

    func run(_ maxGap: Double? = nil) -> FailoverMath.Run {
        FailoverMath.Run(trigger: "kill", triggerDetail: "SIGKILL pid 1", intervalMs: 10, durationMs: 2000,
                         triggerAtMs: 500, detectedAtMs: 950, roleChangedMsAtDetection: 60, maxGapMs: maxGap)
    }

    func testASeamlessKill() {
        let s = series(lostFrom: 0.5, to: 0.9)
        let targets = [FailoverMath.target("t", sentAt: s.sent, repliedAt: s.replied)]
        // Node a was killed (not asked after); node b took over with the same tunnels.
        let r = FailoverMath.report(run: run(500), targets: targets,
                                    before: [snap("a", role: "active"), snap("b", role: "standby", ike: 0, child: 0, established: 0)],
                                    after: [snap("a", role: nil, reachable: false), snap("b", role: "active", established: 0)])
        XCTAssertEqual(r.problems, []); XCTAssertTrue(r.passed)
        XCTAssertEqual(r.activeBefore, "a"); XCTAssertEqual(r.activeAfter, "b")
        XCTAssertEqual(r.takeoverAfterTriggerMs ?? -1, 390, accuracy: 0.01)   // 950 - 60 - 500
        XCTAssertEqual(r.detectedAfterTriggerMs ?? -1, 450, accuracy: 0.01)
        XCTAssertEqual(r.takeoverWorkMs, 2.5)
        XCTAssertEqual(r.ikeSAsBefore, 2); XCTAssertEqual(r.ikeSAsAfter, 2)
        XCTAssertEqual(r.renegotiations, 0); XCTAssertEqual(r.unreachableAfter, ["a"])
        XCTAssertEqual(r.gapMs, 410, accuracy: 0.01); XCTAssertEqual(r.lost, 40)
        let text = ReportText.failover(r)
        XCTAssertTrue(text.contains("result: PASS"), text)
        XCTAssertNotNil(text.range(of: "traffic gap +410 ms", options: .regularExpression), text)
        XCTAssertNotNil(text.range(of: "IKE SAs +2 -> 2\n", options: .regularExpression), text)
        let json = try? JSONEncoder().encode(r)
        XCTAssertEqual(json.flatMap { try? JSONDecoder().decode(FailoverReport.self, from: $0) }, r)
    }

    func testEveryProblemIsNamed() {
        let s = series(lostFrom: 0.5, to: 0.9)
        let targets = [FailoverMath.target("t", sentAt: s.sent, repliedAt: s.replied)]
        // b came up with one tunnel fewer, negotiated a new IKE SA and dropped replays; gap over 300.
        let r = FailoverMath.report(run: run(300), targets: targets,
                                    before: [snap("a", role: "active"), snap("b", role: "standby", established: 0, replay: 5)],
                                    after: [snap("a", role: "standby"), snap("b", role: "active", ike: 1, child: 1,
                                                                              established: 1, replay: 7)])
        XCTAssertFalse(r.passed)
        XCTAssertEqual(r.renegotiations, 1); XCTAssertEqual(r.replayDrops, 2)
        XCTAssertEqual(r.problems.count, 6, "\(r.problems)")
        for needle in ["tunnels lost", "CHILD SAs lost", "ESP SAs lost", "1 IKE SA(s) negotiated", "2 inbound ESP packet(s) dropped",
                       "over --max-gap 300"] {
            XCTAssertTrue(r.problems.contains { $0.contains(needle) }, "\(needle): \(r.problems)")
        }
        XCTAssertTrue(ReportText.failover(r).contains("result: FAIL"))
    }

    func testNoFailover() {
        let r = FailoverMath.report(run: run(), targets: [],
                                    before: [snap("a", role: "active"), snap("b", role: "standby")],
                                    after: [snap("a", role: "active"), snap("b", role: "standby")])
        XCTAssertNil(r.activeAfter); XCTAssertNil(r.takeoverAfterTriggerMs)
        XCTAssertEqual(r.problems, ["no failover: a is still the active"])
    }

    func testARestartedNodeCountsFromItsRestart() {
        let before = snap("a", role: "active", pid: 10, established: 7)
        XCTAssertEqual(FailoverMath.delta(before, snap("a", role: "standby", pid: 10, established: 9), \.ikeSAsEstablished), 2)
        XCTAssertEqual(FailoverMath.delta(before, snap("a", role: "standby", pid: 11, established: 1), \.ikeSAsEstablished), 1)
        XCTAssertNil(FailoverMath.delta(before, snap("a", role: nil, reachable: false), \.ikeSAsEstablished))
    }
}
