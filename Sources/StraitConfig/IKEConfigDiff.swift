/// What a reload of the `ike` section changes, VPN by VPN (a VPN is known by its name).
///
/// A VPN is compared with its templates resolved: a template change is a change of every VPN
/// that uses it, a template renamed with the same content is no change. Each changed key
/// falls in one of two classes:
///
/// - **kept** (the VPN's IKE and CHILD SAs stay, the new values apply to them): timers and
///   lifetimes (`rekey-time`, `reauth-time`, `over-time`, `rand-time`, `dpd`, `life-time`, the
///   byte and packet limits, which the fast path takes at the next CHILD SA), actions
///   (`start-action`, `close-action`, `dpd-action`), `unique-sa`, `allow-modp1024`,
///   `allow-weak-psk`, the VPN's own `psk` (each SA is checked against the key that
///   authenticated it: the engine's part).
/// - **renegotiate** (the VPN's SAs are deleted, the peers told; a `start-action: start`
///   VPN initiates again): what was negotiated or authenticated: `local-address`,
///   `remote-address`, `local-id`, `remote-id`, `local-auth`, `remote-auth`, `security-policies`
///   (names, selectors), `proposals` of either template, `mobike`, `fragmentation`,
///   `replay-window`, `encap`.
public struct IKEConfigDiff: Sendable, Equatable {
    public enum VPNChange: Sendable, Equatable {
        case added
        case removed
        case unchanged
        /// Changed keys that running SAs take over.
        case kept([String])
        /// Changed keys (every one, the kept ones too) that end the VPN's running SAs.
        case renegotiate([String])
    }

    /// Every VPN of either config: the old order, then the ones added.
    public var vpns: [(name: String, change: VPNChange)]
    /// Keys outside the VPNs that changed (all live): `limits.half-open`, `retransmit`, `psks`.
    public var global: [String]

    public static func == (l: Self, r: Self) -> Bool {
        l.global == r.global && l.vpns.map(\.name) == r.vpns.map(\.name) && l.vpns.map(\.change) == r.vpns.map(\.change)
    }

    public init(old: IKEConfig, new: IKEConfig) {
        vpns = old.vpns.map { vpn in
            guard let next = new.vpn(named: vpn.name) else { return (vpn.name, .removed) }
            return (vpn.name, Self.compare(vpn, in: old, with: next, in: new))
        } + new.vpns.filter { old.vpn(named: $0.name) == nil }.map { ($0.name, .added) }
        global = []
        if old.limits.halfOpen != new.limits.halfOpen { global.append("limits.half-open") }
        if old.limits.cookieThreshold != new.limits.cookieThreshold { global.append("limits.cookie-threshold") }
        if old.retransmit != new.retransmit { global.append("retransmit") }
        if !Canonical.same(old.psks, new.psks) || zip(old.psks, new.psks).contains(where: { $0.secret != $1.secret }) {
            global.append("psks")
        }
    }

    public func change(of name: String) -> VPNChange? { vpns.first { $0.name == name }?.change }

    /// True when nothing at all changed.
    public var isEmpty: Bool { global.isEmpty && vpns.allSatisfy { $0.change == .unchanged } }

