import StraitCore
import Yams

/// `ike.vpns`: VPN definitions. Each names its templates, says where its peers may be and who
/// they are, how both sides authenticate, and the traffic it protects. Names are unique, and
/// two VPNs may not match the same peers the same way.
enum IKEVPNSection {
    static let name = "vpns"
    static let keys = ["name", "ike-policy", "ipsec-policy", "local-address", "remote-address", "local-id", "remote-id",
                       "local-auth", "remote-auth", "psk", "allow-weak-psk", IKESecurityPolicySection.name]
    static let localAuthKeys = ["method", "certificate", "private-key"]
    static let remoteAuthKeys = ["method", "ca"]
    static let methods = ["psk", "certificate"]

    struct Environment {
        /// The ports' addresses, and whether they are all known (so "not an address of any port" may be said).
        var portAddresses: Set<IPAddress>
        var portAddressesComplete: Bool
        var ikeTemplates: IKETemplateSection.Table<IKEPolicyTemplate>
        var ipsecTemplates: IKETemplateSection.Table<IPsecPolicyTemplate>
        var psks: IKEPSKSection.Table
    }

    /// The VPNs without errors, and where their `psk` values are written.
    static func read(_ parent: MappingReader, environment: Environment) -> (vpns: [VPNDefinition], pskSites: [Redaction.Site]) {
        guard let items = parent.list(name) else { return ([], []) }
        let context = parent.context
        var vpns: [VPNDefinition] = [], sites: [Redaction.Site] = []
        var names: [String: (key: String, line: Int)] = [:]
        var matches: [String: (key: String, line: Int)] = [:]
        for item in items {
            let errorsBefore = context.errors.count
            guard let r = MappingReader(item.node, key: item.key, known: keys, context: context) else { continue }
            let name = IKEValues.name(r, what: "VPN")
            if let name {
                if let earlier = names[name.value] {
                    context.report(.duplicateValue, at: name.location, key: name.key,
                                   "VPN name '\(name.value)' is already used by \(earlier.key) (line \(earlier.line))")
                } else {
                    names[name.value] = (item.key, name.location.line)
                }
            }
            if let node = r.node("psk"), let site = Redaction.Site(mapping: item.node, keyAt: r.keyLocation("psk"), value: node) {
                sites.append(site)
            }
            guard let vpn = readVPN(r, name: name?.value ?? "", environment: environment),
                  context.errors.count == errorsBefore else { continue }
            // IKE_SA_INIT and IKE_AUTH pick a VPN by addresses and identities: the second of two alike is never picked.
            let match = "\(vpn.localAddress) \(vpn.remoteAddress) \(vpn.localID) \(vpn.remoteID)".lowercased()
            if let earlier = matches[match] {
                context.report(.duplicateValue, at: context.valueLocation(for: r.path("remote-id")) ?? r.location,
                               key: r.path("remote-id"),
                               "\(earlier.key) (line \(earlier.line)) already has these addresses and identities; "
                               + "a peer would always be given that VPN, never this one")
                continue
            }
            matches[match] = (item.key, r.location.line)
            vpns.append(vpn)
        }
        return (vpns, sites)
    }

    private static func readVPN(_ r: MappingReader, name: String, environment: Environment) -> VPNDefinition? {
        let context = r.context
        let ikePolicy = r.required("ike-policy").flatMap { r.reader.string($0, key: r.path("ike-policy")) }
        if let ikePolicy { _ = environment.ikeTemplates.resolve(ikePolicy, context: context) }
        let ipsecPolicy = r.string("ipsec-policy")
        let ipsecEntry = ipsecPolicy.flatMap { environment.ipsecTemplates.resolve($0, context: context) }
        let local = readLocal(r, environment: environment)
        let remote = readRemote(r)
        let localID = r.string("local-id").flatMap { IKEValues.identity($0, remote: false, context: context) }
        let remoteID = r.required("remote-id").flatMap { r.reader.string($0, key: r.path("remote-id")) }
            .flatMap { IKEValues.identity($0, remote: true, context: context) }
        let localAuth = readLocalAuth(r), remoteAuth = readRemoteAuth(r)
        let allowWeak = r.bool("allow-weak-psk")?.value ?? r.has("allow-weak-psk")
        let psk = r.string("psk").flatMap { IKEValues.psk($0, allowWeak: allowWeak, context: context) }

        // A VPN whose peers are not at one known address cannot initiate to them.
        let checkInitiation = { (reference: Located<String>, entry: IKETemplateSection.Entry<IPsecPolicyTemplate>) in
            guard let action = entry.initiatingAction, let remote, remote.value.initiatorTarget == nil else { return }
            context.report(.conflict, at: reference.location, key: reference.key,
                           "ipsec-policy template '\(reference.value)' has \(action.value) (line \(action.location.line)), "
                           + "which initiates to the peer; this VPN's remote-address is \(remote.value), not one address to initiate to")
        }
        if let ipsecPolicy, let ipsecEntry { checkInitiation(ipsecPolicy, ipsecEntry) }
        let policies = IKESecurityPolicySection.read(r, environment: IKESecurityPolicySection.Environment(
            templates: environment.ipsecTemplates, vpnPolicy: ipsecPolicy, vpnPolicyGiven: r.has("ipsec-policy"),
            checkInitiation: checkInitiation))

        if let localAuth, let remoteAuth {
            checkPSK(r, local: localAuth, remote: remoteAuth, remoteID: remoteID?.value, psks: environment.psks)
        }
        guard let ikePolicy, let local, let remote, let remoteID, let localAuth, let remoteAuth, let policies else { return nil }
        return VPNDefinition(name: name, ikePolicy: ikePolicy.value, ipsecPolicy: ipsecPolicy?.value, localAddress: .v4(local.value),
                             remoteAddress: remote.value, localID: localID?.value, remoteID: remoteID.value,
                             localAuth: localAuth, remoteAuth: remoteAuth, psk: psk, allowWeakPSK: allowWeak,
                             securityPolicies: policies, location: r.location)
    }

