import StraitCore
import Yams

/// The `ha` section: optional; needs the `vrrp` group it follows. The sync link runs over a
/// port's kernel mirror: `sync.local-address` must be one of that port's addresses.
enum HASection {
    static let name = "ha"
    static let keys = ["node-id", "listen-vrrp-group", "sync", "key", "seqnum-sync"]
    static let syncKeys = ["interface", "local-address", "remote-address", "port"]
    static let seqKeys = ["oseq-shift", "sync-period-time", "sync-period-packets"]

    struct Result {
        var config: HAConfig?
        var keySites: [Redaction.Site] = []
    }

    static func read(from root: MappingReader, ports: PortsSection.Result, vrrp: VRRPConfig) -> Result {
        guard let r = root.mapping(name, known: keys) else { return Result() }
        let context = r.context
        let before = context.errors.count
        var result = Result()
        let nodeID = r.required("node-id").flatMap { _ in r.int("node-id", in: HADefaults.nodeIDRange) }
        let group = r.required("listen-vrrp-group").flatMap { r.reader.string($0, key: r.path("listen-vrrp-group")) }
        if let group, !vrrp.groups.contains(where: { $0.name == group.value }) {
            let known = vrrp.groups.map(\.name)
            context.report(.notFound, at: group.location, key: group.key, "no vrrp group is called '\(group.value)'"
                           + (known.isEmpty ? "; the ha section follows a vrrp group: define one under vrrp.groups" : "; groups: \(known.joined(separator: ", "))"))
        }
        let sync = readSync(r, ports: ports)
        var key: SAKey?
        if let node = r.required("key") {
            if let top = root.node(name), let site = Redaction.Site(mapping: top, keyAt: r.keyLocation("key"), value: node) {
                result.keySites.append(site)
            }
            key = readKey(r, node)
        }
        var seq = HASeqnumSyncConfig()
        if let s = r.mapping("seqnum-sync", known: seqKeys) {
            if let shift = s.int("oseq-shift", in: 1...Int(Int32.max)) { seq.oseqShift = UInt64(shift.value) }
            if let period = IKEValues.duration(s, "sync-period-time") {
                if period.value < .milliseconds(10) || period.value > .seconds(3600) {
                    context.report(.outOfRange, at: period.location, key: period.key, "\(IKEValues.text(period.value)) is out of range 10ms...1h")
                } else {
                    seq.syncPeriodTime = period.value
                }
            }
            if let packets = s.int("sync-period-packets", in: 1...Int(Int32.max)) { seq.syncPeriodPackets = UInt64(packets.value) }
        }
        guard context.errors.count == before, let nodeID, let group, let sync, let key else { return result }
        result.config = HAConfig(nodeID: nodeID.value, listenVRRPGroup: group.value, sync: sync, key: key, seqnumSync: seq,
                                 location: r.location)
        return result
    }

    private static func readSync(_ r: MappingReader, ports: PortsSection.Result) -> HASyncLinkConfig? {
        guard r.required("sync") != nil, let s = r.mapping("sync", known: syncKeys) else { return nil }
        let context = r.context
        let interface = s.required("interface").flatMap { s.reader.string($0, key: s.path("interface")) }
        let port = interface.flatMap { i in ports.entries.first { $0.config.name == i.value } }
        if let interface, port == nil, ports.complete {
            context.report(.notFound, at: interface.location, key: interface.key,
                           "no port is called '\(interface.value)'; ports: \(ports.entries.map(\.config.name).joined(separator: ", "))")
        }
        func address(_ key: String) -> Located<IPAddress>? {
            guard let node = s.required(key), let text = s.reader.string(node, key: s.path(key)) else { return nil }
            guard let a = IPAddress(text.value) else {
                context.report(.invalidValue, at: text.location, key: text.key, "'\(text.value)' is not an IP address")
                return nil
            }
            return Located(value: a, location: text.location, key: text.key)
        }
        let local = address("local-address"), remote = address("remote-address")
        if let local, let port, !port.config.addresses.contains(where: { $0.address == local.value }) {
            context.report(.conflict, at: local.location, key: local.key,
                           "\(local.value) is not an address of port '\(port.config.name)': the sync link leaves from the port's kernel mirror")
        }
        if let local, let remote {
            if local.value.isIPv4 != remote.value.isIPv4 {
                context.report(.conflict, at: remote.location, key: remote.key, "\(remote.value) is not of local-address's family")
            } else if local.value == remote.value {
                context.report(.conflict, at: remote.location, key: remote.key, "the peer's address is this node's own")
            }
        }
        let number = s.int("port", in: 1...65535)
        guard let interface, let local, let remote else { return nil }
        return HASyncLinkConfig(interface: interface.value, localAddress: local.value, remoteAddress: remote.value,
                                port: number?.value ?? HADefaults.port)
    }

    /// 32 bytes as 64 hex digits (0x optional). Errors never repeat the value.
    private static func readKey(_ r: MappingReader, _ node: Node) -> SAKey? {
        guard let text = r.reader.string(node, key: r.path("key")) else { return nil }
        guard let bytes = IPsecValues.hexBytes(text.value) else {
            r.context.report(.invalidValue, at: text.location, key: text.key, "the key is not hex: write 32 bytes as 64 hex digits (0x optional)")
            return nil
        }
        guard bytes.count == HADefaults.keyBytes else {
            r.context.report(.invalidValue, at: text.location, key: text.key, "the key has \(bytes.count) bytes; expected 32 (64 hex digits)")
            return nil
        }
        return SAKey(bytes: bytes)
    }
}