    static func compare(_ a: VPNDefinition, in old: IKEConfig, with b: VPNDefinition, in new: IKEConfig) -> VPNChange {
        var renegotiate: [String] = [], kept: [String] = []
        func check(_ key: String, _ x: Any, _ y: Any, renegotiates: Bool) {
            guard !Canonical.same(x, y) else { return }
            if renegotiates { renegotiate.append(key) } else { kept.append(key) }
        }
        check("local-address", a.localAddress, b.localAddress, renegotiates: true)
        check("remote-address", a.remoteAddress, b.remoteAddress, renegotiates: true)
        check("local-id", a.localID, b.localID, renegotiates: true)
        check("remote-id", a.remoteID, b.remoteID, renegotiates: true)
        check("local-auth", a.localAuth, b.localAuth, renegotiates: true)
        check("remote-auth", a.remoteAuth, b.remoteAuth, renegotiates: true)
        check("allow-weak-psk", a.allowWeakPSK, b.allowWeakPSK, renegotiates: false)
        if a.psk != b.psk { kept.append("psk") }

        let ta = old.ikePolicyTemplate(named: a.ikePolicy), tb = new.ikePolicyTemplate(named: b.ikePolicy)
        if let ta, let tb {
            let k = "ike-policy(\(b.ikePolicy))"
            check("\(k).proposals", ta.proposals, tb.proposals, renegotiates: true)
            check("\(k).mobike", ta.mobike, tb.mobike, renegotiates: true)
            check("\(k).fragmentation", ta.fragmentation, tb.fragmentation, renegotiates: true)
            check("\(k).unique-sa", ta.uniqueSA, tb.uniqueSA, renegotiates: false)
            check("\(k).rekey-time", ta.rekeyTime, tb.rekeyTime, renegotiates: false)
            check("\(k).reauth-time", ta.reauthTime, tb.reauthTime, renegotiates: false)
            check("\(k).over-time", ta.overTime, tb.overTime, renegotiates: false)
            check("\(k).rand-time", ta.randTime, tb.randTime, renegotiates: false)
            check("\(k).dpd", ta.dpd, tb.dpd, renegotiates: false)
            check("\(k).allow-modp1024", ta.allowMODP1024, tb.allowMODP1024, renegotiates: false)
        } else if (ta == nil) != (tb == nil) {
            renegotiate.append("ike-policy")
        }

        if a.securityPolicies.map(\.name) != b.securityPolicies.map(\.name) {
            renegotiate.append("security-policies")
        } else {
            for (pa, pb) in zip(a.securityPolicies, b.securityPolicies) {
                let k = "security-policies(\(pb.name))"
                check("\(k).local-ts", pa.localTS, pb.localTS, renegotiates: true)
                check("\(k).remote-ts", pa.remoteTS, pb.remoteTS, renegotiates: true)
                guard let ia = old.ipsecPolicyTemplate(named: pa.ipsecPolicy), let ib = new.ipsecPolicyTemplate(named: pb.ipsecPolicy) else {
                    renegotiate.append("\(k).ipsec-policy")
                    continue
                }
                let t = "\(k).ipsec-policy(\(pb.ipsecPolicy))"
                check("\(t).proposals", ia.proposals, ib.proposals, renegotiates: true)
                check("\(t).replay-window", ia.replayWindow, ib.replayWindow, renegotiates: true)
                check("\(t).encap", ia.encapsulation, ib.encapsulation, renegotiates: true)
                check("\(t).rekey-time", ia.rekeyTime, ib.rekeyTime, renegotiates: false)
                check("\(t).life-time", ia.lifeTime, ib.lifeTime, renegotiates: false)
                check("\(t).rand-time", ia.randTime, ib.randTime, renegotiates: false)
                check("\(t).rekey-bytes", ia.rekeyBytes, ib.rekeyBytes, renegotiates: false)
                check("\(t).life-bytes", ia.lifeBytes, ib.lifeBytes, renegotiates: false)
                check("\(t).rekey-packets", ia.rekeyPackets, ib.rekeyPackets, renegotiates: false)
                check("\(t).life-packets", ia.lifePackets, ib.lifePackets, renegotiates: false)
                check("\(t).start-action", ia.startAction, ib.startAction, renegotiates: false)
                check("\(t).close-action", ia.closeAction, ib.closeAction, renegotiates: false)
                check("\(t).dpd-action", ia.dpdAction, ib.dpdAction, renegotiates: false)
                check("\(t).allow-modp1024", ia.allowMODP1024, ib.allowMODP1024, renegotiates: false)
            }
        }
        if !renegotiate.isEmpty { return .renegotiate(renegotiate + kept) }
        return kept.isEmpty ? .unchanged : .kept(kept)
    }
}
