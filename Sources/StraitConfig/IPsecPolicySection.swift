import StraitCore
import Yams

/// `ipsec.policies`: the outbound security policy database. A `protect` policy names an
/// outbound SA whose traffic selectors cover the policy's.
enum IPsecPolicySection {
    static let name = "policies"
    static let keys = ["local-ts", "remote-ts", "protocol", "local-port", "remote-port", "priority", "action", "sa"]
    static let actions = PolicyConfig.Action.allCases.map(\.rawValue)

    /// The selectors that make two policies the same (the later one could never match first).
    private struct Selectors: Hashable {
        var local: IPPrefix, remote: IPPrefix, proto: IPProtocolSelector, localPort: Int, remotePort: Int
    }

    static func read(_ parent: MappingReader, sas: IPsecSASection.Table) -> [PolicyConfig] {
        guard let items = parent.list(name) else { return [] }
        let context = parent.context
        var seen: [Selectors: (key: String, line: Int)] = [:]
        var policies: [PolicyConfig] = []
        for item in items {
            guard let policy = readPolicy(item.node, key: item.key, sas: sas, context: context) else { continue }
            let selectors = Selectors(local: policy.localTS, remote: policy.remoteTS, proto: policy.proto,
                                      localPort: policy.localPort, remotePort: policy.remotePort)
            if let earlier = seen[selectors] {
                context.report(.duplicateValue, at: policy.location, key: item.key,
                               "the same selectors as \(earlier.key) (line \(earlier.line)): \(policy.localTS) -> "
                               + "\(policy.remoteTS) protocol \(policy.proto); only one of them could ever match")
                continue
            }
            seen[selectors] = (item.key, policy.location.line)
            policies.append(policy)
        }
        return policies
    }

    private static func readPolicy(_ node: Node, key: String, sas: IPsecSASection.Table, context: LoadContext) -> PolicyConfig? {
        let errorsBefore = context.errors.count
        guard let r = MappingReader(node, key: key, known: keys, context: context, recordsValueLocations: false) else {
            return nil
        }
        let localTS = IPsecValues.requiredNetwork(r, "local-ts", what: "a traffic selector")
        let remoteTS = IPsecValues.requiredNetwork(r, "remote-ts", what: "a traffic selector")
        let sameFamily = IPsecValues.sameFamily(localTS, remoteTS, context: context)
        let proto = readProtocol(r, ipv4: sameFamily ? localTS?.value.isIPv4 : nil)
        let localPort = readPort(r, "local-port", proto: proto)
        let remotePort = readPort(r, "remote-port", proto: proto)
        let priority = r.int("priority", in: 0...Int(UInt32.max))
        let action = r.required("action") == nil ? nil
            : r.choice("action", of: actions).flatMap { PolicyConfig.Action(rawValue: $0.value) }
        let sa = readSA(r, action: action, sas: sas)
        if let sa, let config = sas.entry(named: sa.value), let localTS, let remoteTS, sameFamily {
            checkInsideSA(sa, config, local: localTS.value, remote: remoteTS.value, context: context)
        }

        guard let localTS, let remoteTS, sameFamily, let proto, let localPort, let remotePort, let action,
              context.errors.count == errorsBefore else { return nil }
        return PolicyConfig(localTS: localTS.value, remoteTS: remoteTS.value, proto: proto, localPort: localPort,
                            remotePort: remotePort, priority: priority?.value ?? IPsecDefaults.policyPriority,
                            action: action, sa: sa?.value, location: r.location)
    }

