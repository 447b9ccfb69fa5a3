import StraitConfig
import StraitCore

/// What a reload did to the engine.
public struct IKEReloadReport: Sendable, Equatable {
    public var diff: IKEConfigDiff
    /// IKE SAs ended because their VPN was removed, renegotiates, or its peer's PSK changed,
    /// with the VPN's name and why.
    public var deleted: [(id: UInt64, vpn: String, reason: String)]
    /// VPNs initiated again (`start-action: start`) after their SAs were ended.
    public var reinitiated: [String]

    public static func == (l: Self, r: Self) -> Bool {
        l.diff == r.diff && l.reinitiated == r.reinitiated && l.deleted.map(\.id) == r.deleted.map(\.id)
    }

    /// One line per VPN that changed and per global key, for logs and `straitctl reload`.
    public var lines: [String] {
        var out: [String] = []
        for (name, change) in diff.vpns {
            let gone = deleted.filter { $0.vpn == name }
            let sas = gone.isEmpty ? "" : ": \(gone.count) IKE SA(s) deleted"
            switch change {
            case .unchanged: continue
            case .added: out.append("VPN '\(name)' added")
            case .removed: out.append("VPN '\(name)' removed\(sas)")
            case .kept(let keys): out.append("VPN '\(name)' changed (\(keys.joined(separator: ", "))): SAs kept\(gone.isEmpty ? "" : "; \(gone.count) IKE SA(s) deleted (PSK changed)")")
            case .renegotiate(let keys):
                out.append("VPN '\(name)' changed (\(keys.joined(separator: ", "))): renegotiated\(sas)\(reinitiated.contains(name) ? ", initiated again" : "")")
            }
        }
        if !diff.global.isEmpty { out.append("ike: \(diff.global.joined(separator: ", ")) changed") }
        return out
    }
}

