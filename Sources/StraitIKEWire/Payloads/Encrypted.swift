/// Encrypted and Authenticated payload, SK (RFC 7296 section 3.14). The body (IV | ciphertext | ICV) is
/// opaque here: StraitIKECrypto opens it and hands the plaintext chain to `IKEMessage.decodePayloads`.
/// SK is always the last payload of a message; its Next Payload field names the first inner payload.
public struct EncryptedPayload: Hashable, Sendable {
    /// Type of the first payload inside (the SK payload's Next Payload field).
    public var firstPayloadType: PayloadType
    /// IV, ciphertext (with padding and pad length inside) and integrity checksum.
    public var body: [UInt8]

    public init(firstPayloadType: PayloadType, body: [UInt8]) {
        self.firstPayloadType = firstPayloadType
        self.body = body
    }
}

/// Encrypted and Authenticated Fragment payload, SKF (RFC 7383 section 2.5):
///
///     Fragment Number (2) | Total Fragments (2) | IV | ciphertext | ICV
///
/// Only fragment 1 names the first inner payload type; the others carry 0 (`.noNextPayload`).
public struct EncryptedFragmentPayload: Hashable, Sendable {
    public var fragmentNumber: UInt16
    public var totalFragments: UInt16
    public var firstPayloadType: PayloadType
    public var body: [UInt8]

    public init(fragmentNumber: UInt16, totalFragments: UInt16, firstPayloadType: PayloadType, body: [UInt8]) {
        self.fragmentNumber = fragmentNumber
        self.totalFragments = totalFragments
        self.firstPayloadType = firstPayloadType
        self.body = body
    }

    static func decode(_ r: inout ByteReader, firstPayloadType: PayloadType) throws -> EncryptedFragmentPayload {
        let start = r.offset
        let number = try r.u16()
        let total = try r.u16()
        // RFC 7383 2.6: numbering starts at 1 and no fragment is beyond the total.
        guard number >= 1, number <= total else {
            throw IKEWireError(.invalidSyntax, at: start, "fragment \(number) of \(total)")
        }
        return EncryptedFragmentPayload(fragmentNumber: number, totalFragments: total,
                                        firstPayloadType: firstPayloadType, body: r.readRest())
    }

    func encode(to w: inout ByteWriter) {
        w.u16(fragmentNumber)
        w.u16(totalFragments)
        w.append(body)
    }
}

/// A payload of a type this codec does not decode, kept whole so that it can be logged or passed on.
/// Only non-critical ones decode (a critical one is an `unsupportedCriticalPayload` error).
public struct UnknownPayload: Hashable, Sendable {
    public var type: PayloadType
    public var critical: Bool
    public var body: [UInt8]

    public init(type: PayloadType, critical: Bool = false, body: [UInt8]) {
        self.type = type
        self.critical = critical
        self.body = body
    }
}
