import StraitConfig
import StraitCore
import StraitIKECrypto
import StraitIKEWire

/// One CHILD SA of an imported IKE SA: what the engine knew of it on the old active, and the
/// fast-path handle and cookie of the copy this node installed (inactive, then activated).
public struct ChildSAHAImport: Sendable {
    public var export: ChildSAHAExport
    public var handle: ChildSAHandle
    public var cookie: UInt64
    public init(export: ChildSAHAExport, handle: ChildSAHandle, cookie: UInt64) {
        self.export = export
        self.handle = handle
        self.cookie = cookie
    }
}

public struct IKEHAImportError: Error, CustomStringConvertible {
    public var description: String
}

extension IKEEngine {
    /// The keys of an IKE SA as HA sync carried them, checked against its algorithms (IANA ids).
    public static func haKeys(encryption: UInt16, keyBits: Int, integrity: UInt16?, prf: UInt16,
                              keys k: (skD: SecretBytes, skAi: SecretBytes, skAr: SecretBytes, skEi: SecretBytes,
                                       skEr: SecretBytes, skPi: SecretBytes, skPr: SecretBytes)) throws -> IKESAKeys {
        let proposal = try chosen(encryption: encryption, keyBits: keyBits, integrity: integrity, prf: prf, group: 0, allowUnknownGroup: true)
        return try IKESAKeys(restoring: proposal.suite(), skD: k.skD, skAi: k.skAi, skAr: k.skAr, skEi: k.skEi, skEr: k.skEr,
                             skPi: k.skPi, skPr: k.skPr)
    }

    /// Takes over an established IKE SA another node negotiated (HA): same SPIs, keys, message
    /// IDs and identities, with its CHILD SAs on this node's fast-path handles. From here the
    /// engine answers the peer's requests on it (DPD, Deletes, rekeys) and runs its timers:
    /// the IKE SA's rekey/expiry/reauth deadlines continue from the export's (else they are
    /// scheduled afresh at the next tick), a CHILD SA's from its deadlines or, without them,
    /// from the template as from `installedAgo`. With RFC 6311 negotiated the first thing
    /// sent on the SA is the message ID sync (the export's IDs may be stale). Publishes
    /// nothing: the SA is not new.
    public func haImport(_ e: IKESAHAExport, children: [ChildSAHAImport], now: IKETime) throws {
        guard sas[e.id] == nil else { throw IKEHAImportError(description: "IKE SA \(hex(e.id)) exists already") }
        guard let vpn = ctx.config.vpn(named: e.vpn) else {
            throw IKEHAImportError(description: "IKE SA \(hex(e.id)): no VPN '\(e.vpn)' in this node's config")
        }
        let proposal = try Self.chosen(encryption: e.encryption, keyBits: e.encryptionKeyBits, integrity: e.integrity,
                                       prf: e.prf, group: e.dhGroup, allowUnknownGroup: false)
        guard e.id == (e.initiator ? e.spiI : e.spiR) else {
            throw IKEHAImportError(description: "IKE SA \(hex(e.id)): the id is not our SPI")
        }
        let ike = try IKESA(id: e.id, role: e.initiator ? .initiator : .responder, spiI: e.spiI, spiR: e.spiR, local: e.local,
                            remote: e.remote, proposal: proposal, keys: e.keys, nonceI: [], nonceR: [], initRequest: [],
                            initResponse: [], candidates: [vpn], now: now)
        ike.vpn = vpn
        ike.natLocal = e.natLocal
        ike.natRemote = e.natRemote
        ike.fragmentation = e.fragmentation
        ike.mobike.enabled = e.mobike
        ike.localID = e.localID.map { IdentificationPayload(idType: IDType(rawValue: $0.type), data: $0.data) }
        ike.remoteID = e.remoteID.map { IdentificationPayload(idType: IDType(rawValue: $0.type), data: $0.data) }
        ike.nextRequestID = e.nextRequestID
        ike.nextExpectedRequest = e.nextExpectedRequest
        ike.lastResponse = e.lastResponse
        ike.state = .established
        ike.establishedAt = now
        if e.rekeyIn != nil || e.expireIn != nil || e.reauthIn != nil {
            ike.lifetime = IKELifetime(rekeyAt: e.rekeyIn.map { now + $0 }, expireAt: e.expireIn.map { now + $0 },
                                       reauthAt: e.reauthIn.map { now + $0 }, weStarted: e.initiator)
        }
        // The old active sealed with these keys: our GCM IVs must not meet its.
        ike.outbound.continueIVsElsewhere()
        ike.midSync.enabled = e.messageIDSync
        ike.midSync.due = e.messageIDSync && MessageIDSync.peerCanAnswer(ike)
        if e.messageIDSync && !ike.midSync.due {
            logger.info("ike \(ike.remote): IKE SA \(hex(ike.id)): no RFC 6311 sync after the takeover (the peer answered a request 0 already, and a peer that derives its AES-GCM IVs from message IDs cannot answer another); carrying on with the synced message IDs")
        }
        for c in children {
            let x = c.export
            guard let encryption = IKEEncryptionAlgorithm.allCases.first(where: { $0.transformID == x.encryption && $0.keyBits == x.keyBits }) else {
                throw IKEHAImportError(description: "CHILD SA \(x.name): transform \(x.encryption)/\(x.keyBits) unknown")
            }
            var child = ChildSA(name: x.name, handle: c.handle, inboundSPI: x.inboundSPI, outboundSPI: x.outboundSPI,
                                proposal: ChosenESPProposal(number: 1, encryption: encryption, esn: x.esn, group: nil, peerSPI: x.outboundSPI),
                                localTS: x.localTS, remoteTS: x.remoteTS, encapsulated: x.encapsulated, installedAt: now,
                                cookie: c.cookie, policyName: x.policyName, nonces: [])
            if x.rekeyIn != nil || x.expireIn != nil {
                child.rekeyAt = x.rekeyIn.map { now + $0 }
                child.expireAt = x.expireIn.map { now + $0 }
            } else {
                // Without them a CHILD SA would never be rekeyed here: the template's times,
                // counted from when the old active installed it.
                let ago = min(x.installedAgo ?? .zero, .nanoseconds(Int64(clamping: now.nanoseconds)))
                child.installedAt = now + (.zero - ago)
                scheduleLifetimes(&child, vpn: vpn)
            }
            ike.children.append(child)
        }
        sas[e.id] = ike
    }

