// Diffie-Hellman for the KE payload (RFC 7296 2.12, 3.4).
//
// Encodings of the Key Exchange Data and of g^ir:
//   MODP (groups 2, 14):  y = g^x mod p, big-endian, zero-padded to the prime length (3.4);
//                         g^ir likewise padded to the prime length (2.14).
//   ECP (groups 19, 20):  x | y, each padded to the field size, no 0x04 prefix (RFC 5903 7);
//                         g^ir is the x coordinate only (RFC 5903 7).
//   Curve25519 (31):      the 32-octet u coordinate; g^ir the 32-octet X25519 output (RFC 8031 2).
//
// A KeyExchange is single-use: make a fresh one per KE payload (2.12 allows reuse, we don't).

import CIKEBignum
import Crypto
import Foundation

public struct KeyExchange: Sendable {
    // @unchecked: swift-crypto 3.12 does not mark its key types Sendable on Linux, but they are
    // immutable after creation and BoringSSL only reads them during ECDH.
    enum PrivateKey: @unchecked Sendable {
        case modp(exponent: SecretBytes, publicValue: [UInt8])
        case ecp256(P256.KeyAgreement.PrivateKey)
        case ecp384(P384.KeyAgreement.PrivateKey)
        case curve25519(Curve25519.KeyAgreement.PrivateKey)
    }

    public let group: DHGroup
    let privateKey: PrivateKey

    /// MODP private exponent length. RFC 3526 8 puts group 14's strength at 110 to 160 bits;
    /// twice the upper figure is 320 bits, which is also far more than twice group 2's ~80.
    /// A short exponent keeps BN_mod_exp fast without weakening the group (the exponent's
    /// length only has to defeat Pollard's lambda, i.e. twice the strength).
    static let modpExponentLength = 40

    /// A fresh random private value for `group`.
    public init(group: DHGroup) throws {
        switch group {
        case .modp1024, .modp2048:
            var attempt = 0
            while true {
                let exponent = try SecretBytes(randomCount: Self.modpExponentLength)
                do {
                    try self.init(group: group, modpExponent: exponent)
                    return
                } catch let error as IKECryptoError where error.code == .invalidKey && attempt < 8 {
                    attempt += 1 // drew 0 or 1: astronomically unlikely, draw again
                }
            }
        case .ecp256: self.init(group: group, privateKey: .ecp256(P256.KeyAgreement.PrivateKey()))
        case .ecp384: self.init(group: group, privateKey: .ecp384(P384.KeyAgreement.PrivateKey()))
        case .curve25519: self.init(group: group, privateKey: .curve25519(Curve25519.KeyAgreement.PrivateKey()))
        }
    }

    private init(group: DHGroup, privateKey: PrivateKey) {
        self.group = group
        self.privateKey = privateKey
    }

