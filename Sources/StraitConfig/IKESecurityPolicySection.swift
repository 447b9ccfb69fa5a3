import StraitCore
import Yams

/// A VPN's `security-policies`: named pairs of traffic-selector lists, each with the CHILD SA
/// template it uses (its own `ipsec-policy`, else the VPN's).
enum IKESecurityPolicySection {
    static let name = "security-policies"
    static let keys = ["name", "local-ts", "remote-ts", "ipsec-policy"]

    /// What a VPN passes down: its templates, its own `ipsec-policy` as written, and a check
    /// for templates that would initiate.
    struct Environment {
        var templates: IKETemplateSection.Table<IPsecPolicyTemplate>
        /// The VPN's `ipsec-policy` as written (nil when absent or unreadable), and whether the key is there.
        var vpnPolicy: Located<String>?
        var vpnPolicyGiven: Bool
        var checkInitiation: (Located<String>, IKETemplateSection.Entry<IPsecPolicyTemplate>) -> Void
    }

    /// The policies, or nil when any has an error.
    static func read(_ vpn: MappingReader, environment: Environment) -> [SecurityPolicy]? {
        let context = vpn.context
        guard let node = vpn.required(name), let items = vpn.reader.list(node, key: vpn.path(name)) else { return nil }
        guard !items.isEmpty else {
            context.report(.invalidValue, at: context.location(of: node), key: vpn.path(name), "at least one security policy is required")
            return nil
        }
        let errorsBefore = context.errors.count
        var policies: [SecurityPolicy] = []
        var names: [String: Located<String>] = [:]
        var selectors: [[Set<TrafficSelector>]: (key: String, line: Int)] = [:]
        for item in items {
            guard let r = MappingReader(item.node, key: item.key, known: keys, context: context) else { continue }
            let policyErrors = context.errors.count
            let name = IKEValues.name(r, what: "security policy")
            if let name {
                if let earlier = names[name.value] {
                    context.report(.duplicateValue, at: name.location, key: name.key,
                                   "security policy name '\(name.value)' is already used in this VPN (line \(earlier.location.line))")
                } else {
                    names[name.value] = name
                }
            }
            let local = selectorList(r, "local-ts"), remote = selectorList(r, "remote-ts")
            if let local, let remote { checkFamilies(local, remote, context: context) }
            let template = readTemplate(r, environment: environment)
            guard let name, let local, let remote, let template, context.errors.count == policyErrors else { continue }
            let key = [Set(local.map(\.value)), Set(remote.map(\.value))]
            if let earlier = selectors[key] {
                context.report(.duplicateValue, at: r.location, key: item.key,
                               "the same traffic selectors as \(earlier.key) (line \(earlier.line)); only one of them could be used")
                continue
            }
            selectors[key] = (item.key, r.location.line)
            policies.append(SecurityPolicy(name: name.value, localTS: local.map(\.value), remoteTS: remote.map(\.value),
                                           ipsecPolicy: template, location: r.location))
        }
        return context.errors.count == errorsBefore ? policies : nil
    }

    /// The policy's template name: its own (checked) or the VPN's; reports when there is neither.
    private static func readTemplate(_ r: MappingReader, environment: Environment) -> String? {
        if let own = r.string("ipsec-policy") {
            guard let entry = environment.templates.resolve(own, context: r.context) else { return nil }
            environment.checkInitiation(own, entry)
            return own.value
        }
        if r.has("ipsec-policy") { return nil }
        if let vpnPolicy = environment.vpnPolicy { return vpnPolicy.value }
        if !environment.vpnPolicyGiven {
            r.context.report(.missingKey, at: r.location, key: r.path("ipsec-policy"),
                             "no ipsec-policy here or on the VPN: name the ipsec-policy template this policy uses")
        }
        return nil
    }

    /// A required, non-empty list of distinct traffic selectors.
    private static func selectorList(_ r: MappingReader, _ name: String) -> [Located<TrafficSelector>]? {
        let context = r.context
        guard let node = r.required(name), let items = r.reader.list(node, key: r.path(name)) else { return nil }
        guard !items.isEmpty else {
            context.report(.invalidValue, at: context.location(of: node), key: r.path(name), "at least one traffic selector is required")
            return nil
        }
        var selectors: [Located<TrafficSelector>] = [], failed = false
        for item in items {
            guard let text = r.reader.string(item.node, key: item.key), let ts = trafficSelector(text, context: context) else {
                failed = true
                continue
            }
            if let earlier = selectors.first(where: { $0.value == ts.value }) {
                context.report(.duplicateValue, at: ts.location, key: ts.key, "\(ts.value) is already given as \(earlier.key)")
                failed = true
                continue
            }
            selectors.append(ts)
        }
        return failed ? nil : selectors
    }

