import StraitCore

/// What happened to IKE and CHILD SAs, published for whoever listens (HA sync, metrics, logs)
/// so that protocol code never calls them (charon's bus).
public enum IKEEvent: Sendable {
    case ikeSAEstablished(IKESAReport)
    case ikeSARekeyed(old: UInt64, new: IKESAReport)
    case ikeSADeleted(id: UInt64, reason: String)
    case childSAInstalled(ikeSA: UInt64, child: ChildSAReport)
    case childSARemoved(ikeSA: UInt64, inboundSPI: UInt32, outboundSPI: UInt32, reason: String)
    /// Message IDs moved (HA keeps the standby's window in step).
    case messageIDs(ikeSA: UInt64, nextInitiatorRequest: UInt32, nextExpectedRequest: UInt32)
}

/// Subscribers are called synchronously on the engine's thread, in subscription order; a
/// subscriber that needs to do I/O hands the event to its own queue.
public final class IKEEventBus: @unchecked Sendable {
    private var subscribers: [(IKEEvent) -> Void] = []
    public init() {}
    public func subscribe(_ handler: @escaping (IKEEvent) -> Void) { subscribers.append(handler) }
    func publish(_ event: IKEEvent) { for s in subscribers { s(event) } }
}
