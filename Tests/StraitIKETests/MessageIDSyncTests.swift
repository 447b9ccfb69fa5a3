import Logging
import StraitConfig
import StraitCore
@testable import StraitIKE
import StraitIKECrypto
import StraitIKEWire
import XCTest

/// RFC 6311 across an HA takeover, engines back to back: the gateway (an HA node) and the
/// site both announce IKEV2_MESSAGE_ID_SYNC_SUPPORTED; the gateway's SA is exported, then
/// both ends exchange more requests (the export is stale); a standby imports the stale
/// export. Its first message is the sync (message ID 0), after which requests both ways work.
final class MessageIDSyncTests: XCTestCase {
    let now = IKETime(nanoseconds: 9_000_000_000)
    let flip = { (d: IKEDatagram) in IKEDatagram(local: d.remote, remote: d.local, bytes: d.bytes) }

    /// Site and gateway with the extension as given, the site's IKE SA up.
    func pair(siteSync: Bool = true, gwSync: Bool = true) throws -> (site: IKEEngine, gw: IKEEngine) {
        let site = try IKEEngine(config: EngineToEngineTests.siteConfig(), dataPlane: FakeDataPlane(), logger: Logger(label: "site"), now: now)
        let gw = try IKEEngine(config: TestConfig.make(), dataPlane: FakeDataPlane(), logger: Logger(label: "gw"), now: now)
        site.messageIDSync = siteSync
        gw.messageIDSync = gwSync
        deliver(try site.initiate(vpn: "hq", now: now), to: gw, back: site)
        XCTAssertEqual(gw.reports(now: now).first?.state, "established")
        return (site, gw)
    }

    /// Datagrams to `a`, its answers to `b`, and so on until quiet.
    func deliver(_ first: [IKEDatagram], to a: IKEEngine, back b: IKEEngine) {
        var toA = first, rounds = 0
        while !toA.isEmpty, rounds < 10 {
            toA = toA.flatMap { a.receive(flip($0), now: now) }.flatMap { b.receive(flip($0), now: now) }
            rounds += 1
        }
    }

    /// An empty INFORMATIONAL (liveness) from `from`'s only SA; what the other end answers.
    func liveness(_ from: IKEEngine, to: IKEEngine) throws -> (sent: [IKEDatagram], answer: [IKEDatagram]) {
        let ike = try XCTUnwrap(from.sas.values.first)
        let sent = from.sendRequest(ike, .informational, [], kind: .liveness, now: now)
        let answer = sent.flatMap { to.receive(flip($0), now: now) }
        _ = answer.flatMap { from.receive(flip($0), now: now) }
        return (sent, answer)
    }

    func standby(importing e: IKESAHAExport) throws -> IKEEngine {
        let s = try IKEEngine(config: TestConfig.make(), dataPlane: FakeDataPlane(), logger: Logger(label: "standby"), now: now)
        s.messageIDSync = true
        try s.haImport(e, children: [], now: now)
        return s
    }

    func testBothAnnounceAndTheExportCarriesIt() throws {
        let (site, gw) = try pair()
        XCTAssertTrue(try XCTUnwrap(gw.sas.values.first).midSync.enabled)
        XCTAssertTrue(try XCTUnwrap(site.sas.values.first).midSync.enabled, "the initiator saw the responder's notify")
        XCTAssertTrue(try XCTUnwrap(gw.haSnapshot(now: now).first).messageIDSync)
        // Only one end announcing: off for the SA on both.
        let (site2, gw2) = try pair(siteSync: false)
        XCTAssertFalse(try XCTUnwrap(gw2.sas.values.first).midSync.enabled)
        XCTAssertFalse(try XCTUnwrap(site2.sas.values.first).midSync.enabled)
        XCTAssertFalse(try XCTUnwrap(gw2.haSnapshot(now: now).first).messageIDSync)
    }