    /// A CHILD SA pairs a local and a remote selector of one family: each family on one side needs one on the other.
    private static func checkFamilies(_ local: [Located<TrafficSelector>], _ remote: [Located<TrafficSelector>], context: LoadContext) {
        let localFamilies = Set(local.map(\.value.isIPv4)), remoteFamilies = Set(remote.map(\.value.isIPv4))
        let orphan = remote.first { !localFamilies.contains($0.value.isIPv4) }.map { ($0, "local-ts") }
            ?? local.first { !remoteFamilies.contains($0.value.isIPv4) }.map { ($0, "remote-ts") }
        guard let (selector, other) = orphan else { return }
        let family = selector.value.isIPv4 ? "IPv4" : "IPv6"
        context.report(.conflict, at: selector.location, key: selector.key,
                       "\(selector.value) is \(family) but \(other) has no \(family) selector; a CHILD SA pairs selectors of one family")
    }

    /// `10.1.0.0/16`, `10.1.0.0/16[udp]`, `10.1.0.0/16[udp/53]`, `10.1.0.0/16[tcp/8000-8080]`, `fd00::/64[58]`.
    static func trafficSelector(_ text: Located<String>, context: LoadContext) -> Located<TrafficSelector>? {
        let form = "write 10.1.0.0/16, or with a protocol and ports: 10.1.0.0/16[udp/53], 10.1.0.0/16[tcp/8000-8080]"
        let parts = text.value.split(separator: "[", maxSplits: 1, omittingEmptySubsequences: false)
        let networkText = Located(value: String(parts[0]), location: text.location, key: text.key)
        guard let prefix = IPsecValues.network(networkText, what: "a traffic selector", context: context) else { return nil }
        guard parts.count == 2 else { return Located(value: TrafficSelector(prefix: prefix.value), location: text.location, key: text.key) }
        guard parts[1].hasSuffix("]"), !parts[1].dropLast().contains("["), !parts[1].dropLast().contains("]") else {
            context.report(.invalidValue, at: text.location, key: text.key, "'\(text.value)' is not a traffic selector: \(form)")
            return nil
        }
        let inner = parts[1].dropLast().split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let proto = protocolSelector(String(inner[0]), text: text, context: context) else { return nil }
        if (proto == .icmp && !prefix.value.isIPv4) || (proto == .icmpv6 && prefix.value.isIPv4) {
            let ipv4 = prefix.value.isIPv4
            context.report(.conflict, at: text.location, key: text.key,
                           "\(proto) does not go with the \(ipv4 ? "IPv4" : "IPv6") network \(prefix.value); use \(ipv4 ? "icmp" : "icmpv6")")
            return nil
        }
        var ports = TrafficSelector.anyPort
        if inner.count == 2 {
            guard let range = portRange(String(inner[1]), text: text, context: context) else { return nil }
            guard proto.hasPorts || range == TrafficSelector.anyPort else {
                context.report(.conflict, at: text.location, key: text.key,
                               "ports need protocol tcp or udp (this selector has protocol \(proto))")
                return nil
            }
            ports = range
        }
        return Located(value: TrafficSelector(prefix: prefix.value, proto: proto, ports: ports), location: text.location, key: text.key)
    }

    private static func protocolSelector(_ name: String, text: Located<String>, context: LoadContext) -> IPProtocolSelector? {
        if let named = IPProtocolSelector.names.first(where: { $0.name == name }) { return named.selector }
        if NodeReader.isDecimalInteger(name), let n = Int(name), (0...255).contains(n) { return IPProtocolSelector(number: UInt8(n)) }
        let names = IPProtocolSelector.names.map(\.name)
        var message = "'\(name)' in '\(text.value)' is not one of \(names.joined(separator: ", ")) or a protocol number 0-255"
        if let close = Suggestion.closest(to: name, in: names) { message += "; did you mean '\(close)'?" }
        context.report(.invalidValue, at: text.location, key: text.key, message)
        return nil
    }

    private static func portRange(_ spec: String, text: Located<String>, context: LoadContext) -> ClosedRange<Int>? {
        let ends = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard ends.allSatisfy(NodeReader.isDecimalInteger), let low = Int(ends[0]), let high = Int(ends[ends.count - 1]) else {
            context.report(.invalidValue, at: text.location, key: text.key,
                           "'\(spec)' in '\(text.value)' is not a port or a port range (53, 8000-8080)")
            return nil
        }
        guard (0...65535).contains(low), (0...65535).contains(high), low <= high else {
            context.report(.outOfRange, at: text.location, key: text.key,
                           "'\(spec)' in '\(text.value)' is out of range: ports are 0...65535, the lower first")
            return nil
        }
        return low...high
    }
}
