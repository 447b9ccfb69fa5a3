import Foundation
import StraitCore
import StraitHASync
import StraitIKE
import StraitIKECrypto

/// Pure conversions between the IKE engine's values and the HA sync messages' (the daemon is
/// the only place that sees both).
enum HAMapping {
    static func secret(_ s: SecretBytes) -> HASecret { HASecret(s.withUnsafeBytes { Array($0) }) }

    static func wallMs(_ date: Date = Date()) -> Int64 { Int64(date.timeIntervalSince1970 * 1000) }

    static func ms(_ d: Duration?) -> Int64? {
        d.map { $0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000 }
    }

    /// An established IKE SA as the standby keeps it.
    static func ikeSA(_ e: IKESAHAExport, takenAtWallMs: Int64) -> HAIKESAState {
        let keys = HAIKEKeys(skD: secret(e.keys.skD), skAi: secret(e.keys.skAi), skAr: secret(e.keys.skAr),
                             skEi: secret(e.keys.skEi), skEr: secret(e.keys.skEr), skPi: secret(e.keys.skPi),
                             skPr: secret(e.keys.skPr))
        var s = HAIKESAState(
            id: e.id, vpn: e.vpn, initiator: e.initiator, spiI: e.spiI, spiR: e.spiR,
            local: HAEndpoint(e.local.address, e.local.port), remote: HAEndpoint(e.remote.address, e.remote.port),
            localID: HAIdentity(type: e.localID?.type ?? 0, data: e.localID?.data ?? []),
            remoteID: HAIdentity(type: e.remoteID?.type ?? 0, data: e.remoteID?.data ?? []),
            algorithms: HAIKEAlgorithms(encryption: e.encryption, encryptionKeyBits: UInt16(clamping: e.encryptionKeyBits),
                                        integrity: e.integrity ?? 0, prf: e.prf, dhGroup: e.dhGroup),
            keys: keys, nextRequestID: e.nextRequestID, nextExpectedRequest: e.nextExpectedRequest, takenAtWallMs: takenAtWallMs)
        s.natLocal = e.natLocal
        s.natRemote = e.natRemote
        s.fragmentation = e.fragmentation
        s.mobike = e.mobike
        s.messageIDSync = e.messageIDSync
        s.lastResponseID = e.lastResponse?.messageID
        s.lastResponse = e.lastResponse?.datagrams ?? []
        s.deadlines = HADeadlines(rekeyInMs: ms(e.rekeyIn), expireInMs: ms(e.expireIn), reauthInMs: ms(e.reauthIn))
        return s
    }

    /// A CHILD SA as the data plane installed it (keys captured there), owned by IKE SA `ikeSA`.
    static func childSA(_ c: ChildSAInstall, ikeSA: UInt64, takenAtWallMs: Int64) -> HAChildSAState {
        var s = HAChildSAState(
            ikeSA: ikeSA, name: c.name, inboundSPI: c.inboundSPI, outboundSPI: c.outboundSPI, encryption: espTransform(icv: c.icvLength),
            keyBits: UInt16(clamping: c.keyBits), icvLength: UInt8(clamping: c.icvLength), inboundKey: secret(c.inboundKey),
            outboundKey: secret(c.outboundKey), esn: c.esn, replayWindow: UInt32(clamping: c.replayWindow), local: c.local,
            remote: c.remote, udpEncapsulation: c.udpEncapsulation, localTS: c.localTS, remoteTS: c.remoteTS,
            takenAtWallMs: takenAtWallMs)
        s.softBytes = c.softBytes
        s.hardBytes = c.hardBytes
        s.softPackets = c.softPackets
        s.hardPackets = c.hardPackets
        return s
    }

    /// The ESP transform id of AES-GCM with this ICV (RFC 4106: 18, 19, 20 for 8, 12, 16 bytes).
    static func espTransform(icv: Int) -> UInt16 {
        switch icv {
        case 8: return 18
        case 12: return 19
        default: return 20
        }
    }

    /// What the standby installs (inactive) for a synced CHILD SA: the same SPIs, keys,
    /// selectors and endpoints. `cookie` is the standby's own.
    static func install(_ s: HAChildSAState, cookie: UInt64) -> ChildSAInstall {
        var c = ChildSAInstall(
            name: s.name, cookie: cookie, inboundSPI: s.inboundSPI, outboundSPI: s.outboundSPI, keyBits: Int(s.keyBits),
            icvLength: Int(s.icvLength), inboundKey: s.inboundKey.withBytes { SecretBytes(copying: $0) },
            outboundKey: s.outboundKey.withBytes { SecretBytes(copying: $0) }, esn: s.esn, replayWindow: Int(s.replayWindow),
            local: s.local, remote: s.remote, udpEncapsulation: s.udpEncapsulation, localTS: s.localTS, remoteTS: s.remoteTS)
        c.softBytes = s.softBytes
        c.hardBytes = s.hardBytes
        c.softPackets = s.softPackets
        c.hardPackets = s.hardPackets
        return c
    }

