// IKEv2 transform identifiers (IANA "Internet Key Exchange Version 2 (IKEv2) Parameters",
// Transform Types 1-4). Raw values are the IANA IDs so the protocol layer maps SA payload
// transforms 1:1 without depending on this target's names; StraitIKEWire keeps its own registry.

/// Transform Type 1 (ENCR). The key length comes from the Key Length attribute (RFC 7296 3.3.5).
public enum EncryptionTransformID: UInt16, Sendable, Hashable, CaseIterable {
    /// ENCR_AES_CBC (RFC 3602, RFC 7296).
    case aesCBC = 12
    /// ENCR_AES_GCM_16: AES-GCM with a 16-octet ICV (RFC 4106 for ESP, RFC 5282 for IKE).
    case aesGCM16 = 20
}

/// An encryption transform together with its key length; the unit both proposals and keys use.
public struct EncryptionAlgorithm: Sendable, Hashable, CustomStringConvertible {
    public let id: EncryptionTransformID
    /// The Key Length attribute in bits: 128 or 256 (192 is not offered by this implementation).
    public let keyLengthBits: Int

    public init(_ id: EncryptionTransformID, keyLengthBits: Int) throws {
        guard keyLengthBits == 128 || keyLengthBits == 256 else {
            throw IKECryptoError(.unsupportedAlgorithm, "\(id) with a \(keyLengthBits)-bit key")
        }
        self.id = id
        self.keyLengthBits = keyLengthBits
    }

    private init(unchecked id: EncryptionTransformID, _ bits: Int) {
        self.id = id
        self.keyLengthBits = bits
    }

    public static let aesGCM16_128 = EncryptionAlgorithm(unchecked: .aesGCM16, 128)
    public static let aesGCM16_256 = EncryptionAlgorithm(unchecked: .aesGCM16, 256)
    public static let aesCBC_128 = EncryptionAlgorithm(unchecked: .aesCBC, 128)
    public static let aesCBC_256 = EncryptionAlgorithm(unchecked: .aesCBC, 256)

    /// Combined-mode ciphers carry their own integrity: no INTEG transform, no SK_a* keys.
    public var isAEAD: Bool { id == .aesGCM16 }

    /// Octets of the AES key proper.
    public var keyLength: Int { keyLengthBits / 8 }

    /// Octets taken from prf+ for this cipher: the key, plus for GCM the 4-octet salt that is
    /// the implicit nonce prefix (RFC 5282 section 7.1 for SK_e*, RFC 4106 section 8.1 for ESP).
    public var keyMaterialLength: Int { isAEAD ? keyLength + 4 : keyLength }

    /// Octets of the explicit IV in the SK payload: 8 for GCM (RFC 5282 3.1), one AES block for CBC.
    public var ivLength: Int { isAEAD ? 8 : 16 }

    /// The AEAD tag length for GCM-16; 0 for CBC (its ICV comes from the integrity transform).
    public var aeadTagLength: Int { isAEAD ? 16 : 0 }

    /// The block size padding aligns to. GCM is a counter mode: RFC 5282 3 lets padding be any
    /// length, so we align to 1 (send Pad Length 0); CBC needs whole AES blocks.
    public var paddingBlockSize: Int { isAEAD ? 1 : 16 }

    public var description: String {
        switch id {
        case .aesCBC: return "AES-CBC-\(keyLengthBits)"
        case .aesGCM16: return "AES-GCM-16-\(keyLengthBits)"
        }
    }
}

/// Transform Type 3 (INTEG), the truncated HMAC-SHA2 family of RFC 4868.
public enum IntegrityAlgorithm: UInt16, Sendable, Hashable, CaseIterable {
    case hmacSHA2_256_128 = 12
    case hmacSHA2_384_192 = 13
    case hmacSHA2_512_256 = 14

    /// RFC 4868 2.1.1: the key is as long as the hash output.
    public var keyLength: Int {
        switch self {
        case .hmacSHA2_256_128: return 32
        case .hmacSHA2_384_192: return 48
        case .hmacSHA2_512_256: return 64
        }
    }

    /// RFC 4868 2.3: the ICV is the HMAC truncated to half its length.
    public var icvLength: Int { keyLength / 2 }
}

/// Transform Type 2 (PRF), HMAC-SHA2 (RFC 4868).
public enum PRFAlgorithm: UInt16, Sendable, Hashable, CaseIterable {
    case hmacSHA2_256 = 5
    case hmacSHA2_384 = 6
    case hmacSHA2_512 = 7

    /// Octets of one prf output.
    public var outputLength: Int {
        switch self {
        case .hmacSHA2_256: return 32
        case .hmacSHA2_384: return 48
        case .hmacSHA2_512: return 64
        }
    }

    /// RFC 7296 2.14: SK_d, SK_pi and SK_pr are "the preferred key length of the PRF";
    /// RFC 4868 2.1.2 sets that to the output length for the HMAC-SHA2 PRFs.
    public var preferredKeyLength: Int { outputLength }
}

/// Transform Type 4 (D-H / Key Exchange Method).
public enum DHGroup: UInt16, Sendable, Hashable, CaseIterable {
    /// 1024-bit MODP (RFC 2409 6.2). Weak; kept for interoperability with old peers only.
    case modp1024 = 2
    /// 2048-bit MODP (RFC 3526 3).
    case modp2048 = 14
    /// 256-bit random ECP group, NIST P-256 (RFC 5903).
    case ecp256 = 19
    /// 384-bit random ECP group, NIST P-384 (RFC 5903).
    case ecp384 = 20
    /// Curve25519 (RFC 8031).
    case curve25519 = 31

    /// Octets of the Key Exchange Data in a KE payload (RFC 7296 3.4, RFC 5903 7, RFC 8031 2).
    public var publicValueLength: Int {
        switch self {
        case .modp1024: return 128
        case .modp2048: return 256
        case .ecp256: return 64
        case .ecp384: return 96
        case .curve25519: return 32
        }
    }

    /// Octets of g^ir as it enters SKEYSEED / KEYMAT.
    public var sharedSecretLength: Int {
        switch self {
        case .modp1024: return 128
        case .modp2048: return 256
        case .ecp256: return 32
        case .ecp384: return 48
        case .curve25519: return 32
        }
    }
}

/// AUTH payload Auth Method (RFC 7296 3.8, RFC 4754, RFC 7427). Method 1 (RSA with an
/// unnegotiated SHA-1) is left out on purpose: RSA goes through method 14 with SHA-2.
public enum AuthMethod: UInt8, Sendable, Hashable, CaseIterable {
    case sharedKeyMIC = 2
    /// ECDSA with SHA-256 on P-256, signature as raw r|s (RFC 4754 7).
    case ecdsaSHA256P256 = 9
    /// ECDSA with SHA-384 on P-384, signature as raw r|s (RFC 4754 7).
    case ecdsaSHA384P384 = 10
    /// Digital Signature (RFC 7427): AlgorithmIdentifier then the signature.
    case digitalSignature = 14
}
