import StraitCore

/// Configuration payload (RFC 7296 section 3.15): CFG Type (1) | RESERVED (3) | attributes.
public struct ConfigurationPayload: Hashable, Sendable {
    public var type: ConfigurationType
    public var attributes: [ConfigurationAttribute]

    public init(type: ConfigurationType, attributes: [ConfigurationAttribute]) {
        self.type = type
        self.attributes = attributes
    }

    /// The attributes of one type, in payload order.
    public func attributes(of type: ConfigurationAttributeType) -> [ConfigurationAttribute] {
        attributes.filter { $0.type == type }
    }

    static func decode(_ r: inout ByteReader) throws -> ConfigurationPayload {
        let type = ConfigurationType(try r.u8())
        try r.skip(3)
        var attributes: [ConfigurationAttribute] = []
        while !r.isAtEnd {
            guard attributes.count < IKEWireLimits.maxConfigurationAttributes else {
                throw IKEWireError(.tooManyAttributes, at: r.offset, "configuration attributes")
            }
            attributes.append(try ConfigurationAttribute.decode(&r))
        }
        return ConfigurationPayload(type: type, attributes: attributes)
    }

    func encode(to w: inout ByteWriter) {
        w.u8(type.rawValue)
        w.zeros(3)
        for a in attributes { a.encode(to: &w) }
    }
}

/// A configuration attribute (RFC 7296 section 3.15.1): R (1 bit) | Attribute Type (15 bits) | Length (2) | Value.
/// An empty value is how a CFG_REQUEST asks for an attribute.
public struct ConfigurationAttribute: Hashable, Sendable {
    public var type: ConfigurationAttributeType
    public var value: [UInt8]

    public init(type: ConfigurationAttributeType, value: [UInt8] = []) {
        self.type = type
        self.value = value
    }

    /// INTERNAL_IP4_ADDRESS / INTERNAL_IP4_DNS / INTERNAL_IP6_DNS ... carrying one address.
    public init(type: ConfigurationAttributeType, address: IPAddress) {
        self.init(type: type, value: address.bytes)
    }

    /// INTERNAL_IP6_ADDRESS and INTERNAL_IP6_SUBNET carry an address and a prefix length (17 bytes),
    /// INTERNAL_IP4_SUBNET an address and a netmask (8 bytes).
    public init(type: ConfigurationAttributeType, prefix: IPPrefix) {
        switch prefix.address {
        case .v4:
            let mask: UInt32 = prefix.length == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefix.length)
            self.init(type: type, value: prefix.address.bytes + IPv4Address(mask).bytes)
        case .v6:
            self.init(type: type, value: prefix.address.bytes + [UInt8(prefix.length)])
        }
    }

    /// The value read as one address (4 or 16 bytes), or as an address plus prefix length (17 bytes).
    public var address: IPAddress? {
        switch value.count {
        case 4, 16: return IPAddress(bytes: value)
        case 17: return IPAddress(bytes: Array(value[0..<16]))
        default: return nil
        }
    }

    static func decode(_ r: inout ByteReader) throws -> ConfigurationAttribute {
        let start = r.offset
        guard r.remaining >= 4 else {
            throw IKEWireError(.badLength, at: start, "configuration attribute header needs 4 bytes")
        }
        let type = ConfigurationAttributeType(try r.u16() & 0x7fff)
        let length = Int(try r.u16())
        guard length <= r.remaining else {
            throw IKEWireError(.badLength, at: start + 2, "attribute length \(length), \(r.remaining) left")
        }
        return ConfigurationAttribute(type: type, value: try r.read(length))
    }

    func encode(to w: inout ByteWriter) {
        precondition(value.count <= Int(UInt16.max), "configuration attribute too long")
        w.u16(type.rawValue & 0x7fff)
        w.u16(UInt16(value.count))
        w.append(value)
    }
}