    /// A fixed private value, for known-answer tests: the big-endian MODP exponent, the ECP
    /// scalar (field-size octets), or the X25519 scalar.
    init(group: DHGroup, privateValue: [UInt8]) throws {
        if group == .modp1024 || group == .modp2048 {
            try self.init(group: group, modpExponent: SecretBytes(copying: privateValue))
            return
        }
        let key: PrivateKey
        do {
            switch group {
            case .ecp256: key = .ecp256(try P256.KeyAgreement.PrivateKey(rawRepresentation: privateValue))
            case .ecp384: key = .ecp384(try P384.KeyAgreement.PrivateKey(rawRepresentation: privateValue))
            case .curve25519: key = .curve25519(try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: privateValue))
            case .modp1024, .modp2048: preconditionFailure("handled above")
            }
        } catch {
            throw IKECryptoError(.invalidKey, "private value for group \(group.rawValue) rejected")
        }
        self.init(group: group, privateKey: key)
    }

    private init(group: DHGroup, modpExponent: SecretBytes) throws {
        let length = group.publicValueLength
        var publicValue = [UInt8](repeating: 0, count: length)
        let rc = modpExponent.withUnsafeBytes { exponent in
            ike_modp_public_value(Int32(group.rawValue), exponent.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                  exponent.count, &publicValue, length)
        }
        guard rc == Int32(IKE_BN_OK) else {
            throw rc == Int32(IKE_BN_ERR_PRIVATE)
                ? IKECryptoError(.invalidKey, "MODP exponent is 0 or 1")
                : IKECryptoError(.internalFailure, "MODP public value (code \(rc))")
        }
        self.init(group: group, privateKey: .modp(exponent: modpExponent, publicValue: publicValue))
    }

    /// The Key Exchange Data of our KE payload.
    public var publicValue: [UInt8] {
        switch privateKey {
        case .modp(_, let publicValue): return publicValue
        case .ecp256(let key): return Array(key.publicKey.rawRepresentation)
        case .ecp384(let key): return Array(key.publicKey.rawRepresentation)
        case .curve25519(let key): return Array(key.publicKey.rawRepresentation)
        }
    }

    /// g^ir from the peer's Key Exchange Data, after checking it: exact length, then RFC 6989 2.1
    /// for MODP, on-curve for ECP (RFC 5903), non-zero result for Curve25519 (RFC 8031 2).
    /// The protocol layer decides which notify a failure earns.
    public func sharedSecret(peerPublicValue peer: [UInt8]) throws -> SecretBytes {
        guard peer.count == group.publicValueLength else {
            throw IKECryptoError(.invalidPeerPublicValue,
                                 "group \(group.rawValue) KE data is \(group.publicValueLength) octets, got \(peer.count)")
        }
        switch privateKey {
        case .modp(let exponent, _):
            return try modpSharedSecret(exponent: exponent, peer: peer)
        case .ecp256(let key):
            // init(rawRepresentation:) rebuilds the point from x|y and rejects it unless it is on
            // the curve (RFC 5903 / SP 800-56A full public-key validation; P-256 has cofactor 1).
            guard let peerKey = try? P256.KeyAgreement.PublicKey(rawRepresentation: peer) else {
                throw IKECryptoError(.invalidPeerPublicValue, "not a P-256 point")
            }
            return try agree { try key.sharedSecretFromKeyAgreement(with: peerKey) }
        case .ecp384(let key):
            guard let peerKey = try? P384.KeyAgreement.PublicKey(rawRepresentation: peer) else {
                throw IKECryptoError(.invalidPeerPublicValue, "not a P-384 point")
            }
            return try agree { try key.sharedSecretFromKeyAgreement(with: peerKey) }
        case .curve25519(let key):
            guard let peerKey = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: peer) else {
                throw IKECryptoError(.invalidPeerPublicValue, "not a Curve25519 value")
            }
            let secret = try agree { try key.sharedSecretFromKeyAgreement(with: peerKey) }
            // RFC 8031 2: a low-order peer value yields all zeros; it MUST be rejected.
            // (BoringSSL already refuses; this check does not rely on that.)
            let zero = SecretBytes(count: secret.count) { _ in }
            if secret.constantTimeEquals(zero) {
                throw IKECryptoError(.invalidSharedSecret, "X25519 result is all zero")
            }
            return secret
        }
    }

    private func agree(_ body: () throws -> SharedSecret) throws -> SecretBytes {
        do {
            return SecretBytes(copyingBytesOf: try body())
        } catch {
            // swift-crypto refuses low-order X25519 points and points at infinity.
            throw IKECryptoError(.invalidSharedSecret, "key agreement failed")
        }
    }

    private func modpSharedSecret(exponent: SecretBytes, peer: [UInt8]) throws -> SecretBytes {
        var rc: Int32 = 0
        let secret = SecretBytes(count: group.sharedSecretLength) { out in
            rc = exponent.withUnsafeBytes { x in
                ike_modp_shared_secret(Int32(group.rawValue), x.baseAddress!.assumingMemoryBound(to: UInt8.self), x.count,
                                       peer, peer.count,
                                       out.baseAddress!.assumingMemoryBound(to: UInt8.self), out.count)
            }
        }
        switch rc {
        case Int32(IKE_BN_OK): return secret
        case Int32(IKE_BN_ERR_PEER):
            throw IKECryptoError(.invalidPeerPublicValue, "MODP value not in 1 < y < p-1")
        default:
            throw IKECryptoError(.internalFailure, "MODP shared secret (code \(rc))")
        }
    }
}

extension KeyExchange: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "KeyExchange(group: \(group.rawValue), private: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["group": group], displayStyle: .struct) }
}
