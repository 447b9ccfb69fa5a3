// IKE SA and Child SA key derivation (RFC 7296 2.13, 2.14, 2.17, 2.18).

import Foundation

/// The algorithms of an IKE SA proposal that shape its keys.
public struct IKESASuite: Sendable, Hashable {
    public let prf: PRFAlgorithm
    public let encryption: EncryptionAlgorithm
    /// nil exactly when `encryption` is an AEAD (RFC 5282 8: no INTEG transform with GCM).
    public let integrity: IntegrityAlgorithm?

    public init(prf: PRFAlgorithm, encryption: EncryptionAlgorithm, integrity: IntegrityAlgorithm?) throws {
        if encryption.isAEAD != (integrity == nil) {
            throw IKECryptoError(.unsupportedAlgorithm, encryption.isAEAD
                ? "\(encryption) is combined-mode and takes no integrity transform"
                : "\(encryption) needs an integrity transform")
        }
        self.prf = prf
        self.encryption = encryption
        self.integrity = integrity
    }
}

/// The algorithms of an ESP Child SA proposal that shape its keys (same registries as IKE).
public struct ChildSASuite: Sendable, Hashable {
    public let encryption: EncryptionAlgorithm
    public let integrity: IntegrityAlgorithm?

    public init(encryption: EncryptionAlgorithm, integrity: IntegrityAlgorithm?) throws {
        if encryption.isAEAD != (integrity == nil) {
            throw IKECryptoError(.unsupportedAlgorithm, encryption.isAEAD
                ? "\(encryption) is combined-mode and takes no integrity transform"
                : "\(encryption) needs an integrity transform")
        }
        self.encryption = encryption
        self.integrity = integrity
    }
}

/// The seven IKE SA keys of RFC 7296 2.14. "i"/"r" are the original initiator and responder
/// of the IKE SA, not of the exchange: SK_ei protects what the initiator sends.
public struct IKESAKeys: Sendable {
    public let suite: IKESASuite
    /// Derives Child SA keys and the SKEYSEED of a rekeyed IKE SA.
    public let skD: SecretBytes
    /// Integrity keys; empty for an AEAD suite.
    public let skAi: SecretBytes
    public let skAr: SecretBytes
    /// Encryption keys; for GCM the key followed by the 4-octet salt (RFC 5282 7.1).
    public let skEi: SecretBytes
    public let skEr: SecretBytes
    /// Keys for the AUTH payload's MACed ID (2.15).
    public let skPi: SecretBytes
    public let skPr: SecretBytes
}

/// Keys of one direction of an ESP SA.
public struct ESPDirectionKeys: Sendable {
    /// The cipher key; for AES-GCM key | 4-octet salt (20 or 36 octets, RFC 4106 8.1).
    public let encryption: SecretBytes
    /// The integrity key; empty for AES-GCM.
    public let integrity: SecretBytes
}

/// The keys of an ESP Child SA pair (RFC 7296 2.17).
public struct ChildSAKeys: Sendable {
    public let suite: ChildSASuite
    /// For the SA carrying traffic from the exchange's initiator to its responder.
    public let initiatorToResponder: ESPDirectionKeys
    /// For the SA carrying traffic from the exchange's responder to its initiator.
    public let responderToInitiator: ESPDirectionKeys
}

public enum IKEKeyDerivation {
    /// SKEYSEED = prf(Ni | Nr, g^ir) for a new IKE SA from IKE_SA_INIT (RFC 7296 2.14).
    public static func skeyseed(prf: PRFAlgorithm, nonceI: [UInt8], nonceR: [UInt8],
                                sharedSecret: SecretBytes) throws -> SecretBytes {
        try checkNonces(nonceI, nonceR)
        return PRF(prf).compute(key: nonceI + nonceR, sharedSecret)
    }

    /// SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) for an IKE SA rekeyed with
    /// CREATE_CHILD_SA (RFC 7296 2.18). `oldPRF` is the old SA's PRF: "because the rekeying
    /// exchange belongs to the old IKE SA, it is the old IKE SA's PRF that is used".
    public static func rekeyedSkeyseed(oldPRF: PRFAlgorithm, oldSKd: SecretBytes, sharedSecret: SecretBytes,
                                       nonceI: [UInt8], nonceR: [UInt8]) throws -> SecretBytes {
        try checkNonces(nonceI, nonceR)
        return PRF(oldPRF).compute(key: oldSKd, [sharedSecret, nonceI, nonceR])
    }