/// A configuration reload (IKEConfigDiff says which VPNs change how): the new definitions
/// serve every negotiation that starts after it; running SAs of unchanged VPNs, and of VPNs
/// whose changes they can take over, stay as they are (same SPIs, same keys, nothing sent).
extension IKEEngine {
    /// Replaces the configuration. `credentials` are the certificates and keys of `config`,
    /// loaded by the caller (the engine does no I/O); they are checked before anything
    /// changes: a throw leaves the engine as it was. Returns what changed and what to send
    /// (the Deletes of ended SAs, the IKE_SA_INITs of VPNs that start again).
    public func reload(config: IKEConfig, credentials: IKECredentials, now: IKETime) throws -> (IKEReloadReport, [IKEDatagram]) {
        try credentials.check(config)
        let old = ctx.config
        let diff = IKEConfigDiff(old: old, new: config)
        // An SA may stay if its VPN is still there and nothing it negotiated changed.
        func survives(_ name: String) -> Bool {
            switch diff.change(of: name) {
            case .unchanged?, .kept?: return true
            default: return false
            }
        }

        var report = IKEReloadReport(diff: diff, deleted: [], reinitiated: [])
        var doomed: [(IKESA, String)] = []
        for ike in sas.values.sorted(by: { $0.createdAt < $1.createdAt }) where ike.state != .deleting {
            if case .deleteIKE? = ike.pending?.kind { continue }   // already on its way out
            guard let vpn = ike.vpn else {
                // Responder half-open: still choosing among candidates. A stale candidate would
                // negotiate with the old values: drop it, the peer retries.
                if !ike.candidates.allSatisfy({ survives($0.name) }) { doomed.append((ike, "")) }
                continue
            }
            switch diff.change(of: vpn.name) {
            case .removed?: doomed.append((ike, "VPN '\(vpn.name)' removed by a reload"))
            case .renegotiate?: doomed.append((ike, "VPN '\(vpn.name)' changed by a reload"))
            default:
                // The key that authenticated this peer: a new one means a new authentication.
                if ike.state == .established, vpn.usesPSK, let id = ike.remoteIdentity, let next = config.vpn(named: vpn.name),
                   old.psk(for: vpn, remoteID: id) != config.psk(for: next, remoteID: id) {
                    doomed.append((ike, "the PSK of \(id) changed by a reload"))
                }
            }
        }
        let restart = Set(initiating.values.filter { !survives($0.vpn.name) }.map(\.spiI))

        // Nothing thrown from here on.
        ctx.config = config
        ctx.credentials = credentials
        for warning in credentials.warnings { logger.warning("ike: \(warning)") }

        var out: [IKEDatagram] = []
        for spi in restart {
            if let s = initiating.removeValue(forKey: spi) {
                ctx.releaseSPI(spi)
                logger.info("ike \(s.remote): IKE_SA_INIT for '\(s.vpn.name)' abandoned: the VPN changed")
            }
        }
        for (spi, var s) in initiating {
            guard let vpn = config.vpn(named: s.vpn.name), let policy = vpn.securityPolicies.first(where: { $0.name == s.policy.name }) else { continue }
            s.vpn = vpn
            s.policy = policy
            initiating[spi] = s
        }
        let doomedIDs = Set(doomed.map { $0.0.id })
        for ike in sas.values where !doomedIDs.contains(ike.id) {
            if let vpn = ike.vpn, let next = config.vpn(named: vpn.name) {
                ike.vpn = next
                if case .kept(let keys)? = diff.change(of: vpn.name) {
                    for i in ike.children.indices where !ike.children[i].rekeying { scheduleLifetimes(&ike.children[i], vpn: next) }
                    // New IKE SA times count from when this IKE SA was made (reauth too).
                    let times = ["rekey-time", "reauth-time", "over-time", "rand-time"].map { "ike-policy(\(next.ikePolicy)).\($0)" }
                    if let old = ike.lifetime, keys.contains(where: times.contains) {
                        ike.lifetime = ikeLifetime(for: ike, now: now, inheriting: nil)
                        ike.lifetime?.weStarted = old.weStarted
                    }
                }
            }
            ike.candidates = ike.candidates.compactMap { config.vpn(named: $0.name) }
        }
        var ended: Set<String> = []
        for (ike, reason) in doomed {
            guard !reason.isEmpty, ike.state == .established else {
                deleteSA(ike, reason: reason.isEmpty ? "reload" : reason, notify: false)
                continue
            }
            let name = ike.vpn?.name ?? ""
            report.deleted.append((ike.id, name, reason))
            ended.insert(name)
            logger.info("ike \(ike.remote): IKE SA \(hex(ike.id)) ends: \(reason)")
            out += end(ike, reason: reason, now: now)
        }
        // VPNs that start on their own start again with their new definition.
        for name in ended.sorted() {
            guard case .renegotiate? = diff.change(of: name), let vpn = config.vpn(named: name),
                  vpn.securityPolicies.contains(where: { config.ipsecPolicyTemplate(named: $0.ipsecPolicy)?.startAction == .start }),
                  vpn.remoteAddress.initiatorTarget != nil else { continue }
            do {
                out += try initiate(vpn: name, now: now)
                report.reinitiated.append(name)
            } catch {
                logger.warning("ike: VPN '\(name)' not initiated again after the reload: \(error)")
            }
        }
        for line in report.lines { logger.info("ike: reload: \(line)") }
        return (report, out)
    }

    /// An established SA ends: CHILD SAs out of the fast path now, a Delete to the peer; the
    /// IKE SA goes when the peer answers or the retransmissions run out (as `terminate`).
    private func end(_ ike: IKESA, reason: String, now: IKETime) -> [IKEDatagram] {
        for child in ike.children { removeChild(ike, outboundSPI: child.outboundSPI, reason: reason) }
        if case .auth(let a)? = ike.pending?.kind { ctx.dataPlane.releaseInboundSPI(a.inboundSPI) }
        if case .rekeyChild(let c)? = ike.pending?.kind { ctx.dataPlane.releaseInboundSPI(c.newInboundSPI) }
        ike.pending = nil
        let out = sendRequest(ike, .informational, [.delete(.ikeSA)], kind: .deleteIKE, now: now)
        if out.isEmpty { deleteSA(ike, reason: reason, notify: false) }
        return out
    }
}