    /// The IKE proposal from IANA transform ids.
    static func chosen(encryption: UInt16, keyBits: Int, integrity: UInt16?, prf: UInt16, group: UInt16,
                       allowUnknownGroup: Bool) throws -> ChosenIKEProposal {
        guard let enc = IKEEncryptionAlgorithm.allCases.first(where: { $0.transformID == encryption && $0.keyBits == keyBits }) else {
            throw IKEHAImportError(description: "IKE encryption \(encryption)/\(keyBits) unknown")
        }
        guard let p = IKEPRFAlgorithm(rawValue: prf) else { throw IKEHAImportError(description: "PRF \(prf) unknown") }
        let i = try integrity.map { id -> IKEIntegrityAlgorithm in
            guard let a = IKEIntegrityAlgorithm(rawValue: id) else { throw IKEHAImportError(description: "integrity \(id) unknown") }
            return a
        }
        let g = IKEDHGroup(rawValue: group) ?? (allowUnknownGroup ? IKEDHGroup.allCases[0] : nil)
        guard let g else { throw IKEHAImportError(description: "DH group \(group) unknown") }
        return ChosenIKEProposal(number: 1, encryption: enc, integrity: i, prf: p, group: g)
    }
}

extension IKESAHAExport {
    /// For a node that imports what HA sync carried (the memberwise initializer is internal).
    public static func make(id: UInt64, vpn: String, initiator: Bool, spiI: UInt64, spiR: UInt64, local: IKEEndpoint,
                            remote: IKEEndpoint, natLocal: Bool, natRemote: Bool, fragmentation: Bool, mobike: Bool,
                            localID: (type: UInt8, data: [UInt8])?, remoteID: (type: UInt8, data: [UInt8])?,
                            encryption: UInt16, encryptionKeyBits: Int, integrity: UInt16?, prf: UInt16, dhGroup: UInt16,
                            keys: IKESAKeys, nextRequestID: UInt32, nextExpectedRequest: UInt32,
                            lastResponse: (messageID: UInt32, datagrams: [[UInt8]])?, rekeyIn: Duration? = nil,
                            expireIn: Duration? = nil, reauthIn: Duration? = nil, messageIDSync: Bool = false,
                            children: [ChildSAHAExport]) -> IKESAHAExport {
        IKESAHAExport(id: id, vpn: vpn, initiator: initiator, spiI: spiI, spiR: spiR, local: local, remote: remote, natLocal: natLocal,
                      natRemote: natRemote, fragmentation: fragmentation, mobike: mobike, localID: localID, remoteID: remoteID,
                      encryption: encryption, encryptionKeyBits: encryptionKeyBits, integrity: integrity, prf: prf, dhGroup: dhGroup,
                      keys: keys, nextRequestID: nextRequestID, nextExpectedRequest: nextExpectedRequest, lastResponse: lastResponse,
                      rekeyIn: rekeyIn, expireIn: expireIn, reauthIn: reauthIn, messageIDSync: messageIDSync, children: children)
    }
}

extension ChildSAHAExport {
    public static func make(name: String, policyName: String, inboundSPI: UInt32, outboundSPI: UInt32, encryption: UInt16,
                            keyBits: Int, esn: Bool, localTS: [IPPrefix], remoteTS: [IPPrefix], encapsulated: Bool,
                            rekeyIn: Duration? = nil, expireIn: Duration? = nil, installedAgo: Duration? = nil) -> ChildSAHAExport {
        ChildSAHAExport(name: name, policyName: policyName, inboundSPI: inboundSPI, outboundSPI: outboundSPI, encryption: encryption,
                        keyBits: keyBits, esn: esn, localTS: localTS, remoteTS: remoteTS, encapsulated: encapsulated,
                        rekeyIn: rekeyIn, expireIn: expireIn, installedAgo: installedAgo)
    }
}
