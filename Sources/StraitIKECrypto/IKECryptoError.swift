// Errors of the IKEv2 crypto layer: one struct with a code the protocol layer can switch on
// (to pick a notify: INVALID_KE_PAYLOAD, AUTHENTICATION_FAILED, INVALID_SYNTAX...) and a short
// human-readable detail that never contains key material.

public struct IKECryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// An SK/SKF payload's ICV or AEAD tag did not verify (RFC 7296 3.14). Drop the message.
        case integrityCheckFailed
        /// After decryption the Pad Length byte points before the start of the plaintext.
        case badPadding
        /// The encrypted payload is shorter than IV + ICV (+ one block for CBC), or not block aligned.
        case tooShort
        /// The message prefix given to SK sealing declares a length that does not match.
        case lengthMismatch
        /// A peer's KE value is malformed or outside the group (RFC 7296 2.12, RFC 5903, RFC 8031).
        case invalidPeerPublicValue
        /// The Diffie-Hellman result is unusable (X25519 all-zero output, RFC 8031 section 2).
        case invalidSharedSecret
        /// A key has the wrong length for its algorithm.
        case invalidKeyLength
        /// A nonce is outside 16...256 octets (RFC 7296 2.10, 3.9).
        case invalidNonceLength
        /// An algorithm combination that this layer does not implement or that makes no sense
        /// (an AEAD with an integrity transform, a CBC cipher without one, a 192-bit key...).
        case unsupportedAlgorithm
        /// prf+ asked for more than 255 blocks (RFC 7296 2.13).
        case keyMaterialTooLong
        /// An argument is malformed (an IP address that is not 4 or 16 octets...).
        case invalidInput
        /// A PEM or DER key could not be loaded.
        case invalidKey
        /// A signature could not be produced.
        case signingFailed
        /// An AUTH payload's signature (or its RFC 7427 AlgorithmIdentifier) is malformed.
        case malformedSignature
        /// The IV counter of an SA is exhausted (never in practice: 2^64 messages).
        case ivExhausted
        /// The system random generator failed.
        case randomFailure
        /// OpenSSL or swift-crypto failed for a reason that is not the peer's fault.
        case internalFailure
    }

    public var code: Code
    public var detail: String

    public init(_ code: Code, _ detail: String = "") {
        self.code = code
        self.detail = detail
    }

    public var description: String { detail.isEmpty ? code.rawValue : "\(code.rawValue): \(detail)" }
}