    // MARK: the standby's store back to the engine's values (takeover)

    static func secretBytes(_ s: HASecret) -> SecretBytes { s.withBytes { SecretBytes(copying: $0) } }

    /// A deadline sent `offsetMs` after the sender's wall-clock snapshot, as time left now
    /// (never negative: an overdue one is due at once).
    static func left(_ offsetMs: Int64?, takenAtWallMs: Int64, nowWallMs: Int64) -> Duration? {
        offsetMs.map { .milliseconds(max(0, $0 - max(0, nowWallMs - takenAtWallMs))) }
    }

    /// A stored IKE SA as the engine imports it: its deadlines continue where the active left
    /// them (rebased on the wall clock), and the RFC 6311 flag says whether to sync message IDs.
    static func ikeExport(_ s: HAIKESAState, children: [ChildSAHAExport], nowWallMs: Int64 = wallMs()) throws -> IKESAHAExport {
        let a = s.algorithms
        let keys = try IKEEngine.haKeys(
            encryption: a.encryption, keyBits: Int(a.encryptionKeyBits), integrity: a.integrity == 0 ? nil : a.integrity, prf: a.prf,
            keys: (secretBytes(s.keys.skD), secretBytes(s.keys.skAi), secretBytes(s.keys.skAr), secretBytes(s.keys.skEi),
                   secretBytes(s.keys.skEr), secretBytes(s.keys.skPi), secretBytes(s.keys.skPr)))
        return IKESAHAExport.make(
            id: s.id, vpn: s.vpn, initiator: s.initiator, spiI: s.spiI, spiR: s.spiR,
            local: IKEEndpoint(s.local.address, s.local.port), remote: IKEEndpoint(s.remote.address, s.remote.port),
            natLocal: s.natLocal, natRemote: s.natRemote, fragmentation: s.fragmentation, mobike: s.mobike,
            localID: s.localID.data.isEmpty ? nil : (s.localID.type, s.localID.data),
            remoteID: s.remoteID.data.isEmpty ? nil : (s.remoteID.type, s.remoteID.data),
            encryption: a.encryption, encryptionKeyBits: Int(a.encryptionKeyBits), integrity: a.integrity == 0 ? nil : a.integrity,
            prf: a.prf, dhGroup: a.dhGroup, keys: keys, nextRequestID: s.nextRequestID, nextExpectedRequest: s.nextExpectedRequest,
            lastResponse: s.lastResponseID.map { ($0, s.lastResponse) },
            rekeyIn: left(s.deadlines.rekeyInMs, takenAtWallMs: s.takenAtWallMs, nowWallMs: nowWallMs),
            expireIn: left(s.deadlines.expireInMs, takenAtWallMs: s.takenAtWallMs, nowWallMs: nowWallMs),
            reauthIn: left(s.deadlines.reauthInMs, takenAtWallMs: s.takenAtWallMs, nowWallMs: nowWallMs),
            messageIDSync: s.messageIDSync, children: children)
    }

    /// A stored CHILD SA as the engine knows it. The security policy is the name's middle
    /// part ("vpn/policy#id"); the engine's CHILD SAs are AES-GCM-16 (transform 20). The
    /// active synced it when it was installed (`takenAtWallMs`): the engine schedules its
    /// rekey and expiry from the template as from then.
    static func childExport(_ c: HAChildSAState, nowWallMs: Int64 = wallMs()) -> ChildSAHAExport {
        let policy = c.name.split(separator: "/", maxSplits: 1).dropFirst().first.map { String($0.split(separator: "#").first ?? "") } ?? ""
        return ChildSAHAExport.make(name: c.name, policyName: policy, inboundSPI: c.inboundSPI, outboundSPI: c.outboundSPI,
                                    encryption: 20, keyBits: Int(c.keyBits), esn: c.esn, localTS: c.localTS, remoteTS: c.remoteTS,
                                    encapsulated: c.udpEncapsulation != nil,
                                    rekeyIn: left(c.deadlines.rekeyInMs, takenAtWallMs: c.takenAtWallMs, nowWallMs: nowWallMs),
                                    expireIn: left(c.deadlines.expireInMs, takenAtWallMs: c.takenAtWallMs, nowWallMs: nowWallMs),
                                    installedAgo: .milliseconds(max(0, nowWallMs - c.takenAtWallMs)))
    }
}