    /// A psk when a side uses one (here or in `psks`), and none when no side does.
    private static func checkPSK(_ r: MappingReader, local: IKELocalAuth, remote: IKERemoteAuth, remoteID: IKEIdentity?,
                                 psks: IKEPSKSection.Table) {
        let users = [local == .psk ? "local-auth" : nil, remote == .psk ? "remote-auth" : nil].compactMap { $0 }
        if users.isEmpty {
            if r.has("psk") {
                r.context.report(.conflict, at: r.valueLocation("psk"), key: r.path("psk"),
                                 "the psk is not used: both sides authenticate with certificates")
            }
            return
        }
        guard !r.has("psk"), let remoteID, !psks.covers(remoteID) else { return }
        r.context.report(.missingKey, at: r.location, key: r.path("psk"),
                         "\(users.joined(separator: " and ")) \(users.count == 1 ? "is" : "are") psk, but there is no psk here "
                         + "and no psks entry for remote-id '\(remoteID)'")
    }

    /// An IPv4 address of a port (as `ipsec.sas` checks `local`).
    private static func readLocal(_ r: MappingReader, environment: Environment) -> Located<IPv4Address>? {
        guard let node = r.required("local-address"), let text = r.reader.string(node, key: r.path("local-address")),
              let local = IPsecValues.outerAddress(text, context: r.context) else { return nil }
        guard environment.portAddresses.contains(.v4(local.value)) else {
            guard environment.portAddressesComplete else { return nil }
            r.context.report(.notFound, at: local.location, key: local.key,
                             "\(local.value) is not an address of any port; IKE and the tunnels use a port's address")
            return nil
        }
        return local
    }

    /// `any`, an address or a network, of the local address's family (IPv4).
    private static func readRemote(_ r: MappingReader) -> Located<IKERemoteAddress>? {
        guard let node = r.required("remote-address"), let text = r.reader.string(node, key: r.path("remote-address")) else { return nil }
        let remote: IKERemoteAddress
        if text.value == "any" || text.value == "%any" {
            return Located(value: .any, location: text.location, key: text.key)
        } else if let address = IPAddress(text.value) {
            remote = .address(address)
        } else if text.value.contains("/") {
            guard let network = IPsecValues.network(text, what: "a network", context: r.context) else { return nil }
            remote = .prefix(network.value)
        } else {
            r.context.report(.invalidValue, at: text.location, key: text.key,
                             "'\(text.value)' is not any, an address (198.51.100.7) or a network (198.51.100.0/24)")
            return nil
        }
        let ipv4: Bool
        switch remote {
        case .address(let a): ipv4 = a.isIPv4
        case .prefix(let p): ipv4 = p.isIPv4
        case .any: ipv4 = true
        }
        guard ipv4 else {
            r.context.report(.conflict, at: text.location, key: text.key,
                             "\(remote) is IPv6 but local-address is IPv4; both ends of a tunnel are of one family")
            return nil
        }
        return Located(value: remote, location: text.location, key: text.key)
    }

    private static func readLocalAuth(_ r: MappingReader) -> IKELocalAuth? {
        guard let m = authMapping(r, "local-auth", known: localAuthKeys), let method = method(m) else { return nil }
        guard method == "certificate" else {
            onlyWithCertificates(m, ["certificate", "private-key"])
            return .psk
        }
        let certificate = file(m, "certificate", what: "certificate"), key = file(m, "private-key", what: "private key")
        guard let certificate, let key else { return nil }
        return .certificate(certificate: certificate, privateKey: key)
    }

    private static func readRemoteAuth(_ r: MappingReader) -> IKERemoteAuth? {
        guard let m = authMapping(r, "remote-auth", known: remoteAuthKeys), let method = method(m) else { return nil }
        guard method == "certificate" else {
            onlyWithCertificates(m, ["ca"])
            return .psk
        }
        guard let node = m.required("ca"), let items = m.reader.list(node, key: m.path("ca")) else { return nil }
        guard !items.isEmpty else {
            m.context.report(.invalidValue, at: m.context.location(of: node), key: m.path("ca"),
                             "at least one CA certificate is required")
            return nil
        }
        let files = items.compactMap { item in
            m.reader.string(item.node, key: item.key).flatMap { IKEValues.readableFile($0, what: "CA certificate", context: m.context) }
        }
        return files.count == items.count ? .certificate(ca: files) : nil
    }

    private static func authMapping(_ r: MappingReader, _ name: String, known: [String]) -> MappingReader? {
        guard let node = r.required(name) else { return nil }
        return MappingReader(node, key: r.path(name), known: known, context: r.context, location: r.keyLocation(name), nullIsEmpty: true)
    }

    private static func method(_ m: MappingReader) -> String? {
        guard m.required("method") != nil else { return nil }
        return m.choice("method", of: methods)?.value
    }

    private static func onlyWithCertificates(_ m: MappingReader, _ keys: [String]) {
        for key in keys where m.has(key) {
            m.context.report(.conflict, at: m.keyLocation(key), key: m.path(key), "\(key) goes with method: certificate (this is psk)")
        }
    }

    private static func file(_ m: MappingReader, _ name: String, what: String) -> String? {
        guard let node = m.required(name), let text = m.reader.string(node, key: m.path(name)) else { return nil }
        return IKEValues.readableFile(text, what: what, context: m.context)
    }
}
