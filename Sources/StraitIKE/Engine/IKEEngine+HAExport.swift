import StraitCore
import StraitIKECrypto

/// What HA sync needs from an established IKE SA to let the standby continue it (issue 5):
/// the engine keeps IKESA internal, so the daemon's HA wiring reads this snapshot and maps it
/// to StraitHASync's HAIKESAState. Keys stay in SecretBytes (they never print).
///
/// CHILD SA keys are not kept by the engine (they go to the data plane once): the wiring gets
/// them from the `ChildSAInstall` it sees on its way to the fast path.
public struct IKESAHAExport: Sendable {
    public var id: UInt64
    public var vpn: String
    public var initiator: Bool
    public var spiI: UInt64
    public var spiR: UInt64
    public var local: IKEEndpoint
    public var remote: IKEEndpoint
    public var natLocal: Bool
    public var natRemote: Bool
    public var fragmentation: Bool
    public var mobike: Bool
    /// ID payloads as IANA ID type and data; nil before IKE_AUTH.
    public var localID: (type: UInt8, data: [UInt8])?
    public var remoteID: (type: UInt8, data: [UInt8])?
    /// IANA transform ids (RFC 7296 3.3.2); integrity nil for an AEAD.
    public var encryption: UInt16
    public var encryptionKeyBits: Int
    public var integrity: UInt16?
    public var prf: UInt16
    public var dhGroup: UInt16
    public var keys: IKESAKeys
    public var nextRequestID: UInt32
    public var nextExpectedRequest: UInt32
    public var lastResponse: (messageID: UInt32, datagrams: [[UInt8]])?
    /// Deadlines from `now` (nil: none or not scheduled yet).
    public var rekeyIn: Duration?
    public var expireIn: Duration?
    public var reauthIn: Duration?
    /// Both ends announced RFC 6311 message ID sync: a node that takes the SA over
    /// synchronizes the message IDs with the peer first.
    public var messageIDSync = false
    public var children: [ChildSAHAExport]
}

/// A CHILD SA as the engine knows it (no keys: see IKESAHAExport).
public struct ChildSAHAExport: Sendable {
    public var name: String
    public var policyName: String
    public var inboundSPI: UInt32
    public var outboundSPI: UInt32
    public var encryption: UInt16
    public var keyBits: Int
    public var esn: Bool
    public var localTS: [IPPrefix]
    public var remoteTS: [IPPrefix]
    public var encapsulated: Bool
    public var rekeyIn: Duration?
    public var expireIn: Duration?
    /// When the deadlines are not known: how long ago the CHILD SA was installed (the
    /// importer schedules its lifetimes from the template, as from that moment).
    public var installedAgo: Duration?
}

extension IKEEngine {
    /// Established IKE SAs (with their CHILD SAs) for HA sync; `id` limits it to one SA.
    public func haSnapshot(now: IKETime, id: UInt64? = nil) -> [IKESAHAExport] {
        let chosen = id.map { sas[$0].map { [$0] } ?? [] } ?? Array(sas.values)
        return chosen.filter { $0.state == .established }.sorted { $0.id < $1.id }.map { haExport($0, now: now) }
    }

    private func haExport(_ sa: IKESA, now: IKETime) -> IKESAHAExport {
        func left(_ t: IKETime?) -> Duration? { t.map { $0 - now } }
        // The lifetimes are otherwise set at the first tick: an export right after IKE_AUTH
        // (the usual one) must carry them too, so the standby continues the same deadlines.
        if sa.lifetime == nil { sa.lifetime = ikeLifetime(for: sa, now: now, inheriting: nil) }
        let p = sa.proposal
        return IKESAHAExport(
            id: sa.id, vpn: sa.vpn?.name ?? "", initiator: sa.role == .initiator, spiI: sa.spiI, spiR: sa.spiR,
            local: sa.local, remote: sa.remote, natLocal: sa.natLocal, natRemote: sa.natRemote,
            fragmentation: sa.fragmentation, mobike: sa.mobike.enabled,
            localID: sa.localID.map { ($0.idType.rawValue, $0.data) }, remoteID: sa.remoteID.map { ($0.idType.rawValue, $0.data) },
            encryption: p.encryption.transformID, encryptionKeyBits: p.encryption.keyBits, integrity: p.integrity?.rawValue,
            prf: p.prf.rawValue, dhGroup: p.group.rawValue, keys: sa.keys, nextRequestID: sa.nextRequestID,
            nextExpectedRequest: sa.nextExpectedRequest, lastResponse: sa.lastResponse,
            rekeyIn: left(sa.lifetime?.rekeyAt), expireIn: left(sa.lifetime?.expireAt), reauthIn: left(sa.lifetime?.reauthAt),
            messageIDSync: sa.midSync.enabled, children: sa.children.map { c in
                ChildSAHAExport(name: c.name, policyName: c.policyName, inboundSPI: c.inboundSPI, outboundSPI: c.outboundSPI,
                                encryption: c.proposal.encryption.transformID, keyBits: c.proposal.encryption.keyBits,
                                esn: c.proposal.esn, localTS: c.localTS, remoteTS: c.remoteTS, encapsulated: c.encapsulated,
                                rekeyIn: left(c.rekeyAt), expireIn: left(c.expireAt))
            })
    }
}
