/// An IKEv2 message: the header and its payload chain (RFC 7296 section 3).
///
/// `decode` checks every length against its enclosure and refuses anything malformed with an
/// `IKEWireError`; `encode` computes the Next Payload chain and every length. A message with an SK or SKF
/// payload keeps it opaque; the crypto layer opens it and decodes the plaintext with `decodePayloads`.
public struct IKEMessage: Hashable, Sendable {
    public var header: IKEHeader
    public var payloads: [IKEPayload]

    public init(header: IKEHeader, payloads: [IKEPayload]) {
        self.header = header
        self.payloads = payloads
    }

    /// Decodes one whole message (a UDP datagram on port 500, or on 4500 after the non-ESP marker).
    /// The header's length must equal `bytes.count`.
    public static func decode(_ bytes: [UInt8]) throws -> IKEMessage {
        guard bytes.count <= IKEWireLimits.maxMessageSize else {
            throw IKEWireError(.messageTooLarge, at: IKEWireLimits.maxMessageSize, "\(bytes.count) bytes")
        }
        let peeked = try IKEHeader.peek(bytes)
        let length = Int(peeked.length)
        guard length >= IKEHeader.length else {
            throw IKEWireError(.badLength, at: 24, "header length \(length)")
        }
        guard length <= bytes.count else {
            throw IKEWireError(.truncated, at: bytes.count, "header says \(length) bytes, \(bytes.count) received")
        }
        guard length == bytes.count else {
            throw IKEWireError(.badLength, at: 24, "header says \(length) bytes, \(bytes.count) received")
        }
        var r = ByteReader(bytes)
        try r.skip(IKEHeader.length)
        let payloads = try PayloadChain.decode(&r, first: peeked.nextPayload, inner: false)
        return IKEMessage(header: peeked.header, payloads: payloads)
    }

    /// The message on the wire: header (with the first payload type and the total length), then the
    /// payloads. An SK or SKF payload must be the last one (its Next Payload field names its contents).
    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 512)
        header.write(nextPayload: payloads.first?.type ?? .noNextPayload, to: &w)
        PayloadChain.encode(payloads, to: &w)
        w.patch32(at: 24, UInt32(w.count))
        return w.bytes
    }

    /// Decodes the plaintext of an SK payload (after the crypto layer has removed IV, padding, pad length
    /// and ICV) as a payload chain starting with `firstType`. Offsets in errors count from the start of
    /// `bytes`. SK/SKF payloads inside are refused.
    public static func decodePayloads(firstType: PayloadType, bytes: [UInt8]) throws -> [IKEPayload] {
        guard bytes.count <= IKEWireLimits.maxMessageSize else {
            throw IKEWireError(.messageTooLarge, at: IKEWireLimits.maxMessageSize, "\(bytes.count) bytes")
        }
        var r = ByteReader(bytes)
        return try PayloadChain.decode(&r, first: firstType, inner: true)
    }

    /// Encodes payloads as the plaintext of an SK payload: the chain bytes (before padding) and the type
    /// to put in the SK payload's Next Payload field.
    public static func encodePayloads(_ payloads: [IKEPayload]) -> (firstType: PayloadType, bytes: [UInt8]) {
        var w = ByteWriter(capacity: 256)
        let first = PayloadChain.encode(payloads, to: &w)
        return (first, w.bytes)
    }
}

/// Where the SK or SKF payload sits in an encoded message. The AEAD associated data (RFC 5282 section 5,
/// RFC 7383 section 2.5) is `bytes[0..<contentOffset]`: the IKE header, the generic payload header and,
/// for SKF, Fragment Number and Total Fragments. The IV starts at `contentOffset`; the ICV ends at `end`.
/// For integrity-protected (non-AEAD) ciphers the checksum covers `bytes[0..<end - icvLength]`.
public struct EncryptedPayloadLocation: Hashable, Sendable {
    /// Offset of the SK/SKF generic payload header.
    public var payloadOffset: Int
    /// Offset of the IV (the first byte after SK's generic header, or after SKF's fragment fields).
    public var contentOffset: Int
    /// One past the last byte of the payload; the message's length, since SK/SKF is last.
    public var end: Int
    public var isFragment: Bool
}

extension IKEMessage {
    /// Finds the SK or SKF payload in an encoded message by walking only the generic payload headers
    /// (so it works on received bytes before decryption and on an encoded message before it is sealed).
    /// Nil when there is none. Throws on the same length errors as `decode`.
    public static func encryptedPayloadLocation(in bytes: [UInt8]) throws -> EncryptedPayloadLocation? {
        let peeked = try IKEHeader.peek(bytes)
        guard Int(peeked.length) == bytes.count else {
            throw IKEWireError(Int(peeked.length) > bytes.count ? .truncated : .badLength, at: 24,
                               "header says \(peeked.length) bytes, \(bytes.count) present")
        }
        var r = ByteReader(bytes)
        try r.skip(IKEHeader.length)
        var type = peeked.nextPayload
        var count = 0
        while type != .noNextPayload {
            let start = r.offset
            guard count < IKEWireLimits.maxPayloads else { throw IKEWireError(.tooManyPayloads, at: start) }
            count += 1
            guard r.remaining >= 4 else { throw IKEWireError(.truncated, at: start) }
            let next = PayloadType(try r.u8())
            try r.skip(1)
            let length = Int(try r.u16())
            guard length >= 4, length - 4 <= r.remaining else {
                throw IKEWireError(.badLength, at: start + 2, "\(type) payload length \(length)")
            }
            try r.skip(length - 4)
            if type == .encrypted || type == .encryptedFragment {
                let isFragment = type == .encryptedFragment
                guard r.isAtEnd else { throw IKEWireError(.invalidSyntax, at: r.offset, "payloads after \(type)") }
                guard !isFragment || length >= 8 else { throw IKEWireError(.badLength, at: start + 2) }
                return EncryptedPayloadLocation(payloadOffset: start, contentOffset: start + (isFragment ? 8 : 4),
                                                end: r.offset, isFragment: isFragment)
            }
            type = next
        }
        return nil
    }
}
