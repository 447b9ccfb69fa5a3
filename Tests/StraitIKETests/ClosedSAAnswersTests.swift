import Logging
import StraitConfig
import StraitCore
@testable import StraitIKE
import StraitIKECrypto
import StraitIKEWire
import XCTest

/// A Delete of the IKE SA that crosses our rekey of it, and the answers kept for retransmitted
/// Deletes after the SA is gone (RFC 7296 2.1; strongSwan 5.9.8 drops our answer when it
/// arrives while it processes our crossing request with the same message ID).
extension IKERekeyInitiatorTests {
    /// The site deletes the IKE SA as the gateway's rekey of it leaves. The site refuses the
    /// rekey (it is deleting); the gateway answers the Delete; that answer is lost, and the
    /// site's retransmit gets the same answer again from the SA's leftovers.
    func testARetransmittedDeleteIsAnsweredAfterTheSAIsGone() throws {
        let (site, gw, sp, _) = try up(gw: IKERekeyInitiatorTests.timed(TestConfig.make(), rekey: .seconds(60)))
        let siteSA = try XCTUnwrap(site.sas.values.first)
        now = now + .seconds(61)
        let rekey = gw.tick(now: now)
        XCTAssertEqual(rekey.count, 1, "the gateway's IKE SA rekey")
        let delete = site.terminate(ikeSA: siteSA.id, now: now)
        XCTAssertEqual(delete.count, 1, "the site's Delete")

        let refusal = rekey.flatMap { site.receive(flip($0), now: now) }
        XCTAssertEqual(refusal.count, 1)
        XCTAssertEqual(site.sas.count, 1, "no new IKE SA at the site: it is deleting this one")
        XCTAssertEqual(sp.released.count, 0)
        let answer = delete.flatMap { gw.receive(flip($0), now: now) }
        XCTAssertEqual(answer.count, 1, "the Delete is answered")
        XCTAssertTrue(gw.sas.isEmpty)
        XCTAssertTrue(refusal.flatMap { gw.receive(flip($0), now: now) }.isEmpty, "the refusal finds no SA")

        // The answer is lost: the site retransmits its Delete.
        var again: [IKEDatagram] = []
        for _ in 0..<200 where again.isEmpty {
            now = now + .milliseconds(100)
            again = site.tick(now: now)
        }
        XCTAssertEqual(again.map(\.bytes), delete.map(\.bytes), "the site retransmits its Delete")
        let retransmitsAnswered = gw.counters.retransmitsAnswered
        let answerAgain = again.flatMap { gw.receive(flip($0), now: now) }
        XCTAssertEqual(answerAgain.map(\.bytes), answer.map(\.bytes), "the same answer again")
        XCTAssertEqual(gw.counters.retransmitsAnswered, retransmitsAnswered + 1)
        XCTAssertTrue(answerAgain.flatMap { site.receive(flip($0), now: now) }.isEmpty)
        XCTAssertTrue(site.sas.isEmpty, "the site's Delete is done")
    }

    /// Only a request with the Delete's SPIs, message ID and peer address is answered, and only
    /// for `hold`.
    func testTheKeptAnswerIsForThatDeleteAndExpires() throws {
        let (site, gw, _, _) = try up()
        let siteSA = try XCTUnwrap(site.sas.values.first)
        let delete = site.terminate(ikeSA: siteSA.id, now: now)
        XCTAssertEqual(delete.flatMap { gw.receive(flip($0), now: now) }.count, 1)
        XCTAssertTrue(gw.sas.isEmpty)
        XCTAssertEqual(gw.closedAnswers.count, 1)

        var otherID = delete[0].bytes
        otherID[23] ^= 1   // the message ID's last byte
        XCTAssertTrue(gw.receive(flip(IKEDatagram(local: delete[0].local, remote: delete[0].remote, bytes: otherID)), now: now).isEmpty)
        var elsewhere = flip(delete[0])
        elsewhere.remote = IKEEndpoint(.v4(IPv4Address(0xC000_0263)), elsewhere.remote.port)
        XCTAssertTrue(gw.receive(elsewhere, now: now).isEmpty, "not from another address")
        XCTAssertEqual(gw.receive(flip(delete[0]), now: now + .seconds(59)).count, 1, "within hold")

        now = now + ClosedSAAnswers.hold + .seconds(1)
        _ = gw.tick(now: now)
        XCTAssertEqual(gw.closedAnswers.count, 0)
        let unknown = gw.counters.unknownSPI
        XCTAssertTrue(gw.receive(flip(delete[0]), now: now).isEmpty, "past hold")
        XCTAssertEqual(gw.counters.unknownSPI, unknown + 1)
    }

}

final class ClosedSAAnswersTests: XCTestCase {
    func testTheKeptAnswersAreBoundedAndExpire() {
        var kept = ClosedSAAnswers()
        let peer = IKEEndpoint(.v4(IPv4Address(0xC000_0202)), 4500)
        let start = IKETime(nanoseconds: 1_000_000_000)
        for i in 0..<(ClosedSAAnswers.limit + 10) {
            kept.remember(ourSPI: UInt64(i + 1), .init(spiI: UInt64(i + 1), spiR: 7, remote: peer, messageID: 0, datagrams: [[1]],
                                                       until: start + .milliseconds(Int64(i))))
        }
        XCTAssertEqual(kept.count, ClosedSAAnswers.limit, "no more than the limit")
        XCTAssertNotNil(kept.answer(ourSPI: 1, spiI: 1, spiR: 7, messageID: 0, from: peer, now: IKETime(nanoseconds: 0)))
        XCTAssertNil(kept.answer(ourSPI: UInt64(ClosedSAAnswers.limit + 1), spiI: UInt64(ClosedSAAnswers.limit + 1), spiR: 7,
                                 messageID: 0, from: peer, now: start), "past the limit: not kept")
        let at = start + .milliseconds(100)
        XCTAssertNil(kept.answer(ourSPI: 101, spiI: 101, spiR: 7, messageID: 0, from: peer, now: at), "expired, swept or not")
        XCTAssertNotNil(kept.answer(ourSPI: 102, spiI: 102, spiR: 7, messageID: 0, from: peer, now: at))
        kept.expire(now: at)
        XCTAssertEqual(kept.count, ClosedSAAnswers.limit - 101)
        kept.expire(now: at + .milliseconds(500))
        XCTAssertEqual(kept.count, ClosedSAAnswers.limit - 101, "swept once a second")
        kept.expire(now: start + .seconds(3600))
        XCTAssertEqual(kept.count, 0)
    }
}
