import StraitCore

/// What happened to IKE and CHILD SAs, published for whoever listens (HA sync, metrics, logs)
/// so that protocol code never calls them (charon's bus).
public enum IKEEvent: Sendable {
    case ikeSAEstablished(IKESAReport)
    case ikeSARekeyed(old: UInt64, new: IKESAReport)
    case ikeSADeleted(id: UInt64, reason: String)
    case childSAInstalled(ikeSA: UInt64, child: ChildSAReport)
    case childSARemoved(ikeSA: UInt64, inboundSPI: UInt32, outboundSPI: UInt32, reason: String)
    /// The IKE SA and its CHILD SAs moved to other addresses or ports (`reason`: a MOBIKE
    /// UPDATE_SA_ADDRESSES, or a NAT rebinding seen on an authenticated request), or switched
    /// UDP encapsulation on or off; `natLocal`/`natRemote` as NAT detection now says.
    case ikeSAAddressesChanged(ikeSA: UInt64, local: IKEEndpoint, remote: IKEEndpoint, natLocal: Bool, natRemote: Bool,
                               reason: IKEAddressChange)
    /// Message IDs moved (HA keeps the standby's window in step).
    case messageIDs(ikeSA: UInt64, nextInitiatorRequest: UInt32, nextExpectedRequest: UInt32)
}

/// Why an IKE SA's addresses changed.
public enum IKEAddressChange: String, Sendable {
    /// The peer said so (RFC 4555 UPDATE_SA_ADDRESSES).
    case mobike
    /// A request from a new address or port with a NAT on the path (RFC 7296 2.23).
    case nat
}

/// Subscribers are called synchronously on the engine's thread, in subscription order; a
/// subscriber that needs to do I/O hands the event to its own queue.
public final class IKEEventBus: @unchecked Sendable {
    private var subscribers: [(IKEEvent) -> Void] = []
    public init() {}
    public func subscribe(_ handler: @escaping (IKEEvent) -> Void) { subscribers.append(handler) }
    func publish(_ event: IKEEvent) { for s in subscribers { s(event) } }
}
