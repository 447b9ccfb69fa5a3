import StraitCore

/// The `vrrp` section: VRRPv3 virtual routers on the ports' kernel mirrors, and groups of
/// them that change state together. Optional. Each instance names a port; an IPv4 instance
/// needs an IPv4 address on that port (the advertisements' source and the tie-break), an
/// IPv6 one uses the mirror's link-local address (RFC 5798 5.1.2.1).
enum VRRPSection {
    static let name = "vrrp"
    static let keys = ["instances", "groups", "startup-delay", "track-interval", "worker-stuck-after"]
    static let instanceKeys = ["name", "interface", "vrid", "priority", "advert-interval", "preempt", "preempt-delay",
                               "accept-mode", "virtual-addresses", "unicast-peers", "checksum", "garp", "use-vmac",
                               "startup-delay", "track"]
    static let garpKeys = ["count", "refresh", "interval"]
    static let groupKeys = ["name", "instances"]

    static func read(from root: MappingReader, ports: PortsSection.Result) -> VRRPConfig {
        guard let r = root.mapping(name, known: keys) else { return VRRPConfig() }
        let instances = readInstances(r, ports: ports)
        let groups = readGroups(r, instances: instances)
        var config = VRRPConfig(instances: instances.compactMap { $0 }, groups: groups)
        config.startupDelay = centiseconds(r, "startup-delay", in: 0...VRRPDefaults.maxDelay, rangeText: "0...1h")?.value ?? 0
        config.trackInterval = centiseconds(r, "track-interval", in: 1...100, rangeText: "10ms...1s")?.value ?? config.trackInterval
        config.workerStuckAfter = centiseconds(r, "worker-stuck-after", in: 5...6000, rangeText: "50ms...60s")?.value
            ?? config.workerStuckAfter
        return config
    }