    func testSyncAfterAStaleImportThenRequestsBothWays() throws {
        let (site, gw) = try pair()
        let stale = try XCTUnwrap(gw.haSnapshot(now: now).first)
        // After the last sync the old active answered two requests and made two of its own.
        for _ in 0..<2 { XCTAssertEqual(try liveness(site, to: gw).answer.count, 1) }
        for _ in 0..<2 { XCTAssertEqual(try liveness(gw, to: site).answer.count, 1) }

        // Without the sync the stale IDs fail both ways: the site drops the standby's request
        // (an ID it already saw) and the standby drops the site's (an ID it thinks is ahead).
        var noSync = stale
        noSync.messageIDSync = false
        let blind = try standby(importing: noSync)
        XCTAssertTrue(blind.tick(now: now).isEmpty, "nothing due without the extension")
        XCTAssertEqual(try liveness(blind, to: site).answer.count, 0)
        XCTAssertEqual(try liveness(site, to: blind).answer.count, 0)

        let (site2, gw2) = try pair()
        let stale2 = try XCTUnwrap(gw2.haSnapshot(now: now).first)
        for _ in 0..<2 { XCTAssertEqual(try liveness(site2, to: gw2).answer.count, 1) }
        for _ in 0..<2 { XCTAssertEqual(try liveness(gw2, to: site2).answer.count, 1) }
        let taker = try standby(importing: stale2)
        let sync = taker.tick(now: now)
        XCTAssertEqual(sync.count, 1, "the sync goes first")
        XCTAssertEqual(try IKEHeader.peek(sync[0].bytes).header.messageID, 0)
        XCTAssertEqual(try IKEHeader.peek(sync[0].bytes).header.exchangeType, .informational)
        XCTAssertTrue(taker.tick(now: now).isEmpty, "once")
        let answer = sync.flatMap { site2.receive(flip($0), now: now) }
        XCTAssertEqual(answer.count, 1, "the site answers the sync")
        XCTAssertEqual(try IKEHeader.peek(answer[0].bytes).header.messageID, 0)
        _ = answer.flatMap { taker.receive(flip($0), now: now) }
        let t = try XCTUnwrap(taker.sas.values.first), s = try XCTUnwrap(site2.sas.values.first)
        XCTAssertNil(t.pending)
        XCTAssertEqual(t.nextRequestID, s.nextExpectedRequest)
        XCTAssertEqual(t.nextExpectedRequest, s.nextRequestID)
        XCTAssertEqual(t.nextRequestID, stale2.nextRequestID + MessageIDSync.window, "M2 = M1: the synced ID + the window")
        XCTAssertEqual(taker.counters.messageIDSyncsCompleted, 1)
        XCTAssertEqual(site2.counters.messageIDSyncsAnswered, 1)
        // And the exchanges after it work both ways.
        XCTAssertEqual(try liveness(taker, to: site2).answer.count, 1)
        XCTAssertNil(t.pending, "the site's answer was taken")
        XCTAssertEqual(try liveness(site2, to: taker).answer.count, 1)
        XCTAssertNil(s.pending, "the standby's answer was taken")
    }

    func testTheResponderAnswersARetransmitAndDropsAReplayOrALowM1() throws {
        let (site, gw) = try pair()
        let taker = try standby(importing: try XCTUnwrap(gw.haSnapshot(now: now).first))
        let sync = taker.tick(now: now)
        let first = sync.flatMap { site.receive(flip($0), now: now) }
        XCTAssertEqual(first.count, 1)
        XCTAssertEqual(sync.flatMap { site.receive(flip($0), now: now) }.map(\.bytes), first.map(\.bytes), "a retransmit: the same answer")
        XCTAssertEqual(site.counters.messageIDSyncsAnswered, 1)
        _ = first.flatMap { taker.receive(flip($0), now: now) }

        // A second sync whose M1 is not above the first one's: dropped (RFC 6311 5.1).
        let t = try XCTUnwrap(taker.sas.values.first)
        t.nextRequestID -= MessageIDSync.window   // M1 = the first M1 again
        t.midSync.due = true
        let replay = taker.tick(now: now)
        XCTAssertEqual(replay.count, 1)
        XCTAssertTrue(replay.flatMap { site.receive(flip($0), now: now) }.isEmpty)
        XCTAssertEqual(site.counters.messageIDSyncsAnswered, 1)
    }

    func testTheResponderResendsItsRequestInFlightUnderTheNewID() throws {
        let (site, gw) = try pair()
        let taker = try standby(importing: try XCTUnwrap(gw.haSnapshot(now: now).first))
        // The site's DPD is in flight to the dead active when the standby's sync arrives.
        let s = try XCTUnwrap(site.sas.values.first)
        XCTAssertEqual(site.sendRequest(s, .informational, [], kind: .liveness, now: now).count, 1)
        let lost = try XCTUnwrap(s.pending?.messageID)
        let answer = taker.tick(now: now).flatMap { site.receive(flip($0), now: now) }
        XCTAssertEqual(answer.count, 2, "the sync answer, and the DPD again")
        XCTAssertGreaterThan(try XCTUnwrap(s.pending?.messageID), lost)
        let back = answer.flatMap { taker.receive(flip($0), now: now) }
        XCTAssertEqual(back.count, 1, "the standby answers the DPD under the synced IDs")
        _ = back.flatMap { site.receive(flip($0), now: now) }
        XCTAssertNil(s.pending)
    }