    /// {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr)
    /// with the (new) SA's PRF (RFC 7296 2.14). SPIs are the 8-octet IKE SPIs, big-endian.
    public static func ikeSAKeys(suite: IKESASuite, skeyseed: SecretBytes, nonceI: [UInt8], nonceR: [UInt8],
                                 spiI: UInt64, spiR: UInt64) throws -> IKESAKeys {
        try checkNonces(nonceI, nonceR)
        let prfKeyLength = suite.prf.preferredKeyLength
        let integLength = suite.integrity?.keyLength ?? 0
        let encrLength = suite.encryption.keyMaterialLength
        let lengths = [prfKeyLength, integLength, integLength, encrLength, encrLength, prfKeyLength, prfKeyLength]
        let keymat = try PRF(suite.prf).plus(key: skeyseed, seed: [nonceI, nonceR, bigEndian(spiI), bigEndian(spiR)],
                                             length: lengths.reduce(0, +))
        let keys = split(keymat, lengths)
        return IKESAKeys(suite: suite, skD: keys[0], skAi: keys[1], skAr: keys[2], skEi: keys[3], skEr: keys[4],
                         skPi: keys[5], skPr: keys[6])
    }

    /// Keys of a new IKE SA from IKE_SA_INIT: SKEYSEED, then the seven keys.
    public static func initialIKESAKeys(suite: IKESASuite, sharedSecret: SecretBytes, nonceI: [UInt8], nonceR: [UInt8],
                                        spiI: UInt64, spiR: UInt64) throws -> IKESAKeys {
        let seed = try skeyseed(prf: suite.prf, nonceI: nonceI, nonceR: nonceR, sharedSecret: sharedSecret)
        return try ikeSAKeys(suite: suite, skeyseed: seed, nonceI: nonceI, nonceR: nonceR, spiI: spiI, spiR: spiR)
    }

    /// Keys of an IKE SA rekeyed by CREATE_CHILD_SA (RFC 7296 2.18): SKEYSEED with the old SA's
    /// SK_d and PRF, the seven keys with the new suite, the exchange's nonces and the new SPIs
    /// (SPIi from the exchange initiator's SA payload, SPIr from the responder's).
    public static func rekeyedIKESAKeys(old: IKESAKeys, newSuite: IKESASuite, sharedSecret: SecretBytes,
                                        nonceI: [UInt8], nonceR: [UInt8], spiI: UInt64, spiR: UInt64) throws -> IKESAKeys {
        let seed = try rekeyedSkeyseed(oldPRF: old.suite.prf, oldSKd: old.skD, sharedSecret: sharedSecret,
                                       nonceI: nonceI, nonceR: nonceR)
        return try ikeSAKeys(suite: newSuite, skeyseed: seed, nonceI: nonceI, nonceR: nonceR, spiI: spiI, spiR: spiR)
    }

    /// KEYMAT = prf+ (SK_d, Ni | Nr), or prf+ (SK_d, g^ir (new) | Ni | Nr) with PFS (RFC 7296 2.17).
    /// Nonces are those of the exchange that creates the Child SA (IKE_SA_INIT's for the first
    /// one). Keys are taken in the RFC's order: initiator-to-responder before responder-to-
    /// initiator and, within a direction, the encryption key before the integrity key.
    public static func childSAKeys(prf: PRFAlgorithm, skD: SecretBytes, suite: ChildSASuite,
                                   sharedSecret: SecretBytes? = nil,
                                   nonceI: [UInt8], nonceR: [UInt8]) throws -> ChildSAKeys {
        try checkNonces(nonceI, nonceR)
        let encrLength = suite.encryption.keyMaterialLength
        let integLength = suite.integrity?.keyLength ?? 0
        var seed: [any ContiguousBytes] = []
        if let sharedSecret { seed.append(sharedSecret) }
        seed.append(nonceI)
        seed.append(nonceR)
        let lengths = [encrLength, integLength, encrLength, integLength]
        let keymat = try PRF(prf).plus(key: skD, seed: seed, length: lengths.reduce(0, +))
        let keys = split(keymat, lengths)
        return ChildSAKeys(suite: suite,
                           initiatorToResponder: ESPDirectionKeys(encryption: keys[0], integrity: keys[1]),
                           responderToInitiator: ESPDirectionKeys(encryption: keys[2], integrity: keys[3]))
    }

    /// RFC 7296 3.9: nonces are 16 to 256 octets. (2.10 also asks for at least half the PRF key
    /// size, which for the HMAC-SHA2 PRFs is at most 32 octets; the protocol layer that picks
    /// our own nonce length enforces that.)
    static func checkNonces(_ nonceI: [UInt8], _ nonceR: [UInt8]) throws {
        for nonce in [nonceI, nonceR] where !(16...256).contains(nonce.count) {
            throw IKECryptoError(.invalidNonceLength, "nonce of \(nonce.count) octets")
        }
    }

    static func split(_ keymat: SecretBytes, _ lengths: [Int]) -> [SecretBytes] {
        var offset = 0
        return lengths.map { length in
            defer { offset += length }
            return keymat.slice(offset..<(offset + length))
        }
    }
}

func bigEndian(_ value: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
}
