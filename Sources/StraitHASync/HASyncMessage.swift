/// One message on the sync link. The first two (hello, handshakeConfirm) make the session;
/// every other one travels only inside an authenticated record (HASession).
public enum HASyncMessage: Equatable, Sendable {
    /// Opens a session: who we are, and our fresh nonce (the keys depend on both nonces).
    case hello(HAHello)
    /// Proves the sender derived the same keys: SHA-256 of both hellos, sealed in the first record.
    case handshakeConfirm(transcript: [UInt8])
    case heartbeat(HAHeartbeat)
    case ikeSAUpsert(HAIKESAState)
    case ikeSADelete(id: UInt64, version: UInt64)
    case childSAUpsert(HAChildSAState)
    case childSADelete(ikeSA: UInt64, child: HAChildKey, version: UInt64)
    case seqState([HASeqState])
    /// The standby asks for everything again (it joined, restarted, or lost messages).
    case bulkResyncRequest(reason: HAResyncReason)
    /// A full dump follows; what the standby holds and the dump does not refresh is gone at bulkEnd.
    case bulkBegin(generation: UInt64, ikeSAs: UInt32, childSAs: UInt32)
    case bulkEnd(generation: UInt64)

    /// The type byte in the header.
    public var type: HAMessageType {
        switch self {
        case .hello: return .hello
        case .handshakeConfirm: return .handshakeConfirm
        case .heartbeat: return .heartbeat
        case .ikeSAUpsert: return .ikeSAUpsert
        case .ikeSADelete: return .ikeSADelete
        case .childSAUpsert: return .childSAUpsert
        case .childSADelete: return .childSADelete
        case .seqState: return .seqState
        case .bulkResyncRequest: return .bulkResyncRequest
        case .bulkBegin: return .bulkBegin
        case .bulkEnd: return .bulkEnd
        }
    }
}

public enum HAMessageType: UInt8, Sendable {
    case hello = 1, handshakeConfirm = 2, heartbeat = 3
    case ikeSAUpsert = 10, ikeSADelete = 11, childSAUpsert = 12, childSADelete = 13, seqState = 14
    case bulkResyncRequest = 20, bulkBegin = 21, bulkEnd = 22
}

public enum HAResyncReason: UInt8, Sendable {
    case startup = 1, reconnect = 2, overflow = 3, operatorRequest = 4
}

public struct HAHello: Equatable, Sendable {
    public var nodeID: UInt32
    public var role: HANodeRole
    public var nonce: [UInt8]
    public init(nodeID: UInt32, role: HANodeRole, nonce: [UInt8]) {
        self.nodeID = nodeID
        self.role = role
        self.nonce = nonce
    }
}

public struct HAHeartbeat: Equatable, Sendable {
    public var nodeID: UInt32
    public var role: HANodeRole
    public var sequence: UInt64
    public var ikeSAs: UInt32
    public var childSAs: UInt32
    /// The sender lost messages (queue overflow) and wants / will send a bulk resync.
    public var needsResync: Bool
    /// The sender's VRRP group priority (split-brain tie-break); 0: not reported (an older
    /// node leaves the byte out).
    public var vrrpPriority: UInt8
    public init(nodeID: UInt32, role: HANodeRole, sequence: UInt64, ikeSAs: UInt32, childSAs: UInt32, needsResync: Bool = false,
                vrrpPriority: UInt8 = 0) {
        self.vrrpPriority = vrrpPriority
        self.nodeID = nodeID
        self.role = role
        self.sequence = sequence
        self.ikeSAs = ikeSAs
        self.childSAs = childSAs
        self.needsResync = needsResync
    }
}
