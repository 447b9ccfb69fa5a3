import XCTest
@testable import StraitHASync

final class HASyncCodecTests: XCTestCase {
    func testEveryMessageRoundTrips() throws {
        for m in Fx.allMessages() {
            let bytes = HASyncCodec.encode(m)
            XCTAssertEqual(try HASyncCodec.decode(bytes), m, "\(m.type)")
            XCTAssertEqual(bytes[3], m.type.rawValue)
        }
    }

    func testHeaderErrors() {
        let good = HASyncCodec.encode(.bulkEnd(generation: 1))
        XCTAssertThrowsError(try HASyncCodec.decode(Array(good.prefix(5)))) { XCTAssertEqual(($0 as? HASyncError)?.code, .truncated) }
        XCTAssertThrowsError(try HASyncCodec.decode(Array(good.dropLast()))) { XCTAssertEqual(($0 as? HASyncError)?.code, .truncated) }
        XCTAssertThrowsError(try HASyncCodec.decode(good + [0])) { XCTAssertEqual(($0 as? HASyncError)?.code, .badLength) }
        var unknown = good
        unknown[3] = 99
        XCTAssertThrowsError(try HASyncCodec.decode(unknown)) { XCTAssertEqual(($0 as? HASyncError)?.code, .unknownType) }
        var version = good
        version[2] = 2
        XCTAssertThrowsError(try HASyncCodec.decode(version)) { XCTAssertEqual(($0 as? HASyncError)?.code, .badVersion) }
        var huge = good
        huge[4] = 0x7F
        XCTAssertThrowsError(try HASyncCodec.decode(huge)) { XCTAssertEqual(($0 as? HASyncError)?.code, .tooBig) }
        // A body whose inner length says more than the body holds.
        var inner = HASyncCodec.encode(.handshakeConfirm(transcript: [1, 2, 3]))
        inner[9] = 60
        XCTAssertThrowsError(try HASyncCodec.decode(inner)) { XCTAssertEqual(($0 as? HASyncError)?.code, .badLength) }
        // Counts that promise more elements than there are bytes are refused before allocating.
        var seq = HASyncCodec.encode(.seqState([]))
        seq[8] = 0xFF; seq[9] = 0xFF
        XCTAssertThrowsError(try HASyncCodec.decode(seq)) { XCTAssertEqual(($0 as? HASyncError)?.code, .badLength) }
    }

    func testKeysNeverPrinted() {
        let s = Fx.ike()
        let text = "\(s) \(String(reflecting: s)) \(Fx.child())"
        XCTAssertTrue(text.contains("HASecret(32 bytes)"))
        let keyHex = s.keys.skD.withBytes { $0.map { String($0) }.joined(separator: ", ") }
        XCTAssertFalse(text.contains(keyHex))
    }

    /// Random truncations and bit flips of valid messages: decoding throws or returns
    /// something, and never crashes or reads out of bounds.
    func testFuzzTruncationsAndBitFlips() {
        var rng = SplitMix(state: 0x5EED)
        let seeds = Fx.allMessages().map(HASyncCodec.encode)
        var decoded = 0, refused = 0
        for i in 0..<20_000 {
            var b = seeds[i % seeds.count]
            switch rng.next() % 4 {
            case 0: b = Array(b.prefix(Int(rng.next() % UInt64(b.count + 1))))
            case 1:
                for _ in 0..<(1 + rng.next() % 4) { b[Int(rng.next() % UInt64(b.count))] ^= UInt8(1 << (rng.next() % 8)) }
            case 2:
                // Flip inside the header's length or a field length, where a bounds bug would show.
                let at = Int(rng.next() % UInt64(min(b.count, 24)))
                b[at] = UInt8(truncatingIfNeeded: rng.next())
            default:
                b += (0..<(rng.next() % 8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            }
            if let _ = try? HASyncCodec.decode(b) { decoded += 1 } else { refused += 1 }
        }
        XCTAssertGreaterThan(refused, 10_000)
        XCTAssertGreaterThan(decoded, 0)
    }
}
