import StraitCore

// Payloads that are a few fixed fields followed by opaque data. Reserved fields are skipped on decode and
// written as zero (RFC 7296 section 2.5: sent as zero, ignored on receipt).

/// Key Exchange payload (RFC 7296 section 3.4): group (2) | RESERVED (2) | key exchange data.
public struct KeyExchangePayload: Hashable, Sendable {
    public var group: KeyExchangeMethod
    /// The public value: 32 bytes for Curve25519, 256 for MODP-2048, 64 for P-256 (x | y) ...
    public var data: [UInt8]

    public init(group: KeyExchangeMethod, data: [UInt8]) {
        self.group = group
        self.data = data
    }

    static func decode(_ r: inout ByteReader) throws -> KeyExchangePayload {
        let group = KeyExchangeMethod(try r.u16())
        try r.skip(2)
        return KeyExchangePayload(group: group, data: r.readRest())
    }

    func encode(to w: inout ByteWriter) {
        w.u16(group.rawValue)
        w.u16(0)
        w.append(data)
    }
}

/// Identification payload, IDi or IDr (RFC 7296 section 3.5): ID Type (1) | RESERVED (3) | data.
public struct IdentificationPayload: Hashable, Sendable {
    public var idType: IDType
    public var data: [UInt8]

    public init(idType: IDType, data: [UInt8]) {
        self.idType = idType
        self.data = data
    }

    public static func fqdn(_ name: String) -> IdentificationPayload {
        IdentificationPayload(idType: .fqdn, data: Array(name.utf8))
    }

    public static func rfc822(_ address: String) -> IdentificationPayload {
        IdentificationPayload(idType: .rfc822Address, data: Array(address.utf8))
    }

    public static func address(_ address: IPAddress) -> IdentificationPayload {
        IdentificationPayload(idType: address.isIPv4 ? .ipv4Address : .ipv6Address, data: address.bytes)
    }

    /// The address of an ID_IPV4_ADDR / ID_IPV6_ADDR identity with the right data length.
    public var address: IPAddress? {
        switch idType {
        case .ipv4Address where data.count == 4, .ipv6Address where data.count == 16: return IPAddress(bytes: data)
        default: return nil
        }
    }

    /// The payload body as the AUTH computation takes it (RFC 7296 section 2.15, RestOfInitIDPayload /
    /// RestOfRespIDPayload): everything after the generic payload header, reserved bytes as zero.
    public var authenticationOctets: [UInt8] { [idType.rawValue, 0, 0, 0] + data }

    static func decode(_ r: inout ByteReader) throws -> IdentificationPayload {
        let type = IDType(try r.u8())
        try r.skip(3)
        return IdentificationPayload(idType: type, data: r.readRest())
    }

    func encode(to w: inout ByteWriter) {
        w.u8(idType.rawValue)
        w.zeros(3)
        w.append(data)
    }
}

/// Certificate payload (RFC 7296 section 3.6): Cert Encoding (1) | certificate data.
public struct CertificatePayload: Hashable, Sendable {
    public var encoding: CertificateEncoding
    public var data: [UInt8]

    public init(encoding: CertificateEncoding, data: [UInt8]) {
        self.encoding = encoding
        self.data = data
    }

    static func decode(_ r: inout ByteReader) throws -> CertificatePayload {
        CertificatePayload(encoding: CertificateEncoding(try r.u8()), data: r.readRest())
    }

    func encode(to w: inout ByteWriter) {
        w.u8(encoding.rawValue)
        w.append(data)
    }
}

/// Certificate Request payload (RFC 7296 section 3.7): Cert Encoding (1) | certification authority.
/// For X.509 the authority field is a concatenation of 20-byte SHA-1 hashes of trusted CA public keys.
public struct CertificateRequestPayload: Hashable, Sendable {
    public var encoding: CertificateEncoding
    public var authority: [UInt8]

    public init(encoding: CertificateEncoding, authority: [UInt8]) {
        self.encoding = encoding
        self.authority = authority
    }

    static func decode(_ r: inout ByteReader) throws -> CertificateRequestPayload {
        CertificateRequestPayload(encoding: CertificateEncoding(try r.u8()), authority: r.readRest())
    }

    func encode(to w: inout ByteWriter) {
        w.u8(encoding.rawValue)
        w.append(authority)
    }
}

/// Authentication payload (RFC 7296 section 3.8): Auth Method (1) | RESERVED (3) | authentication data.
public struct AuthenticationPayload: Hashable, Sendable {
    public var method: AuthMethod
    public var data: [UInt8]

    public init(method: AuthMethod, data: [UInt8]) {
        self.method = method
        self.data = data
    }

    static func decode(_ r: inout ByteReader) throws -> AuthenticationPayload {
        let method = AuthMethod(try r.u8())
        try r.skip(3)
        return AuthenticationPayload(method: method, data: r.readRest())
    }

    func encode(to w: inout ByteWriter) {
        w.u8(method.rawValue)
        w.zeros(3)
        w.append(data)
    }
}

/// Nonce payload (RFC 7296 section 3.9): the nonce alone, 16 to 256 bytes.
public struct NoncePayload: Hashable, Sendable {
    public static let sizes = 16...256
    public var data: [UInt8]

    public init(data: [UInt8]) { self.data = data }

    static func decode(_ r: inout ByteReader) throws -> NoncePayload {
        let start = r.offset
        let data = r.readRest()
        guard sizes.contains(data.count) else {
            throw IKEWireError(.invalidSyntax, at: start, "nonce of \(data.count) bytes, not 16...256")
        }
        return NoncePayload(data: data)
    }

    func encode(to w: inout ByteWriter) { w.append(data) }
}

/// Vendor ID payload (RFC 7296 section 3.12): opaque.
public struct VendorIDPayload: Hashable, Sendable {
    public var data: [UInt8]

    public init(data: [UInt8]) { self.data = data }

    static func decode(_ r: inout ByteReader) throws -> VendorIDPayload { VendorIDPayload(data: r.readRest()) }

    func encode(to w: inout ByteWriter) { w.append(data) }
}

/// EAP payload (RFC 7296 section 3.16): one EAP message (RFC 3748), opaque to this codec.
public struct EAPPayload: Hashable, Sendable {
    public var message: [UInt8]

    public init(message: [UInt8]) { self.message = message }

    static func decode(_ r: inout ByteReader) throws -> EAPPayload { EAPPayload(message: r.readRest()) }

    func encode(to w: inout ByteWriter) { w.append(message) }
}
