import XCTest
@testable import StraitIKEWire

/// Inputs the decoder must refuse with the right code (and offset where it is well defined), never trapping.
final class MalformedTests: XCTestCase {
    /// Asserts that decoding fails with `code` (and `offset` when given).
    private func expect(_ code: IKEWireError.Code, at offset: Int? = nil, file: StaticString = #filePath,
                        line: UInt = #line, _ body: () throws -> Any?) {
        do {
            _ = try body()
            XCTFail("decoded, expected \(code)", file: file, line: line)
        } catch let e as IKEWireError {
            XCTAssertEqual(e.code, code, "\(e)", file: file, line: line)
            if let offset { XCTAssertEqual(e.offset, offset, "\(e)", file: file, line: line) }
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    /// A message around `chain` (first payload `first`), with a correct header length.
    private func message(first: PayloadType, _ chain: [UInt8]) -> [UInt8] {
        var b = hex("0000000000000001 0000000000000002") + [first.rawValue, 0x20, 34, 0x08] + [0, 0, 0, 0]
        let n = 28 + chain.count
        b += [UInt8(n >> 24 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)]
        return b + chain
    }

    private func setU16(_ b: inout [UInt8], _ at: Int, _ v: Int) {
        b[at] = UInt8(v >> 8 & 0xff)
        b[at + 1] = UInt8(v & 0xff)
    }

    private var initRequest: [UInt8] { StrongSwanCapture.ikeSAInitRequest }

    func testTruncatedAtEveryOffset() {
        for original in StrongSwanCapture.all {
            for n in 0..<original.count {
                expect(.truncated, at: n) { try IKEMessage.decode(Array(original[0..<n])) }
            }
        }
    }

    func testInnerChainTruncatedAtEveryOffset() {
        let plain = StrongSwanCapture.ikeAuthRequestPlain
        for n in 0..<plain.count {
            do {
                _ = try IKEMessage.decodePayloads(firstType: .identificationInitiator, bytes: Array(plain[0..<n]))
                XCTFail("prefix of \(n) bytes decoded")
            } catch let e as IKEWireError {
                // Cut between payloads: the chain names a payload that is missing. Cut inside one: its length
                // runs past the end.
                XCTAssert(e.code == .truncated || e.code == .badLength, "\(n): \(e)")
            } catch { XCTFail("\(error)") }
        }
    }

    func testHeaderLengthOffByOne() {
        var b = initRequest
        b[27] += 1
        expect(.truncated) { try IKEMessage.decode(b) }
        b[27] -= 2
        expect(.badLength, at: 24) { try IKEMessage.decode(b) }
        var short = hex("0000000000000001 0000000000000002 00 20 22 08 00000000 0000001b")
        expect(.badLength, at: 24) { try IKEMessage.decode(short) }
        short[27] = 0x1d
        expect(.truncated) { try IKEMessage.decode(short) }
        // Bytes after the header's length are not silently ignored.
        expect(.badLength, at: 24) { try IKEMessage.decode(self.initRequest + [0]) }
    }

    /// Every payload length, proposal length and transform length of the strongSwan message, one off in
    /// either direction: always refused.
    func testEveryStructureLengthOffByOne() throws {
        // Offsets of the 16-bit length fields in the strongSwan IKE_SA_INIT request (see its layout in
        // StrongSwanCaptureTests): generic payload headers, then proposals and transforms.
        var payloadLengths: [Int] = []
        var at = 28
        while at < initRequest.count {
            payloadLengths.append(at + 2)
            at += Int(initRequest[at + 2]) << 8 | Int(initRequest[at + 3])
        }
        XCTAssertEqual(payloadLengths.count, 8)
        var substructureLengths: [Int] = []
        at = 32
        for _ in 0..<2 {   // two proposals, seven transforms each
            substructureLengths.append(at + 2)
            var t = at + 8
            for _ in 0..<7 {
                substructureLengths.append(t + 2)
                t += Int(initRequest[t + 3])
            }
            at += Int(initRequest[at + 3])
        }
        for field in payloadLengths + substructureLengths {
            for delta in [-1, 1] {
                var b = initRequest
                setU16(&b, field, (Int(b[field]) << 8 | Int(b[field + 1])) + delta)
                XCTAssertThrowsError(try IKEMessage.decode(b), "length at \(field) \(delta)") { e in
                    XCTAssert(e is IKEWireError)
                }
            }
        }
        // The exact answers for the simple cases:
        var b = initRequest
        setU16(&b, payloadLengths.last!, 9)          // last Notify one byte longer than the message
        expect(.badLength, at: payloadLengths.last!) { try IKEMessage.decode(b) }
        b = initRequest
        setU16(&b, payloadLengths.last!, 7)          // last Notify one byte short: its type field is cut
        expect(.badLength, at: b.count - 2) { try IKEMessage.decode(b) }
        b = initRequest
        setU16(&b, 34, 0x48 + 1)                     // first proposal one byte long: a byte after the last transform
        expect(.badLength, at: 32 + 0x48) { try IKEMessage.decode(b) }
        b = initRequest
        setU16(&b, 34, 0x48 - 1)                     // first proposal one short: the last transform overruns
        expect(.badLength, at: 32 + 0x48 - 8) { try IKEMessage.decode(b) }
    }

    func testPayloadLengthBelowFour() {
        for length in 0..<4 {
            var b = initRequest
            setU16(&b, 30, length)                   // the SA payload's length
            expect(.badLength, at: 30) { try IKEMessage.decode(b) }
        }
        // A length that covers the generic header but not the payload's fixed fields.
        expect(.badLength) { try IKEMessage.decode(self.message(first: .keyExchange, hex("00 00 0006 0013"))) }
        expect(.badLength) { try IKEMessage.decode(self.message(first: .notify, hex("00 00 0007 000040"))) }
        expect(.badLength) { try IKEMessage.decode(self.message(first: .encryptedFragment, hex("00 00 0006 0001"))) }
    }

    func testProposalCountMismatch() {
        var b = initRequest
        b[39] = 6                                    // Num Transforms 7 -> 6 in the first proposal
        expect(.invalidSyntax, at: 39) { try IKEMessage.decode(b) }
        b[39] = 8
        expect(.invalidSyntax, at: 39) { try IKEMessage.decode(b) }
        b = initRequest
        b[32] = 0                                    // first proposal marked last, yet the SA length goes on
        expect(.badLength, at: 32 + 0x48) { try IKEMessage.decode(b) }
        b = initRequest
        b[32 + 0x48] = 2                             // last proposal marked "more follow"
        expect(.invalidSyntax) { try IKEMessage.decode(b) }
        b = initRequest
        b[32] = 1                                    // neither 0 nor 2
        expect(.invalidSyntax, at: 32) { try IKEMessage.decode(b) }
        b = initRequest
        b[40] = 0                                    // first transform marked last, the proposal length goes on
        expect(.badLength, at: 52) { try IKEMessage.decode(b) }
        b = initRequest
        b[38] = 3                                    // SPI size 3
        expect(.invalidSyntax, at: 38) { try IKEMessage.decode(b) }
    }

    func testZeroLengthStructuresCannotLoop() {
        // 64 empty Vendor ID payloads are fine; the 65th is refused (each is a 4-byte header and nothing else).
        let empty64 = Array((0..<63).map { _ in hex("2b 00 0004") }.joined()) + hex("00 00 0004")
        XCTAssertEqual(try IKEMessage.decode(message(first: .vendorID, empty64)).payloads.count, 64)
        let empty65 = Array((0..<64).map { _ in hex("2b 00 0004") }.joined()) + hex("00 00 0004")
        expect(.tooManyPayloads, at: 28 + 64 * 4) { try IKEMessage.decode(self.message(first: .vendorID, empty65)) }
        expect(.tooManyPayloads) {
            try IKEMessage.decodePayloads(firstType: .vendorID, bytes: empty65)
        }
        // Proposals and transforms with a zero length do not stall either.
        expect(.badLength) { try IKEMessage.decode(self.message(first: .securityAssociation, hex("00 00 000c 00 00 0000 01010000"))) }
        expect(.badLength) {
            try IKEMessage.decode(self.message(first: .securityAssociation, hex("00 00 0014 00 00 0010 01010001 00 00 0000 01000000")))
        }
        // Transform attribute TLV claiming more than the transform holds.
        expect(.badLength) {
            try IKEMessage.decode(self.message(first: .securityAssociation,
                                               hex("00 00 0018 00 00 0014 01010001 00 00 000c 01000014 000e 0001")))
        }
    }

    func testLimitsOnProposalsTransformsAttributes() {
        func sa(_ proposals: [[UInt8]]) -> [UInt8] {
            let body = Array(proposals.joined())
            let n = 4 + body.count
            return message(first: .securityAssociation, [0, 0, UInt8(n >> 8), UInt8(n & 0xff)] + body)
        }
        let oneProposal = { (last: Bool) in hex("\(last ? "00" : "02") 00 0008 01010000") }
        XCTAssertNoThrow(try IKEMessage.decode(sa((0..<63).map { _ in oneProposal(false) } + [oneProposal(true)])))
        expect(.tooManyProposals) { try IKEMessage.decode(sa((0..<64).map { _ in oneProposal(false) } + [oneProposal(true)])) }

        func proposal(transforms: Int, attributes: Int = 0) -> [UInt8] {
            let attrs = Array((0..<attributes).map { _ in hex("800e0080") }.joined())
            let ts = (0..<transforms).map { i -> [UInt8] in
                let len = 8 + attrs.count
                return [i == transforms - 1 ? 0 : 3, 0, UInt8(len >> 8), UInt8(len & 0xff), 1, 0, 0, 20] + attrs
            }
            let body = Array(ts.joined())
            let len = 8 + body.count
            return [0, 0, UInt8(len >> 8), UInt8(len & 0xff), 1, 1, 0, UInt8(truncatingIfNeeded: transforms)] + body
        }
        XCTAssertNoThrow(try IKEMessage.decode(sa([proposal(transforms: 128)])))
        expect(.tooManyTransforms) { try IKEMessage.decode(sa([proposal(transforms: 129)])) }
        XCTAssertNoThrow(try IKEMessage.decode(sa([proposal(transforms: 1, attributes: 16)])))
        expect(.tooManyAttributes) { try IKEMessage.decode(sa([proposal(transforms: 1, attributes: 17)])) }
    }

    func testCriticalUnknownPayload() {
        // Vendor ID, then an unknown type 99 with the critical bit.
        let chain = hex("63 00 0004 | 00 80 0005 ff")
        expect(.unsupportedCriticalPayload(PayloadType(99)), at: 32) {
            try IKEMessage.decode(self.message(first: .vendorID, chain))
        }
        expect(.unsupportedCriticalPayload(PayloadType(99)), at: 4) {
            try IKEMessage.decodePayloads(firstType: .vendorID, bytes: chain)
        }
        // Without the bit it is kept and the chain goes on.
        let kept = try? IKEMessage.decode(message(first: .vendorID, hex("63 00 0004 | 00 00 0005 ff")))
        XCTAssertEqual(kept?.payloads.last, .unknown(UnknownPayload(type: PayloadType(99), body: [0xff])))
        // A known type with the critical bit is decoded as usual (RFC 7296 2.5: the bit is ignored then).
        XCTAssertNoThrow(try IKEMessage.decode(message(first: .vendorID, hex("00 80 0004"))))
    }

    func testTrafficSelectorFamilyLengths() {
        func ts(_ selector: [UInt8], count: UInt8 = 1) -> [UInt8] {
            let n = 8 + selector.count
            return message(first: .trafficSelectorsInitiator, [0, 0, UInt8(n >> 8), UInt8(n & 0xff), count, 0, 0, 0] + selector)
        }
        let v4 = hex("07 00 0010 0000ffff 0a000000 0a0000ff")
        let v6 = hex("08 00 0028 0000ffff") + [UInt8](repeating: 0, count: 16) + [UInt8](repeating: 0xff, count: 16)
        XCTAssertNoThrow(try IKEMessage.decode(ts(v4)))
        XCTAssertNoThrow(try IKEMessage.decode(ts(v6)))
        var v4as6 = v4
        v4as6[0] = 8                                 // IPv6 type with IPv4 length 16
        expect(.badLength, at: 38) { try IKEMessage.decode(ts(v4as6)) }
        var v6as4 = v6
        v6as4[0] = 7                                 // IPv4 type with IPv6 length 40
        expect(.badLength, at: 38) { try IKEMessage.decode(ts(v6as4)) }
        var long = v4
        long[3] = 0x11                               // selector length beyond the payload
        expect(.badLength, at: 38) { try IKEMessage.decode(ts(long)) }
        var tiny = v4
        tiny[3] = 0x03                               // selector length below its own header
        expect(.badLength, at: 38) { try IKEMessage.decode(ts(tiny)) }
        expect(.invalidSyntax) { try IKEMessage.decode(ts(v4, count: 2)) }
        expect(.invalidSyntax) { try IKEMessage.decode(ts(v4 + v4, count: 1)) }
    }

    func testVersionAndSize() {
        var b = initRequest
        b[17] = 0x10
        expect(.badVersion, at: 17) { try IKEMessage.decode(b) }
        b[17] = 0x30
        expect(.badVersion, at: 17) { try IKEMessage.decode(b) }
        expect(.badVersion, at: 17) { try IKEHeader.peek(b) }
        expect(.messageTooLarge) { try IKEMessage.decode([UInt8](repeating: 0, count: 65536)) }
        expect(.messageTooLarge) { try IKEMessage.decodePayloads(firstType: .nonce, bytes: [UInt8](repeating: 0, count: 65536)) }
    }

    func testEncryptedPlacement() {
        // SK must be the last payload; inside SK there is no SK.
        let sk = hex("29 00 0008 00000000")
        expect(.invalidSyntax, at: 36) {
            try IKEMessage.decode(self.message(first: .encrypted, sk + hex("00 00 0008 00004000")))
        }
        expect(.invalidSyntax, at: 0) { try IKEMessage.decodePayloads(firstType: .encrypted, bytes: hex("00 00 0004")) }
        expect(.invalidSyntax, at: 0) {
            try IKEMessage.decodePayloads(firstType: .encryptedFragment, bytes: hex("00 00 0008 0001 0001"))
        }
        expect(.invalidSyntax) { try IKEMessage.encryptedPayloadLocation(in: self.message(first: .encrypted, sk + hex("00 00 0004"))) }
        // Fragment numbering: from 1, never beyond the total.
        expect(.invalidSyntax, at: 32) { try IKEMessage.decode(self.message(first: .encryptedFragment, hex("00 00 0008 0000 0002"))) }
        expect(.invalidSyntax, at: 32) { try IKEMessage.decode(self.message(first: .encryptedFragment, hex("00 00 0008 0003 0002"))) }
    }

    func testPayloadFieldRules() {
        // Nonce sizes 16...256 only.
        expect(.invalidSyntax) { try IKEMessage.decode(self.message(first: .nonce, hex("00 00 0013") + [UInt8](repeating: 1, count: 15))) }
        expect(.invalidSyntax) { try IKEMessage.decode(self.message(first: .nonce, hex("00 00 0105") + [UInt8](repeating: 1, count: 257))) }
        // Delete: SPI size 0 only with no SPIs; the SPIs fill the payload exactly.
        expect(.invalidSyntax) { try IKEMessage.decode(self.message(first: .delete, hex("00 00 0008 01 00 0001"))) }
        expect(.badLength) { try IKEMessage.decode(self.message(first: .delete, hex("00 00 000d 03 04 0002 01020304 05"))) }
        expect(.badLength) { try IKEMessage.decode(self.message(first: .delete, hex("00 00 000c 03 04 0002 01020304"))) }
        // Notify SPI longer than the payload.
        expect(.badLength) { try IKEMessage.decode(self.message(first: .notify, hex("00 00 000a 03 04 4009 0102"))) }
        // CP attribute longer than the payload.
        expect(.badLength) { try IKEMessage.decode(self.message(first: .configuration, hex("00 00 000e 01 000000 0001 0004 0a00"))) }
        // Chain says another payload follows, but the message ends.
        expect(.truncated, at: 32) { try IKEMessage.decode(self.message(first: .vendorID, hex("2b 00 0004"))) }
    }
}