    /// One entry per item (nil where it could not be read), so groups can tell "unknown" from "broken".
    private static func readInstances(_ r: MappingReader, ports: PortsSection.Result) -> [VRRPInstanceConfig?] {
        guard let node = r.required("instances"), let items = r.reader.list(node, key: r.path("instances")) else { return [] }
        let context = r.context
        if items.isEmpty {
            context.report(.invalidValue, at: context.location(of: node), key: r.path("instances"), "at least one instance is required")
        }
        var names: [String: Int] = [:]
        var vrids: [String: String] = [:]   // "port/family/vrid" -> the instance's key
        var out: [VRRPInstanceConfig?] = []
        for item in items {
            let before = context.errors.count
            guard let m = MappingReader(item.node, key: item.key, known: instanceKeys, context: context) else {
                out.append(nil)
                continue
            }
            let name = m.required("name").flatMap { m.reader.string($0, key: m.path("name")) }
            if let name {
                if let line = names[name.value] {
                    context.report(.duplicateValue, at: name.location, key: name.key, "instance '\(name.value)' is already defined on line \(line)")
                } else {
                    names[name.value] = name.location.line
                }
            }
            let interface = m.required("interface").flatMap { m.reader.string($0, key: m.path("interface")) }
            let port = interface.flatMap { i in ports.entries.first { $0.config.name == i.value } }
            if let interface, port == nil, ports.complete {
                context.report(.notFound, at: interface.location, key: interface.key,
                               "no port is called '\(interface.value)'; ports: \(ports.entries.map(\.config.name).joined(separator: ", "))")
            }
            let vrid = m.required("vrid").flatMap { _ in m.int("vrid", in: 1...255) }
            let priority = m.int("priority", in: 1...255)
            let interval = centiseconds(m, "advert-interval", in: VRRPDefaults.advertIntervalRange, rangeText: "10ms...40950ms")
            let preempt = m.bool("preempt")
            let delay = centiseconds(m, "preempt-delay", in: 0...VRRPDefaults.maxDelay, rangeText: "0...1h")
            if let accept = m.bool("accept-mode"), !accept.value {
                context.report(.invalidValue, at: accept.location, key: accept.key,
                               "accept-mode false is not supported: the virtual addresses are the tunnels' endpoints, "
                               + "so the Master must accept IKE and ESP sent to them (as keepalived does without vrrp_strict)")
            }
            if let vmac = m.bool("use-vmac"), vmac.value {
                context.report(.invalidValue, at: vmac.location, key: vmac.key,
                               "use-vmac is not supported yet: the Master uses the port's own MAC and announces it with gratuitous ARP / unsolicited NA")
            }
            let addresses = readAddresses(m)
            let isIPv4 = addresses.first?.address.isIPv4
            let peers = readPeers(m, isIPv4: isIPv4)
            let checksum = m.choice("checksum", of: VRRPChecksumMode.allCases.map(\.rawValue)).flatMap { c -> VRRPChecksumMode? in
                let mode = VRRPChecksumMode(rawValue: c.value)!
                if mode == .v2Compatible, isIPv4 == false {
                    context.report(.conflict, at: c.location, key: c.key, "v2-compatible applies to IPv4 only; IPv6 always includes the pseudo-header")
                }
                return mode
            }
            var garpCount = VRRPDefaults.garpCount, garpRefresh = VRRPDefaults.garpRefresh, garpInterval = 0
            let startupDelay = centiseconds(m, "startup-delay", in: 0...VRRPDefaults.maxDelay, rangeText: "0...1h")?.value
            let track = VRRPTrackSection.read(m, ports: ports, priority: priority?.value ?? VRRPDefaults.priority)
            if let g = m.mapping("garp", known: garpKeys) {
                garpInterval = centiseconds(g, "interval", in: 0...100, rangeText: "0...1s")?.value ?? 0
                garpCount = g.int("count", in: VRRPDefaults.garpCountRange)?.value ?? garpCount
                if let refresh = centiseconds(g, "refresh", in: 0...VRRPDefaults.maxDelay, rangeText: "0...1h") {
                    garpRefresh = refresh.value == 0 ? nil : refresh.value
                }
            }
            if let port, let isIPv4, isIPv4, !port.config.addresses.contains(where: { $0.address.isIPv4 }), let interface {
                context.report(.conflict, at: interface.location, key: interface.key,
                               "port '\(interface.value)' has no IPv4 address: an IPv4 instance sends its advertisements from the port's first IPv4 address")
            }
            if let interface, let vrid, let isIPv4 {
                let slot = "\(interface.value)/\(isIPv4 ? 4 : 6)/\(vrid.value)"
                if let other = vrids[slot] {
                    context.report(.duplicateValue, at: vrid.location, key: vrid.key,
                                   "VRID \(vrid.value) is already used on \(interface.value) for IPv\(isIPv4 ? 4 : 6) by \(other)")
                } else {
                    vrids[slot] = item.key
                }
            }
            guard context.errors.count == before, let name, let interface, let vrid, !addresses.isEmpty else {
                out.append(nil)
                continue
            }
            var instance = VRRPInstanceConfig(
                name: name.value, interface: interface.value, vrid: vrid.value, priority: priority?.value ?? VRRPDefaults.priority,
                advertInterval: interval?.value ?? VRRPDefaults.advertInterval, preempt: preempt?.value ?? true,
                preemptDelay: delay?.value ?? 0, acceptMode: true, virtualAddresses: addresses, unicastPeers: peers,
                checksum: checksum ?? .rfc5798, garpCount: garpCount, garpRefresh: garpRefresh, location: m.location)
            instance.garpInterval = garpInterval
            instance.startupDelay = startupDelay
            instance.track = track
            out.append(instance)
        }
        return out
    }

    /// `virtual-addresses`: prefixes (203.0.113.100/24), at least one, all of one family, distinct.
    private static func readAddresses(_ m: MappingReader) -> [IPPrefix] {
        guard let node = m.required("virtual-addresses"), let list = m.reader.list(node, key: m.path("virtual-addresses")) else { return [] }
        let context = m.context
        if list.isEmpty {
            context.report(.invalidValue, at: context.location(of: node), key: m.path("virtual-addresses"), "at least one address is required")
        }
        var out: [IPPrefix] = []
        for element in list {
            guard let text = m.reader.string(element.node, key: element.key) else { continue }
            guard let prefix = IPPrefix(text.value) else {
                context.report(.invalidValue, at: text.location, key: text.key, "'\(text.value)' is not an address with a prefix length (203.0.113.100/24)")
                continue
            }
            if let first = out.first, first.address.isIPv4 != prefix.address.isIPv4 {
                context.report(.conflict, at: text.location, key: text.key,
                               "\(text.value) is not of the family of \(first): one instance carries one family; use a second instance")
                continue
            }
            guard !out.contains(where: { $0.address == prefix.address }) else {
                context.report(.duplicateValue, at: text.location, key: text.key, "\(prefix.address) is already listed")
                continue
            }
            out.append(prefix)
        }
        return out
    }

