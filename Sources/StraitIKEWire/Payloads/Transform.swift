/// A transform substructure (RFC 7296 section 3.3.2):
///
///     Last Substruc (1: 0 last, 3 more) | RESERVED (1) | Transform Length (2)
///     Transform Type (1) | RESERVED (1) | Transform ID (2)
///     Transform Attributes (variable)
///
/// The ID is kept raw because its registry depends on the type; the typed accessors read it.
public struct Transform: Hashable, Sendable {
    public var type: TransformType
    public var id: UInt16
    public var attributes: [TransformAttribute]

    public init(type: TransformType, id: UInt16, attributes: [TransformAttribute] = []) {
        self.type = type
        self.id = id
        self.attributes = attributes
    }

    /// An ENCR transform; `keyLength` (bits) adds the Key Length attribute that AES needs (RFC 7296 3.3.5).
    public static func encryption(_ algorithm: EncryptionAlgorithm, keyLength: UInt16? = nil) -> Transform {
        Transform(type: .encryption, id: algorithm.rawValue,
                  attributes: keyLength.map { [TransformAttribute(type: .keyLength, value: .tv($0))] } ?? [])
    }

    public static func prf(_ prf: PseudorandomFunction) -> Transform { Transform(type: .prf, id: prf.rawValue) }

    public static func integrity(_ integrity: IntegrityAlgorithm) -> Transform {
        Transform(type: .integrity, id: integrity.rawValue)
    }

    public static func keyExchange(_ method: KeyExchangeMethod) -> Transform {
        Transform(type: .keyExchange, id: method.rawValue)
    }

    public static func extendedSequenceNumbers(_ esn: ExtendedSequenceNumbers) -> Transform {
        Transform(type: .extendedSequenceNumbers, id: esn.rawValue)
    }

    public var encryptionAlgorithm: EncryptionAlgorithm? { type == .encryption ? EncryptionAlgorithm(id) : nil }
    public var pseudorandomFunction: PseudorandomFunction? { type == .prf ? PseudorandomFunction(id) : nil }
    public var integrityAlgorithm: IntegrityAlgorithm? { type == .integrity ? IntegrityAlgorithm(id) : nil }
    public var keyExchangeMethod: KeyExchangeMethod? { type == .keyExchange ? KeyExchangeMethod(id) : nil }
    public var extendedSequenceNumbers: ExtendedSequenceNumbers? {
        type == .extendedSequenceNumbers ? ExtendedSequenceNumbers(id) : nil
    }

    /// The Key Length attribute in bits, if present in TV form.
    public var keyLength: UInt16? {
        for a in attributes where a.type == .keyLength {
            if case .tv(let bits) = a.value { return bits }
        }
        return nil
    }

    static func decode(_ r: inout ByteReader, isLast: inout Bool) throws -> Transform {
        let start = r.offset
        guard r.remaining >= 8 else { throw IKEWireError(.badLength, at: start, "transform header needs 8 bytes") }
        let marker = try r.u8()
        guard marker == 0 || marker == 3 else {
            throw IKEWireError(.invalidSyntax, at: start, "transform last-substruc \(marker), not 0 or 3")
        }
        isLast = marker == 0
        try r.skip(1)
        let length = Int(try r.u16())
        guard length >= 8, length - 4 <= r.remaining else {
            throw IKEWireError(.badLength, at: start + 2, "transform length \(length)")
        }
        var body = try r.sub(length - 4)
        let type = TransformType(try body.u8())
        try body.skip(1)
        let id = try body.u16()
        var attributes: [TransformAttribute] = []
        while !body.isAtEnd {
            guard attributes.count < IKEWireLimits.maxTransformAttributes else {
                throw IKEWireError(.tooManyAttributes, at: body.offset, "transform attributes")
            }
            attributes.append(try TransformAttribute.decode(&body))
        }
        return Transform(type: type, id: id, attributes: attributes)
    }

    func encode(isLast: Bool, to w: inout ByteWriter) {
        let start = w.count
        w.u8(isLast ? 0 : 3)
        w.u8(0)
        w.u16(0)
        w.u8(type.rawValue)
        w.u8(0)
        w.u16(id)
        for a in attributes { a.encode(to: &w) }
        w.patchLength16(at: start + 2, from: start)
    }
}

/// A transform attribute (RFC 7296 section 3.3.5): the top bit of the first field (AF) says whether the
/// value is a 16-bit TV value or a length-prefixed TLV value.
public struct TransformAttribute: Hashable, Sendable {
    public enum Value: Hashable, Sendable {
        case tv(UInt16)
        case tlv([UInt8])
    }

    /// 15-bit attribute type (the AF bit is implied by `value`).
    public var type: TransformAttributeType
    public var value: Value

    public init(type: TransformAttributeType, value: Value) {
        self.type = type
        self.value = value
    }

    static func decode(_ r: inout ByteReader) throws -> TransformAttribute {
        let start = r.offset
        guard r.remaining >= 4 else { throw IKEWireError(.badLength, at: start, "transform attribute needs 4 bytes") }
        let first = try r.u16()
        let type = TransformAttributeType(first & 0x7fff)
        if first & 0x8000 != 0 {
            return TransformAttribute(type: type, value: .tv(try r.u16()))
        }
        let length = Int(try r.u16())
        guard length <= r.remaining else {
            throw IKEWireError(.badLength, at: start + 2, "attribute length \(length), \(r.remaining) left")
        }
        return TransformAttribute(type: type, value: .tlv(try r.read(length)))
    }

    func encode(to w: inout ByteWriter) {
        switch value {
        case .tv(let v):
            w.u16(0x8000 | type.rawValue & 0x7fff)
            w.u16(v)
        case .tlv(let data):
            precondition(data.count <= Int(UInt16.max), "transform attribute too long")
            w.u16(type.rawValue & 0x7fff)
            w.u16(UInt16(data.count))
            w.append(data)
        }
    }
}
