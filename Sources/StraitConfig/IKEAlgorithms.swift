/// The IKEv2 transforms (RFC 7296 3.3.2, IANA "IKEv2 Parameters") that `ike` proposals may
/// name, with strongSwan's keywords. Encryption algorithms are told apart by key length as
/// well as by transform ID, so their raw value is the keyword; the others' raw values are
/// their IANA transform IDs.

/// Transform type 1, encryption.
public enum IKEEncryptionAlgorithm: String, Sendable, CaseIterable, CustomStringConvertible {
    /// AES-GCM with a 16-byte ICV (RFC 4106, RFC 5282), 128-bit key.
    case aes128GCM16 = "aes128gcm16"
    case aes256GCM16 = "aes256gcm16"
    /// AES-CBC (RFC 3602), 128-bit key; needs an integrity algorithm.
    case aes128CBC = "aes128"
    case aes256CBC = "aes256"

    /// The IANA transform ID: 20 (ENCR_AES_GCM_16) or 12 (ENCR_AES_CBC).
    public var transformID: UInt16 { isAEAD ? 20 : 12 }

    /// The Key Length attribute: 128 or 256.
    public var keyBits: Int {
        switch self {
        case .aes128GCM16, .aes128CBC: return 128
        case .aes256GCM16, .aes256CBC: return 256
        }
    }

    /// AEAD ciphers carry their own integrity check and take no integrity transform.
    public var isAEAD: Bool { self == .aes128GCM16 || self == .aes256GCM16 }

    /// The fast path's ESP algorithm for this cipher (AES-GCM only), nil for CBC.
    public var espAlgorithm: SAAlgorithm? {
        switch self {
        case .aes128GCM16: return .aes128gcm16
        case .aes256GCM16: return .aes256gcm16
        case .aes128CBC, .aes256CBC: return nil
        }
    }

    /// The canonical keyword.
    public var description: String { rawValue }

    static let keywords: [String: Self] = [
        "aes128gcm16": .aes128GCM16, "aes128gcm": .aes128GCM16, "aes256gcm16": .aes256GCM16, "aes256gcm": .aes256GCM16,
        "aes128": .aes128CBC, "aes256": .aes256CBC,
    ]
}

/// Transform type 3, integrity: HMAC-SHA-2 truncated to half its length (RFC 4868).
public enum IKEIntegrityAlgorithm: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    case hmacSHA256_128 = 12
    case hmacSHA384_192 = 13
    case hmacSHA512_256 = 14

    /// `sha256`, `sha384`, `sha512`.
    public var description: String {
        switch self {
        case .hmacSHA256_128: return "sha256"
        case .hmacSHA384_192: return "sha384"
        case .hmacSHA512_256: return "sha512"
        }
    }

    /// The PRF strongSwan pairs with this integrity algorithm when a proposal names none.
    public var matchingPRF: IKEPRFAlgorithm {
        switch self {
        case .hmacSHA256_128: return .hmacSHA256
        case .hmacSHA384_192: return .hmacSHA384
        case .hmacSHA512_256: return .hmacSHA512
        }
    }

    static let keywords: [String: Self] = [
        "sha256": .hmacSHA256_128, "sha2_256": .hmacSHA256_128, "sha384": .hmacSHA384_192, "sha2_384": .hmacSHA384_192,
        "sha512": .hmacSHA512_256, "sha2_512": .hmacSHA512_256,
    ]
}

/// Transform type 2, pseudorandom function (RFC 4868).
public enum IKEPRFAlgorithm: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    case hmacSHA256 = 5
    case hmacSHA384 = 6
    case hmacSHA512 = 7

    /// `prfsha256`, `prfsha384`, `prfsha512`.
    public var description: String {
        switch self {
        case .hmacSHA256: return "prfsha256"
        case .hmacSHA384: return "prfsha384"
        case .hmacSHA512: return "prfsha512"
        }
    }

    static let keywords: [String: Self] = ["prfsha256": .hmacSHA256, "prfsha384": .hmacSHA384, "prfsha512": .hmacSHA512]
}

/// Transform type 4, key exchange (Diffie-Hellman group).
public enum IKEDHGroup: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    /// 1024-bit MODP (RFC 2409): weak, accepted only with `allow-modp1024: true`.
    case modp1024 = 2
    /// 2048-bit MODP (RFC 3526).
    case modp2048 = 14
    /// NIST P-256 and P-384 (RFC 5903).
    case ecp256 = 19
    case ecp384 = 20
    /// Curve25519 (RFC 8031).
    case curve25519 = 31

    /// `modp1024`, `modp2048`, `ecp256`, `ecp384`, `x25519`.
    public var description: String {
        switch self {
        case .modp1024: return "modp1024"
        case .modp2048: return "modp2048"
        case .ecp256: return "ecp256"
        case .ecp384: return "ecp384"
        case .curve25519: return "x25519"
        }
    }

    /// RFC 8247 says SHOULD NOT.
    public var isWeak: Bool { self == .modp1024 }

    static let keywords: [String: Self] = [
        "modp1024": .modp1024, "modp2048": .modp2048, "ecp256": .ecp256, "ecp384": .ecp384,
        "x25519": .curve25519, "curve25519": .curve25519,
    ]
}

/// Transform type 5, extended sequence numbers (ESP only).
public enum ESNMode: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    case noESN = 0
    case esn = 1

    /// `noesn`, `esn`.
    public var description: String { self == .esn ? "esn" : "noesn" }

    static let keywords: [String: Self] = ["esn": .esn, "noesn": .noESN]
}

/// Every keyword a proposal may hold, for suggestions.
enum ProposalKeywords {
    static let all: [String] = (Array(IKEEncryptionAlgorithm.keywords.keys) + Array(IKEIntegrityAlgorithm.keywords.keys)
        + Array(IKEPRFAlgorithm.keywords.keys) + Array(IKEDHGroup.keywords.keys) + Array(ESNMode.keywords.keys)).sorted()

    /// Lists for messages: the canonical names of each kind.
    static let prfs = IKEPRFAlgorithm.allCases.map(\.description).joined(separator: ", ")
    static let integrities = IKEIntegrityAlgorithm.allCases.map(\.description).joined(separator: ", ")
    static let strongGroups = IKEDHGroup.allCases.filter { !$0.isWeak }.map(\.description).joined(separator: ", ")
}
