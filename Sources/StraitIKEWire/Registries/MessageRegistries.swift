// RFC 7296 section 3.1 (exchange types), section 3.2 (payload types) and section 3.3.1 (protocol IDs),
// plus RFC 7383 (SKF).

/// IKEv2 Exchange Types.
public struct ExchangeType: IKERegistryValue {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let ikeSAInit = Self(34)
    public static let ikeAuth = Self(35)
    public static let createChildSA = Self(36)
    public static let informational = Self(37)

    public static let names: [UInt8: String] = [
        34: "IKE_SA_INIT", 35: "IKE_AUTH", 36: "CREATE_CHILD_SA", 37: "INFORMATIONAL",
    ]
}

/// IKEv2 Payload Types (the Next Payload field).
public struct PayloadType: IKERegistryValue {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Ends a payload chain.
    public static let noNextPayload = Self(0)
    public static let securityAssociation = Self(33)
    public static let keyExchange = Self(34)
    public static let identificationInitiator = Self(35)
    public static let identificationResponder = Self(36)
    public static let certificate = Self(37)
    public static let certificateRequest = Self(38)
    public static let authentication = Self(39)
    public static let nonce = Self(40)
    public static let notify = Self(41)
    public static let delete = Self(42)
    public static let vendorID = Self(43)
    public static let trafficSelectorsInitiator = Self(44)
    public static let trafficSelectorsResponder = Self(45)
    public static let encrypted = Self(46)
    public static let configuration = Self(47)
    public static let eap = Self(48)
    /// Encrypted and Authenticated Fragment, RFC 7383.
    public static let encryptedFragment = Self(53)

    public static let names: [UInt8: String] = [
        0: "NONE", 33: "SA", 34: "KE", 35: "IDi", 36: "IDr", 37: "CERT", 38: "CERTREQ", 39: "AUTH", 40: "Ni/Nr",
        41: "N", 42: "D", 43: "V", 44: "TSi", 45: "TSr", 46: "SK", 47: "CP", 48: "EAP", 53: "SKF",
    ]

    /// Whether this codec decodes the payload's body (anything else is kept as `UnknownPayload`, or refused
    /// when critical).
    public var isKnown: Bool { (33...48).contains(rawValue) || rawValue == 53 }
}

/// Security Protocol Identifiers (proposals, Notify, Delete).
public struct ProtocolID: IKERegistryValue {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// "No protocol": Notify payloads about the IKE SA itself carry 0 with an empty SPI.
    public static let noProtocol = Self(0)
    public static let ike = Self(1)
    public static let ah = Self(2)
    public static let esp = Self(3)

    public static let names: [UInt8: String] = [0: "NONE", 1: "IKE", 2: "AH", 3: "ESP"]
}
