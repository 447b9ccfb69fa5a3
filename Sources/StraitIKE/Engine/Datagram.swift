import StraitCore

/// An address and UDP port.
public struct IKEEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16
    public init(_ address: IPAddress, _ port: UInt16) {
        self.address = address
        self.port = port
    }
    public var description: String { address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)" }
}

/// One IKE message on the wire. `bytes` is the IKE message itself: the I/O shell strips the
/// 4-byte non-ESP marker from what arrives on a NAT-T port (4500 or the configured one) and
/// adds it to what it sends from one (RFC 3948 2.2).
public struct IKEDatagram: Sendable {
    public var local: IKEEndpoint
    public var remote: IKEEndpoint
    public var bytes: [UInt8]
    /// A NAT keepalive (RFC 3948 2.3): the shell sends the single 0xFF byte as it is, without
    /// the non-ESP marker; `bytes` is empty.
    public var natKeepalive: Bool
    public init(local: IKEEndpoint, remote: IKEEndpoint, bytes: [UInt8], natKeepalive: Bool = false) {
        self.local = local
        self.remote = remote
        self.bytes = bytes
        self.natKeepalive = natKeepalive
    }
}
