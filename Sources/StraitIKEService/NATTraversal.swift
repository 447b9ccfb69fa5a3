/// IKE on a NAT-T port (RFC 3948 2.2, RFC 7296 2.23): the port is shared with ESP in UDP, so
/// an IKE message there follows a four-zero-byte non-ESP marker; a one-byte 0xFF datagram is
/// a NAT keepalive. Port 500 carries IKE messages as they are.
public enum NATTraversalFraming {
    /// The non-ESP marker.
    public static let marker: [UInt8] = [0, 0, 0, 0]
    /// A NAT keepalive's only byte (RFC 3948 2.3).
    public static let keepalive: UInt8 = 0xFF

    /// What a datagram that arrived on a port is.
    public enum Inbound: Equatable, Sendable {
        /// An IKE message (the marker taken off on a NAT-T port).
        case ike([UInt8])
        /// A NAT keepalive: nothing to do.
        case keepalive
        /// Non-zero where the marker must be: ESP in UDP, which the fast path handles and
        /// which should never reach the kernel's socket.
        case esp
        /// Too short to hold the marker (and not a keepalive), or empty.
        case short
    }

    /// Classifies `bytes` received on a port with (`natT`) or without the marker.
    public static func decode(_ bytes: [UInt8], natT: Bool) -> Inbound {
        guard natT else { return bytes.isEmpty ? .short : .ike(bytes) }
        if bytes.count == 1 && bytes[0] == keepalive { return .keepalive }
        guard bytes.count >= 4 else { return .short }
        guard bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0 && bytes[3] == 0 else { return .esp }
        return .ike(Array(bytes[4...]))
    }

    /// The datagram to send for IKE message `bytes` from a port with or without the marker.
    public static func encode(_ bytes: [UInt8], natT: Bool) -> [UInt8] {
        natT ? marker + bytes : bytes
    }
}
