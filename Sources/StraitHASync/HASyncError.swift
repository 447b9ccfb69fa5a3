/// Why the HA sync refused something. A struct with a code (not an enum) so codes can be added
/// without breaking callers; `detail` never holds key material.
public struct HASyncError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The input ended inside a header or field.
        case truncated
        /// A message type this version does not know.
        case unknownType
        /// A length field disagrees with the data (or bytes were left over).
        case badLength
        /// A message, field or list larger than the limits allow.
        case tooBig
        /// The header's magic or version is not ours.
        case badVersion
        /// A field holds a value it may not hold (an address family, a role, a flag).
        case badValue
        /// A record's authentication tag did not verify (wrong key or tampering).
        case badTag
        /// A record's counter is not the next one expected (replayed, reordered or dropped).
        case replay
        /// The handshake failed: unexpected message, same node id, transcript mismatch.
        case handshake
        /// Sending or receiving records before the handshake finished.
        case notEstablished
        /// The per-direction record counter would wrap: the session must be redone.
        case counterExhausted
        /// The configured key is not 32 bytes.
        case badKey
    }
    public let code: Code
    public let detail: String
    public init(_ code: Code, _ detail: String = "") {
        self.code = code
        self.detail = detail
    }
    public var description: String { detail.isEmpty ? "ha-sync: \(code.rawValue)" : "ha-sync: \(code.rawValue): \(detail)" }
    public static func == (a: HASyncError, b: HASyncError) -> Bool { a.code == b.code }
}