    func testAnAnswerWithoutTheNotifyLeavesTheSyncedIDs() throws {
        let (site, gw) = try pair()
        var e = try XCTUnwrap(gw.haSnapshot(now: now).first)
        // The export says the peer supports it, but this site has it off for the SA.
        try XCTUnwrap(site.sas.values.first).midSync.enabled = false
        e.messageIDSync = true
        let taker = try standby(importing: e)
        let t = try XCTUnwrap(taker.sas.values.first)
        // This site expects ID 0 from the gateway (it never sent one): a plain INFORMATIONAL
        // to it, answered without the notify. The taker goes back to the synced IDs.
        let answer = taker.tick(now: now).flatMap { site.receive(flip($0), now: now) }
        XCTAssertEqual(answer.count, 1)
        XCTAssertEqual(site.counters.messageIDSyncsAnswered, 0)
        _ = answer.flatMap { taker.receive(flip($0), now: now) }
        XCTAssertNil(t.pending)
        XCTAssertEqual(taker.counters.messageIDSyncsCompleted, 0)
        XCTAssertEqual(t.nextRequestID, e.nextRequestID, "the synced IDs again")
        XCTAssertEqual(t.nextExpectedRequest, e.nextExpectedRequest)
    }

    /// A GCM SA whose peer already answered our request 0 gets no sync (a peer that derives
    /// its IVs from message IDs cannot seal a second response 0).
    func testNoSyncWhenThePeerAnsweredARequestZeroUnderGCM() throws {
        let (site, gw) = try pair()
        XCTAssertEqual(try liveness(gw, to: site).answer.count, 1)
        let e = try XCTUnwrap(gw.haSnapshot(now: now).first)
        XCTAssertEqual(e.nextRequestID, 1)
        let taker = try standby(importing: e)
        XCTAssertFalse(try XCTUnwrap(taker.sas.values.first).midSync.due)
        XCTAssertTrue(taker.tick(now: now).isEmpty)
        XCTAssertEqual(try liveness(taker, to: site).answer.count, 1, "the synced IDs are right here")
    }

    /// The new active's GCM IVs start far from the old active's counter (same keys).
    func testTheTakerDoesNotRepeatTheOldActivesIVs() throws {
        let (site, gw) = try pair()
        let e = try XCTUnwrap(gw.haSnapshot(now: now).first)
        func iv(_ d: IKEDatagram) -> UInt64 { d.bytes[32..<40].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        let old = try liveness(gw, to: site).sent
        XCTAssertLessThan(iv(try XCTUnwrap(old.first)), 10, "a counter from 1")
        let taker = try standby(importing: e)
        let sync = taker.tick(now: now)
        XCTAssertGreaterThanOrEqual(iv(try XCTUnwrap(sync.first)), 1 << 63)
    }

    /// Deadlines continue on the new active: the IKE SA's from the export, the CHILD SA's from
    /// the template as from when the old active installed it.
    func testImportedDeadlinesAreArmed() throws {
        let (_, gw) = try pair()
        let g = try XCTUnwrap(gw.haSnapshot(now: now).first)
        let rekeyIn = try XCTUnwrap(g.rekeyIn, "the export right after IKE_AUTH has the lifetimes")
        XCTAssertNotNil(g.expireIn)
        var e = g
        e.messageIDSync = false   // nothing but the deadlines here
        e.rekeyIn = .seconds(5)
        e.expireIn = .seconds(50)
        var child = try XCTUnwrap(g.children.first)
        child.rekeyIn = nil
        child.expireIn = nil
        child.installedAgo = .seconds(100)
        let later = now + .seconds(1000)
        let s = try IKEEngine(config: TestConfig.make(), dataPlane: FakeDataPlane(), logger: Logger(label: "standby"), now: later)
        try s.haImport(e, children: [ChildSAHAImport(export: child, handle: ChildSAHandle(inbound: 1, outbound: 2, policies: []), cookie: 9)],
                       now: later)
        let ike = try XCTUnwrap(s.sas.values.first)
        XCTAssertEqual(ike.lifetime?.rekeyAt, later + .seconds(5))
        XCTAssertEqual(ike.lifetime?.expireAt, later + .seconds(50))
        let c = try XCTUnwrap(ike.children.first)
        let template = try XCTUnwrap(TestConfig.make().ipsecPolicyTemplates.first)
        XCTAssertEqual(c.installedAt, later + (.zero - .seconds(100)))
        let rekeyAt = try XCTUnwrap(c.rekeyAt, "the CHILD SA gets a rekey time")
        XCTAssertLessThanOrEqual(rekeyAt, c.installedAt + template.rekeyTime)
        XCTAssertGreaterThanOrEqual(rekeyAt, c.installedAt + (template.rekeyTime - template.randTime))
        XCTAssertEqual(c.expireAt, c.installedAt + template.lifeTime)
        XCTAssertGreaterThan(rekeyIn, .zero)
        // The IKE rekey starts at its deadline (the tick after it).
        XCTAssertTrue(s.tick(now: later + .seconds(4)).isEmpty)
        let rekey = s.tick(now: later + .seconds(5))
        XCTAssertEqual(rekey.count, 1)
        XCTAssertEqual(try IKEHeader.peek(rekey[0].bytes).header.exchangeType, .createChildSA)
    }
}