    /// `any`, `tcp`, `udp`, `icmp`, `icmpv6` or a number 0-255 (0 is any). ICMP must match the selectors' family.
    private static func readProtocol(_ r: MappingReader, ipv4: Bool?) -> IPProtocolSelector? {
        guard let text = r.string("protocol") else { return r.has("protocol") ? nil : .any }
        let selector: IPProtocolSelector
        if NodeReader.isDecimalInteger(text.value) {
            guard let n = Int(text.value), (0...255).contains(n) else {
                r.context.report(.outOfRange, at: text.location, key: text.key, "\(text.value) is out of range 0...255")
                return nil
            }
            selector = IPProtocolSelector(number: UInt8(n))
        } else if let named = IPProtocolSelector.names.first(where: { $0.name == text.value }) {
            selector = named.selector
        } else {
            let names = IPProtocolSelector.names.map(\.name)
            var message = "'\(text.value)' is not one of \(names.joined(separator: ", ")) or a protocol number 0-255"
            if let close = Suggestion.closest(to: text.value, in: names) { message += "; did you mean '\(close)'?" }
            r.context.report(.invalidValue, at: text.location, key: text.key, message)
            return nil
        }
        if let ipv4, (selector == .icmp && !ipv4) || (selector == .icmpv6 && ipv4) {
            r.context.report(.conflict, at: text.location, key: text.key,
                             "\(selector) does not go with \(ipv4 ? "IPv4" : "IPv6") selectors; use \(ipv4 ? "icmp" : "icmpv6")")
            return nil
        }
        return selector
    }

    /// A port selector: 0 (any) to 65535, only with TCP or UDP.
    private static func readPort(_ r: MappingReader, _ name: String, proto: IPProtocolSelector?) -> Int? {
        guard let port = r.int(name, in: 0...65535) else { return r.has(name) ? nil : 0 }
        guard let proto else { return nil }
        guard proto.hasPorts || port.value == 0 else {
            r.context.report(.conflict, at: port.location, key: port.key,
                             "port selectors need protocol tcp or udp (this policy has protocol \(proto))")
            return nil
        }
        return port.value
    }

    /// `sa`: required with `protect` (an outbound SA), not allowed with `bypass` and `discard`.
    private static func readSA(_ r: MappingReader, action: PolicyConfig.Action?, sas: IPsecSASection.Table) -> Located<String>? {
        let context = r.context
        guard let action else { return nil }
        guard action == .protect else {
            if r.has("sa") {
                context.report(.conflict, at: r.valueLocation("sa"), key: r.path("sa"),
                               "a \(action.rawValue) policy uses no SA; 'sa' goes with action protect")
            }
            return nil
        }
        guard r.has("sa") else {
            context.report(.missingKey, at: r.location, key: r.path("sa"), "action protect needs 'sa': the outbound SA to use")
            return nil
        }
        guard let name = r.string("sa") else { return nil }
        return IPsecReferences.outboundSA(name, sas: sas, context: context, user: "a policy")
    }

    /// The policy's selectors must lie inside the SA's, or the peer drops what it receives.
    private static func checkInsideSA(_ name: Located<String>, _ sa: IPsecSASection.Entry, local: IPPrefix, remote: IPPrefix,
                                      context: LoadContext) {
        guard let saLocal = sa.localTS, let saRemote = sa.remoteTS else { return }
        guard !(saLocal.contains(local) && saRemote.contains(remote)) else { return }
        context.report(.conflict, at: name.location, key: name.key,
                       "the policy's selectors \(local) -> \(remote) are not inside SA '\(name.value)''s "
                       + "\(saLocal) -> \(saRemote); the peer would drop that traffic")
    }
}

/// Checks shared by policies and tunnel routes: a reference to an outbound SA.
enum IPsecReferences {
    /// The name, when it names an outbound SA; reports unknown names (when all names are
    /// known) and inbound SAs. `user` is `a policy` or `a tunnel route`.
    static func outboundSA(_ name: Located<String>, sas: IPsecSASection.Table, context: LoadContext, user: String) -> Located<String>? {
        guard let entry = sas.entry(named: name.value) else {
            if sas.complete {
                context.report(.notFound, at: name.location, key: name.key,
                               IPsecValues.unknownSAMessage(name.value, known: sas.names))
            }
            return nil
        }
        if entry.direction == .inbound {
            context.report(.conflict, at: name.location, key: name.key,
                           "SA '\(name.value)' is inbound (\(entry.key)); \(user) sends with a direction: out SA")
            return nil
        }
        return name
    }
}
