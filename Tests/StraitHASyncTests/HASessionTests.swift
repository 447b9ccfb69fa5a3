import XCTest
@testable import StraitHASync

final class HASessionTests: XCTestCase {
    static let key = HASecret((0..<32).map { UInt8($0) })

    /// Two sessions wired back to back in memory; returns them established.
    func pair(keyA: HASecret = key, keyB: HASecret = key) throws -> (HASession, HASession, [HASession.Event], [HASession.Event]) {
        var a = try HASession(nodeID: 1, role: .active, key: keyA)
        var b = try HASession(nodeID: 2, role: .standby, key: keyB)
        let helloA = a.start(), helloB = b.start()
        var evA = try a.receive(helloB), evB = try b.receive(helloA)
        // Each side now sends its confirm record.
        guard case .send(let confirmA) = evA.first, case .send(let confirmB) = evB.first else {
            XCTFail("no confirm")
            return (a, b, [], [])
        }
        evA = try a.receive(confirmB)
        evB = try b.receive(confirmA)
        return (a, b, evA, evB)
    }

    func testHandshakeAndRecords() throws {
        var (a, b, evA, evB) = try pair()
        XCTAssertEqual(evA, [.established(peerNodeID: 2, peerRole: .standby)])
        XCTAssertEqual(evB, [.established(peerNodeID: 1, peerRole: .active)])
        for m in Fx.allMessages() where m.type != .hello && m.type != .handshakeConfirm {
            let record = try a.seal(m)
            XCTAssertEqual(try b.receive(record), [.message(m)])
            XCTAssertEqual(try a.receive(try b.seal(m)), [.message(m)])
        }
        // The record is encrypted: the plaintext's key bytes do not show.
        let record = try a.seal(.ikeSAUpsert(Fx.ike()))
        let key = Fx.ike().keys.skD.withBytes { $0 }
        XCTAssertNil(record.indices.first { record[$0...].starts(with: key) })
        XCTAssertFalse("\(a)".contains("0, 1, 2, 3"))
    }

    func testTamperedRecordRejected() throws {
        var (a, b, _, _) = try pair()
        let intact = try a.seal(.bulkEnd(generation: 1))
        var record = intact
        record[record.count - 20] ^= 1
        XCTAssertThrowsError(try b.receive(record)) { XCTAssertEqual(($0 as? HASyncError)?.code, .badTag) }
        XCTAssertEqual(b.counters.badTag, 1)
        // A flipped counter in the header is authenticated too (it is AAD and the nonce).
        // The refused record did not move the window: an intact one with that counter opens.
        XCTAssertEqual(try b.receive(intact), [.message(.bulkEnd(generation: 1))])
        // The counter in the header is authenticated too (AAD and nonce).
        var moved = try a.seal(.bulkEnd(generation: 2))
        moved[8] ^= 1
        XCTAssertThrowsError(try b.receive(moved)) { XCTAssertEqual(($0 as? HASyncError)?.code, .replay) }
    }

    func testReplayedAndReorderedRecordsRejected() throws {
        var (a, b, _, _) = try pair()
        let r1 = try a.seal(.bulkEnd(generation: 1))
        let r2 = try a.seal(.bulkEnd(generation: 2))
        let r3 = try a.seal(.bulkEnd(generation: 3))
        XCTAssertEqual(try b.receive(r1), [.message(.bulkEnd(generation: 1))])
        XCTAssertThrowsError(try b.receive(r1)) { XCTAssertEqual(($0 as? HASyncError)?.code, .replay) }
        XCTAssertThrowsError(try b.receive(r3)) { XCTAssertEqual(($0 as? HASyncError)?.code, .replay) }
        XCTAssertEqual(b.counters.replayed, 2)
        // Refusals do not move the window: the right next record still opens.
        XCTAssertEqual(try b.receive(r2), [.message(.bulkEnd(generation: 2))])
        XCTAssertEqual(try b.receive(r3), [.message(.bulkEnd(generation: 3))])
    }

    func testWrongKeyFailsHandshake() throws {
        var other = (0..<32).map { UInt8($0) }
        other[31] ^= 0x80
        XCTAssertThrowsError(try pair(keyB: HASecret(other))) { XCTAssertEqual(($0 as? HASyncError)?.code, .badTag) }
        XCTAssertThrowsError(try HASession(nodeID: 1, role: .active, key: HASecret([1, 2, 3]))) {
            XCTAssertEqual(($0 as? HASyncError)?.code, .badKey)
        }
    }

    func testSameNodeIDAndEarlyRecordsRefused() throws {
        var a = try HASession(nodeID: 1, role: .active, key: Self.key)
        var b = try HASession(nodeID: 1, role: .standby, key: Self.key)
        let hb = b.start()
        _ = a.start()
        XCTAssertThrowsError(try a.receive(hb)) { XCTAssertEqual(($0 as? HASyncError)?.code, .handshake) }
        XCTAssertThrowsError(try a.seal(.bulkEnd(generation: 1))) { XCTAssertEqual(($0 as? HASyncError)?.code, .notEstablished) }
    }

    /// A new connection restarts the handshake: fresh nonces, fresh keys, counters from 0; a
    /// record of the old session does not open in the new one.
    func testRestartRekeys() throws {
        var (a, b, _, _) = try pair()
        let old = try a.seal(.bulkEnd(generation: 1))
        let helloA = a.start(), helloB = b.start()
        XCTAssertFalse(a.isEstablished)
        guard case .send(let ca) = try a.receive(helloB).first, case .send(let cb) = try b.receive(helloA).first else { return XCTFail() }
        _ = try a.receive(cb)
        _ = try b.receive(ca)
        XCTAssertTrue(a.isEstablished && b.isEstablished)
        XCTAssertThrowsError(try b.receive(old)) { XCTAssertEqual(($0 as? HASyncError)?.code, .badTag) }
        XCTAssertEqual(try b.receive(try a.seal(.bulkEnd(generation: 5))), [.message(.bulkEnd(generation: 5))])
    }

    /// Random and mutated frames into an established session: refused and counted, never a
    /// crash, and the session still opens the next genuine record afterwards.
    func testFuzzFramesIntoASession() throws {
        var (a, b, _, _) = try pair()
        var rng = SplitMix(state: 42)
        let genuine = try a.seal(.ikeSAUpsert(Fx.ike()))
        for i in 0..<3000 {
            var f = genuine
            if i % 3 == 0 { f = Array(f.prefix(Int(rng.next() % UInt64(f.count)))) } else {
                f[Int(rng.next() % UInt64(f.count))] ^= UInt8(1 << (rng.next() % 8))
            }
            if i % 7 == 0 { f = (0..<(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
            XCTAssertThrowsError(try b.receive(f))
        }
        XCTAssertEqual(try b.receive(genuine), [.message(.ikeSAUpsert(Fx.ike()))])
        let c = b.counters
        XCTAssertEqual(c.badTag + c.replayed + c.malformed + c.handshakeFailures, 3000)
    }
}