    private static func readPeers(_ m: MappingReader, isIPv4: Bool?) -> [IPAddress] {
        guard let list = m.list("unicast-peers") else { return [] }
        var out: [IPAddress] = []
        for element in list {
            guard let text = m.reader.string(element.node, key: element.key) else { continue }
            guard let address = IPAddress(text.value) else {
                m.context.report(.invalidValue, at: text.location, key: text.key, "'\(text.value)' is not an IP address")
                continue
            }
            if let isIPv4, address.isIPv4 != isIPv4 {
                m.context.report(.conflict, at: text.location, key: text.key, "\(address) is not of the virtual addresses' family")
                continue
            }
            out.append(address)
        }
        return out
    }

    private static func readGroups(_ r: MappingReader, instances: [VRRPInstanceConfig?]) -> [VRRPGroupConfig] {
        guard let items = r.list("groups") else { return [] }
        let context = r.context
        let known = Set(instances.compactMap { $0?.name })
        let complete = !instances.contains { $0 == nil }
        var names: Set<String> = []
        var member: [String: String] = [:]   // instance -> group
        var out: [VRRPGroupConfig] = []
        for item in items {
            let before = context.errors.count
            guard let m = MappingReader(item.node, key: item.key, known: groupKeys, context: context) else { continue }
            let name = m.required("name").flatMap { m.reader.string($0, key: m.path("name")) }
            if let name, !names.insert(name.value).inserted {
                context.report(.duplicateValue, at: name.location, key: name.key, "group '\(name.value)' is already defined")
            }
            var list: [String] = []
            if let node = m.required("instances"), let elements = m.reader.list(node, key: m.path("instances")) {
                if elements.isEmpty {
                    context.report(.invalidValue, at: context.location(of: node), key: m.path("instances"), "at least one instance is required")
                }
                for element in elements {
                    guard let text = m.reader.string(element.node, key: element.key) else { continue }
                    if !known.contains(text.value) {
                        if complete {
                            context.report(.notFound, at: text.location, key: text.key, "no instance is called '\(text.value)'")
                        }
                        continue
                    }
                    if let other = member[text.value] {
                        context.report(.conflict, at: text.location, key: text.key, "instance '\(text.value)' is already in group '\(other)'")
                        continue
                    }
                    member[text.value] = name?.value ?? item.key
                    list.append(text.value)
                }
            }
            guard context.errors.count == before, let name else { continue }
            out.append(VRRPGroupConfig(name: name.value, instances: list, location: m.location))
        }
        return out
    }

    /// A duration in whole centiseconds (`100ms`, `1s`); reports what is wrong and returns nil.
    static func centiseconds(_ m: MappingReader, _ key: String, in range: ClosedRange<Int>, rangeText: String) -> Located<Int>? {
        guard let d = IKEValues.duration(m, key) else { return nil }
        let ms = d.value.components.seconds * 1000 + d.value.components.attoseconds / 1_000_000_000_000_000
        guard ms % 10 == 0 else {
            m.context.report(.invalidValue, at: d.location, key: d.key, "\(IKEValues.text(d.value)) is not a whole number of centiseconds (10ms steps)")
            return nil
        }
        let cs = Int(ms / 10)
        guard range.contains(cs) else {
            m.context.report(.outOfRange, at: d.location, key: d.key, "\(IKEValues.text(d.value)) is out of range \(rangeText)")
            return nil
        }
        return Located(value: cs, location: d.location, key: d.key)
    }
}
