// Encrypted payload (SK, RFC 7296 3.14) and Encrypted Fragment payload (SKF, RFC 7383 2.5)
// protection for one direction of an IKE SA.
//
// Layout of the part this file produces / consumes (everything after the generic payload
// header, or after the SKF's Fragment Number and Total Fragments):
//
//     IV | Encrypted( inner payloads | Padding | Pad Length ) | ICV
//
// AES-GCM-16 (RFC 5282): 8-octet explicit IV, nonce = 4-octet salt (from SK_e*) | IV,
//   AAD = every octet of the message before the IV (IKE header, SK/SKF header and for SKF the
//   fragment fields: RFC 5282 5.1, RFC 7383 2.5), ICV = the 16-octet GCM tag, no padding.
// AES-CBC + HMAC-SHA2 (RFC 7296 3.14): random 16-octet IV, padding to 16 octets, ICV = the
//   truncated HMAC over the whole message from the IKE header to the end of the ciphertext.
//
// IV choice for GCM: a per-SA counter, not random. GCM must never see a (key, nonce) pair twice
// (RFC 5282 3.1 lets the IV come from "a counter or a linear feedback shift register"); a counter
// makes that certain, whereas random 64-bit IVs only make it unlikely (birthday bound 2^32).
// The counter lives in a shared reference so that every copy of an SKCipher value draws from the
// same sequence: copying the value can never replay an IV. Build one SKCipher per direction
// per SA and keep it; two SKCiphers made separately from the same key would repeat IVs.

import Crypto
import _CryptoExtras
import Foundation

public struct SKCipher: Sendable {
    public let encryption: EncryptionAlgorithm
    public let integrity: IntegrityAlgorithm?
    let encryptionKey: SecretBytes   // AES key only
    let salt: SecretBytes            // GCM salt (4 octets); empty for CBC
    let integrityKey: SecretBytes    // empty for GCM
    let ivCounter = IVCounter()

    /// `encryptionKey` is SK_ei or SK_er as derived (for GCM key | salt); `integrityKey` SK_ai/SK_ar
    /// for CBC and nil for GCM.
    public init(encryption: EncryptionAlgorithm, integrity: IntegrityAlgorithm?,
                encryptionKey: SecretBytes, integrityKey: SecretBytes?) throws {
        guard encryption.isAEAD == (integrity == nil) else {
            throw IKECryptoError(.unsupportedAlgorithm, "\(encryption) with integrity \(String(describing: integrity))")
        }
        guard encryptionKey.count == encryption.keyMaterialLength else {
            throw IKECryptoError(.invalidKeyLength, "\(encryption) needs \(encryption.keyMaterialLength) octets")
        }
        if let integrity {
            guard let integrityKey, integrityKey.count == integrity.keyLength else {
                throw IKECryptoError(.invalidKeyLength, "\(integrity) needs a \(integrity.keyLength)-octet key")
            }
            self.integrityKey = integrityKey
        } else {
            self.integrityKey = SecretBytes(copying: [])
        }
        self.encryption = encryption
        self.integrity = integrity
        self.encryptionKey = encryptionKey.slice(0..<encryption.keyLength)
        self.salt = encryptionKey.slice(encryption.keyLength..<encryptionKey.count)
    }

