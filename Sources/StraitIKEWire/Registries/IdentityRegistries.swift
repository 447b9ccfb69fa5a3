// RFC 7296 sections 3.5 (ID types), 3.6 (certificate encodings) and 3.8 (authentication methods),
// with RFC 4754 (ECDSA) and RFC 7427 (Digital Signature).

/// Identification payload ID Type.
public struct IDType: IKERegistryValue {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let ipv4Address = Self(1)
    public static let fqdn = Self(2)
    public static let rfc822Address = Self(3)
    public static let ipv6Address = Self(5)
    public static let derASN1DN = Self(9)
    public static let derASN1GN = Self(10)
    public static let keyID = Self(11)

    public static let names: [UInt8: String] = [
        1: "ID_IPV4_ADDR", 2: "ID_FQDN", 3: "ID_RFC822_ADDR", 5: "ID_IPV6_ADDR", 9: "ID_DER_ASN1_DN",
        10: "ID_DER_ASN1_GN", 11: "ID_KEY_ID",
    ]
}

/// Certificate Encoding (CERT and CERTREQ payloads).
public struct CertificateEncoding: IKERegistryValue {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let pkcs7WrappedX509 = Self(1)
    /// A DER X.509 certificate; in CERTREQ, concatenated SHA-1 hashes of trusted CAs' public keys.
    public static let x509Signature = Self(4)
    public static let crl = Self(7)
    public static let rawRSAKey = Self(11)
    public static let hashAndURLX509 = Self(12)
    public static let hashAndURLX509Bundle = Self(13)

    public static let names: [UInt8: String] = [
        1: "PKCS7_WRAPPED_X509", 4: "X509_SIGNATURE", 7: "CRL", 11: "RAW_RSA_KEY", 12: "HASH_AND_URL_X509",
        13: "HASH_AND_URL_X509_BUNDLE",
    ]
}

/// Authentication Method (AUTH payload).
public struct AuthMethod: IKERegistryValue {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// RSA PKCS#1 v1.5 with SHA-1.
    public static let rsaDigitalSignature = Self(1)
    public static let sharedKeyMIC = Self(2)
    public static let dssDigitalSignature = Self(3)
    public static let ecdsaSHA256P256 = Self(9)
    public static let ecdsaSHA384P384 = Self(10)
    public static let ecdsaSHA512P521 = Self(11)
    public static let nullAuthentication = Self(13)
    /// RFC 7427: the AUTH data starts with an AlgorithmIdentifier naming hash and signature scheme.
    public static let digitalSignature = Self(14)

    public static let names: [UInt8: String] = [
        1: "RSA_SIG", 2: "PSK", 3: "DSS_SIG", 9: "ECDSA_256", 10: "ECDSA_384", 11: "ECDSA_521", 13: "NULL",
        14: "DIGITAL_SIGNATURE",
    ]
}
