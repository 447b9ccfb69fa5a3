// RFC 7296 section 3.3.2 and the IANA "Internet Key Exchange Version 2 (IKEv2) Parameters" registries
// for transform IDs. A transform ID is a 16-bit number whose meaning depends on the transform type, so
// each type has its own struct; `Transform` stores the raw ID and offers typed views.

/// Transform Type.
public struct TransformType: IKERegistryValue {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let encryption = Self(1)
    public static let prf = Self(2)
    public static let integrity = Self(3)
    /// "Diffie-Hellman Group" in RFC 7296, renamed "Key Exchange Method" by RFC 9370.
    public static let keyExchange = Self(4)
    public static let extendedSequenceNumbers = Self(5)

    public static let names: [UInt8: String] = [1: "ENCR", 2: "PRF", 3: "INTEG", 4: "KE", 5: "ESN"]
}

/// Transform Type 1 IDs.
public struct EncryptionAlgorithm: IKERegistryValue {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let null = Self(11)
    public static let aesCBC = Self(12)
    public static let aesCTR = Self(13)
    public static let aesGCM8 = Self(18)
    public static let aesGCM12 = Self(19)
    public static let aesGCM16 = Self(20)
    public static let chacha20Poly1305 = Self(28)

    public static let names: [UInt16: String] = [
        11: "ENCR_NULL", 12: "ENCR_AES_CBC", 13: "ENCR_AES_CTR", 18: "ENCR_AES_GCM_8", 19: "ENCR_AES_GCM_12",
        20: "ENCR_AES_GCM_16", 28: "ENCR_CHACHA20_POLY1305",
    ]

    /// AEAD ciphers need no integrity transform in the same proposal (RFC 5282).
    public var isAEAD: Bool { [18, 19, 20, 28].contains(rawValue) }
}

/// Transform Type 2 IDs.
public struct PseudorandomFunction: IKERegistryValue {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let hmacSHA1 = Self(2)
    public static let hmacSHA2_256 = Self(5)
    public static let hmacSHA2_384 = Self(6)
    public static let hmacSHA2_512 = Self(7)

    public static let names: [UInt16: String] = [
        1: "PRF_HMAC_MD5", 2: "PRF_HMAC_SHA1", 4: "PRF_AES128_XCBC", 5: "PRF_HMAC_SHA2_256",
        6: "PRF_HMAC_SHA2_384", 7: "PRF_HMAC_SHA2_512", 8: "PRF_AES128_CMAC",
    ]
}

/// Transform Type 3 IDs.
public struct IntegrityAlgorithm: IKERegistryValue {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let none = Self(0)
    public static let hmacSHA1_96 = Self(2)
    public static let hmacSHA2_256_128 = Self(12)
    public static let hmacSHA2_384_192 = Self(13)
    public static let hmacSHA2_512_256 = Self(14)

    public static let names: [UInt16: String] = [
        0: "NONE", 1: "AUTH_HMAC_MD5_96", 2: "AUTH_HMAC_SHA1_96", 5: "AUTH_AES_XCBC_96", 8: "AUTH_AES_CMAC_96",
        12: "AUTH_HMAC_SHA2_256_128", 13: "AUTH_HMAC_SHA2_384_192", 14: "AUTH_HMAC_SHA2_512_256",
    ]
}

/// Transform Type 4 IDs: Diffie-Hellman groups (Key Exchange Methods). Also the group field of the KE payload.
public struct KeyExchangeMethod: IKERegistryValue {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let none = Self(0)
    /// 1024-bit MODP (RFC 2409).
    public static let modp1024 = Self(2)
    /// 2048-bit MODP (RFC 3526).
    public static let modp2048 = Self(14)
    /// NIST P-256 (RFC 5903).
    public static let ecp256 = Self(19)
    /// NIST P-384 (RFC 5903).
    public static let ecp384 = Self(20)
    /// Curve25519 (RFC 8031).
    public static let curve25519 = Self(31)

    public static let names: [UInt16: String] = [
        0: "NONE", 1: "MODP_768", 2: "MODP_1024", 5: "MODP_1536", 14: "MODP_2048", 15: "MODP_3072",
        16: "MODP_4096", 17: "MODP_6144", 18: "MODP_8192", 19: "ECP_256", 20: "ECP_384", 21: "ECP_521",
        31: "CURVE25519", 32: "CURVE448",
    ]
}

/// Transform Type 5 IDs.
public struct ExtendedSequenceNumbers: IKERegistryValue {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let noESN = Self(0)
    public static let esn = Self(1)

    public static let names: [UInt16: String] = [0: "NO_ESN", 1: "ESN"]
}

/// Transform Attribute Types (15 bits; the top bit of the field is the AF format flag).
public struct TransformAttributeType: IKERegistryValue {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Key length in bits, TV format (RFC 7296 section 3.3.5).
    public static let keyLength = Self(14)

    public static let names: [UInt16: String] = [14: "KEY_LENGTH"]
}