    /// An SA another node sealed with before (HA takeover) must not repeat its GCM IVs, and
    /// how far its counter went is not known here: the IVs go on from a random point in the
    /// upper half of the space, which a counter that started at 1 never reaches, and which
    /// another takeover's random point comes near only with negligible odds (2^62 values).
    public func continueIVsElsewhere() {
        let r = (try? randomBytes(8))?.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } ?? UInt64.random(in: 0...UInt64.max)
        ivCounter.skip(past: (1 << 63) | (r >> 2))
    }

    /// The two directions of an IKE SA: `outbound` seals what we send, `inbound` opens what we
    /// receive. The original initiator sends with SK_ei/SK_ai (RFC 7296 2.14).
    public static func directions(for keys: IKESAKeys, weAreOriginalInitiator: Bool) throws
        -> (outbound: SKCipher, inbound: SKCipher) {
        let suite = keys.suite
        let initiator = try SKCipher(encryption: suite.encryption, integrity: suite.integrity,
                                     encryptionKey: keys.skEi, integrityKey: suite.integrity == nil ? nil : keys.skAi)
        let responder = try SKCipher(encryption: suite.encryption, integrity: suite.integrity,
                                     encryptionKey: keys.skEr, integrityKey: suite.integrity == nil ? nil : keys.skAr)
        return weAreOriginalInitiator ? (initiator, responder) : (responder, initiator)
    }

    var icvLength: Int { integrity?.icvLength ?? encryption.aeadTagLength }

    /// Octets `seal` will return for `plaintextLength` octets of inner payloads. The caller adds
    /// this to the SK/SKF payload length and the IKE header length before encoding the prefix.
    public func sealedLength(plaintextLength: Int) -> Int {
        let block = encryption.paddingBlockSize
        let padded = (plaintextLength + 1 + block - 1) / block * block
        return encryption.ivLength + padded + icvLength
    }

    /// Encrypts and protects `plaintext` (the inner payloads, starting with the payload named by
    /// the SK header's Next Payload). `messagePrefix` is the encoded message up to the IV with its
    /// lengths already final; it is authenticated, not copied into the result. Returns the octets
    /// to append: IV | ciphertext | ICV.
    public func seal(messagePrefix: [UInt8], plaintext: [UInt8]) throws -> [UInt8] {
        let iv: [UInt8]
        if encryption.isAEAD {
            iv = bigEndian(try ivCounter.next())
        } else {
            // RFC 7296 3.14: "The IV MUST be chosen at random and MUST NOT be predictable."
            iv = try randomBytes(encryption.ivLength)
        }
        return try seal(messagePrefix: messagePrefix, plaintext: plaintext, iv: iv)
    }

    /// `seal` with a given IV, for known-answer tests.
    func seal(messagePrefix: [UInt8], plaintext: [UInt8], iv: [UInt8]) throws -> [UInt8] {
        let block = encryption.paddingBlockSize
        let padLength = (block - (plaintext.count + 1) % block) % block
        // RFC 7296 3.14: padding content is the sender's choice; zeros.
        let padded = plaintext + [UInt8](repeating: 0, count: padLength) + [UInt8(padLength)]
        return try sealPadded(messagePrefix: messagePrefix, padded: padded, iv: iv)
    }

    /// Encrypts an already padded plaintext (its last octet is the Pad Length).
    func sealPadded(messagePrefix: [UInt8], padded: [UInt8], iv: [UInt8]) throws -> [UInt8] {
        precondition(iv.count == encryption.ivLength && padded.count % encryption.paddingBlockSize == 0)
        try checkDeclaredLength(messagePrefix, appended: iv.count + padded.count + icvLength)
        let key = SymmetricKey(data: encryptionKey)
        if encryption.isAEAD {
            let nonce = try salt.withUnsafeBytes { try AES.GCM.Nonce(data: Array($0) + iv) }
            let box = try AES.GCM.seal(padded, using: key, nonce: nonce, authenticating: messagePrefix)
            return iv + Array(box.ciphertext) + Array(box.tag)
        }
        let ciphertext = try AES._CBC.encrypt(padded, using: key, iv: AES._CBC.IV(ivBytes: iv), noPadding: true)
        let body = iv + Array(ciphertext)
        let icv = integrity!.icv(key: SymmetricKey(data: integrityKey), [messagePrefix, body])
        return body + icv
    }

    /// Checks and decrypts a received SK/SKF payload. `message` is the whole IKE message (as long as
    /// its header's Length says; the SK/SKF payload is always last, 3.14), `bodyOffset` the index of
    /// the first IV octet. Returns the inner payloads without padding.
    /// Errors: .tooShort, .integrityCheckFailed (drop silently, 2.21.2), .badPadding.
    public func open(message: [UInt8], bodyOffset: Int) throws -> [UInt8] {
        let ivLength = encryption.ivLength
        guard bodyOffset >= 0, bodyOffset <= message.count else {
            throw IKECryptoError(.tooShort, "SK body offset \(bodyOffset) past a \(message.count)-octet message")
        }
        let bodyLength = message.count - bodyOffset
        let ciphertextLength = bodyLength - ivLength - icvLength
        // At least the Pad Length octet (GCM) or one whole block (CBC) must be there.
        guard ciphertextLength >= encryption.paddingBlockSize, ciphertextLength % encryption.paddingBlockSize == 0 else {
            throw IKECryptoError(.tooShort, "SK body of \(bodyLength) octets for \(encryption)")
        }
        let ivStart = bodyOffset, ctStart = bodyOffset + ivLength, icvStart = message.count - icvLength
        let iv = message[ivStart..<ctStart]
        let ciphertext = message[ctStart..<icvStart]
        let icv = message[icvStart...]
        let key = SymmetricKey(data: encryptionKey)

        let decrypted: [UInt8]
        if encryption.isAEAD {
            let box: AES.GCM.SealedBox
            do {
                let nonce = try salt.withUnsafeBytes { try AES.GCM.Nonce(data: Array($0) + iv) }
                box = try AES.GCM.SealedBox(nonce: nonce, ciphertext: ciphertext, tag: icv)
            } catch {
                throw IKECryptoError(.internalFailure, "GCM sealed box")
            }
            do {
                // swift-crypto compares the tag in constant time.
                decrypted = Array(try AES.GCM.open(box, using: key, authenticating: message[..<ivStart]))
            } catch {
                throw IKECryptoError(.integrityCheckFailed, "GCM tag mismatch")
            }
        } else {
            // Encrypt-then-MAC: check the ICV before touching the ciphertext (no padding oracle).
            let expected = integrity!.icv(key: SymmetricKey(data: integrityKey), [Array(message[..<icvStart])])
            guard constantTimeEqual(expected, Array(icv)) else {
                throw IKECryptoError(.integrityCheckFailed, "ICV mismatch")
            }
            do {
                decrypted = Array(try AES._CBC.decrypt(ciphertext, using: key, iv: AES._CBC.IV(ivBytes: iv), noPadding: true))
            } catch {
                throw IKECryptoError(.internalFailure, "CBC decryption")
            }
        }
        // RFC 7296 3.14: Pad Length is the last octet; the padding itself is not checked.
        let padLength = Int(decrypted[decrypted.count - 1])
        guard padLength + 1 <= decrypted.count else {
            throw IKECryptoError(.badPadding, "Pad Length \(padLength) in \(decrypted.count) octets")
        }
        return Array(decrypted[0..<(decrypted.count - 1 - padLength)])
    }

    /// The prefix must start with an IKE header whose Length (octets 24-27) already counts what
    /// seal appends: catching a stale length here beats a peer's silent ICV failure.
    private func checkDeclaredLength(_ prefix: [UInt8], appended: Int) throws {
        guard prefix.count >= 28 else {
            throw IKECryptoError(.tooShort, "message prefix of \(prefix.count) octets has no IKE header")
        }
        let declared = prefix[24..<28].reduce(0) { $0 << 8 | Int($1) }
        guard declared == prefix.count + appended else {
            throw IKECryptoError(.lengthMismatch, "IKE header Length \(declared), message will be \(prefix.count + appended)")
        }
    }
}

/// The GCM IV sequence of one SA direction, shared by all copies of its SKCipher.
final class IVCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value: UInt64 = 0

    /// The next IVs come after `v` (never back).
    func skip(past v: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        value = max(value, v)
    }

    func next() throws -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        guard value < UInt64.max else { throw IKECryptoError(.ivExhausted, "GCM IV counter") }
        value += 1
        return value
    }
}

extension SKCipher: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "SKCipher(\(encryption)\(integrity.map { ", \($0)" } ?? ""), keys: <redacted>)"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["encryption": encryption, "integrity": integrity as Any], displayStyle: .struct)
    }
}
