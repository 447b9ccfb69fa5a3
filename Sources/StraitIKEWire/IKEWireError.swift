/// Why a byte string is not a well-formed IKEv2 message (or inner payload chain).
///
/// The protocol layer maps codes to its answer: `badVersion` to INVALID_MAJOR_VERSION,
/// `unsupportedCriticalPayload` to UNSUPPORTED_CRITICAL_PAYLOAD (with the type as notify data),
/// anything else to INVALID_SYNTAX or a silent drop, depending on whether the message was
/// authenticated (RFC 7296 section 2.21).
public struct IKEWireError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: Hashable, Sendable {
        /// The input ends before the structure it announces (short header, header length beyond the input,
        /// a payload chain that names a next payload with no bytes left for it).
        case truncated
        /// A length field disagrees with its enclosure: too small for its fixed part, beyond the enclosing
        /// length, or leaving bytes over.
        case badLength
        /// The header's major version is not 2.
        case badVersion
        /// A payload type this codec does not know, with the critical bit set (RFC 7296 section 2.5).
        case unsupportedCriticalPayload(PayloadType)
        /// More payloads in one chain than `IKEWireLimits.maxPayloads`.
        case tooManyPayloads
        /// More proposals in one SA payload than `IKEWireLimits.maxProposals`.
        case tooManyProposals
        /// More transforms in one proposal than `IKEWireLimits.maxTransforms`.
        case tooManyTransforms
        /// More attributes in one transform or CP payload than the limits allow.
        case tooManyAttributes
        /// The input is longer than `IKEWireLimits.maxMessageSize`.
        case messageTooLarge
        /// Lengths add up but a field holds a value the format forbids (substructure markers, counts that
        /// disagree with the contents, SPI sizes, nonce sizes, SK not last ...).
        case invalidSyntax
    }

    public var code: Code
    /// Byte offset in the decoded input where the problem was found (the start of the offending field
    /// or structure). For inner chains it counts from the start of the plaintext.
    public var offset: Int
    /// A short human-readable reason, for logs only.
    public var reason: String

    public init(_ code: Code, at offset: Int, _ reason: String = "") {
        self.code = code
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        "IKE wire error \(code) at offset \(offset)" + (reason.isEmpty ? "" : ": \(reason)")
    }
}

/// Bounds the decoder enforces so that no input costs more than a small, fixed amount of work and memory.
public enum IKEWireLimits {
    /// Largest message accepted (the IKE header length is 32 bits; UDP gives at most this much).
    public static let maxMessageSize = 65_535
    /// Payloads in one chain (outer message or decrypted SK contents).
    public static let maxPayloads = 64
    /// Proposals in one SA payload.
    public static let maxProposals = 64
    /// Transforms in one proposal (strongSwan's widest default proposal has a few dozen).
    public static let maxTransforms = 128
    /// Attributes in one transform (only Key Length is defined for IKEv2).
    public static let maxTransformAttributes = 16
    /// Attributes in one Configuration payload.
    public static let maxConfigurationAttributes = 256
}
