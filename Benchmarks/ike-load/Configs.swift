import StraitConfig
import StraitCore

/// The engine configurations of both modes, built in code (no YAML, no validation pass: the
/// values are known good).
enum LoadConfig {
    static let loc = SourceLocation(file: "strait-ike-load", line: 1, column: 1)

    struct Failure: Error, CustomStringConvertible { var description: String }

    static func templates(_ o: Options) throws -> (IKEPolicyTemplate, IPsecPolicyTemplate) {
        let ike: IKEProposal, esp: ESPProposal
        switch IKEProposal.parse(o.proposal) {
        case .success(let p): ike = p
        case .failure(let e): throw Failure(description: "--proposal \(o.proposal): \(e)")
        }
        switch ESPProposal.parse(o.espProposal) {
        case .success(let p): esp = p
        case .failure(let e): throw Failure(description: "--esp-proposal \(o.espProposal): \(e)")
        }
        // No DPD: a load test must not add liveness traffic of its own.
        return (IKEPolicyTemplate(name: "ike", proposals: [ike], uniqueSA: o.uniqueSA, dpd: IKEDPD(interval: .zero), location: loc),
                IPsecPolicyTemplate(name: "esp", proposals: [esp], location: loc))
    }

    static func retransmit(_ o: Options) -> IKERetransmit {
        IKERetransmit(timeout: .milliseconds(Int64(o.retransmitTimeout * 1000)), tries: o.tries)
    }

    /// Site i's source address: the (i+1)-th host of the pool.
    static func siteAddress(_ o: Options, _ i: Int) -> IPAddress {
        guard case .v4(let base) = o.pool.address else { fatalError("IPv4 pool") }
        return .v4(IPv4Address(base.value + UInt32(i + 1)))
    }

    /// Site i's own traffic selector: the i-th /32 or /30 of the selector pool.
    static func siteTS(_ o: Options, _ i: Int) -> IPPrefix {
        guard case .v4(let base) = o.tsPool.address else { fatalError("IPv4 pool") }
        let step = UInt32(1) << UInt32(32 - o.tsLength)
        return IPPrefix(address: .v4(IPv4Address(base.value + UInt32(i) * step)), length: o.tsLength)
    }

    static func siteName(_ i: Int) -> String { "s\(i)" }

    /// `count` VPN definitions, one per site, all initiating to the gateway.
    static func initiator(_ o: Options) throws -> IKEConfig {
        let (ike, esp) = try templates(o)
        let psk = PSK(bytes: o.psk)
        var vpns: [VPNDefinition] = []
        vpns.reserveCapacity(o.count)
        for i in 0..<o.count {
            let policy = SecurityPolicy(name: "lan", localTS: [TrafficSelector(prefix: siteTS(o, i))],
                                        remoteTS: [TrafficSelector(prefix: o.gatewayTS)], ipsecPolicy: "esp", location: loc)
            vpns.append(VPNDefinition(name: siteName(i), ikePolicy: "ike", ipsecPolicy: "esp", localAddress: siteAddress(o, i),
                                      remoteAddress: .address(o.gateway), localID: .fqdn("site\(i).load.test"), remoteID: .any,
                                      localAuth: .psk, remoteAuth: .psk, psk: psk, allowWeakPSK: true,
                                      securityPolicies: [policy], location: loc))
        }
        return IKEConfig(retransmit: retransmit(o), ikePolicyTemplates: [ike], ipsecPolicyTemplates: [esp], vpns: vpns)
    }

    /// One VPN for every site, as a concentrator has it.
    static func responder(_ o: Options) throws -> IKEConfig {
        let (ike, esp) = try templates(o)
        let localID: IKEIdentity, remoteID: IKEIdentity
        switch IKEIdentity.parse(o.localID) {
        case .success(let id): localID = id
        case .failure(let e): throw Failure(description: "--local-id: \(e)")
        }
        switch IKEIdentity.parse(o.remoteID, allowPattern: true) {
        case .success(let id): remoteID = id
        case .failure(let e): throw Failure(description: "--remote-id: \(e)")
        }
        let policy = SecurityPolicy(name: "lan", localTS: [TrafficSelector(prefix: o.gatewayTS)],
                                    remoteTS: [TrafficSelector(prefix: o.tsPool)], ipsecPolicy: "esp", location: loc)
        let vpn = VPNDefinition(name: "sites", ikePolicy: "ike", ipsecPolicy: "esp", localAddress: o.listen, remoteAddress: .any,
                                localID: localID, remoteID: remoteID, localAuth: .psk, remoteAuth: .psk,
                                psk: PSK(bytes: o.psk), allowWeakPSK: true, securityPolicies: [policy], location: loc)
        return IKEConfig(limits: IKELimits(halfOpen: o.halfOpen, cookieThreshold: min(o.cookieThreshold, o.halfOpen - 1), queue: 4096),
                         retransmit: retransmit(o), ikePolicyTemplates: [ike], ipsecPolicyTemplates: [esp], vpns: [vpn])
    }
}
