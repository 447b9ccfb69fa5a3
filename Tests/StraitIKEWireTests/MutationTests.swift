import XCTest
@testable import StraitIKEWire

/// A small deterministic fuzz inside the unit tests (the libFuzzer target in Tests/fuzz/ike goes further):
/// single-byte mutations of every captured message and plaintext either fail with an IKEWireError or
/// decode to something that survives encode and decode unchanged.
final class MutationTests: XCTestCase {
    private static let replacements: [(UInt8) -> UInt8] = [{ $0 ^ 0x01 }, { $0 ^ 0x80 }, { _ in 0 }, { _ in 0xff }, { $0 &+ 1 }]

    func testSingleByteMutationsOfMessages() {
        var decoded = 0, refused = 0
        for original in StrongSwanCapture.all {
            for i in original.indices {
                for f in Self.replacements {
                    var b = original
                    b[i] = f(b[i])
                    do {
                        let m = try IKEMessage.decode(b)
                        decoded += 1
                        XCTAssertEqual(try IKEMessage.decode(m.encode()), m, "mutation at \(i)")
                        _ = try IKEMessage.encryptedPayloadLocation(in: b)
                    } catch is IKEWireError {
                        refused += 1
                    } catch {
                        XCTFail("\(error)")
                    }
                }
            }
        }
        XCTAssertGreaterThan(decoded, 0)
        XCTAssertGreaterThan(refused, 0)
    }

    func testSingleByteMutationsOfPlaintexts() {
        let chains: [(PayloadType, [UInt8])] = [
            (.identificationInitiator, StrongSwanCapture.ikeAuthRequestPlain),
            (.identificationResponder, StrongSwanCapture.ikeAuthResponsePlain),
            (.delete, StrongSwanCapture.informationalDeletePlain),
        ]
        for (first, original) in chains {
            for i in original.indices {
                for f in Self.replacements {
                    var b = original
                    b[i] = f(b[i])
                    guard let payloads = try? IKEMessage.decodePayloads(firstType: first, bytes: b) else { continue }
                    let again = IKEMessage.encodePayloads(payloads)
                    XCTAssertEqual(try IKEMessage.decodePayloads(firstType: again.firstType, bytes: again.bytes), payloads)
                }
            }
        }
    }

    /// Seeded pseudo-random inputs with a valid header in front, so the payload decoders are reached.
    func testRandomChains() {
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        for _ in 0..<20_000 {
            let n = Int(next() % 120)
            var chain = (0..<n).map { _ in UInt8(truncatingIfNeeded: next()) }
            // Steer the first generic header towards plausible lengths now and then.
            if n >= 4, next() % 2 == 0 { chain[2] = 0; chain[3] = UInt8(n) }
            let first = PayloadType(UInt8(33 + next() % 21))
            if let payloads = try? IKEMessage.decodePayloads(firstType: first, bytes: chain) {
                let again = IKEMessage.encodePayloads(payloads)
                XCTAssertEqual(try? IKEMessage.decodePayloads(firstType: again.firstType, bytes: again.bytes), payloads)
            }
        }
    }
}
