import StraitCore

/// Checks across ports: unique names, devices and interfaces; unique addresses; connected
/// subnets of different ports that overlap.
enum PortChecks {
    static func run(_ entries: [PortsSection.Entry], context: LoadContext) {
        checkUnique(entries.compactMap(\.name), what: "port name", context: context)
        checkUnique(entries.compactMap { $0.device.map { Located(value: $0.value.identity, location: $0.location, key: $0.key) } },
                    what: "device", context: context)
        checkUnique(entries.compactMap { entry in
            entry.device.flatMap { device in
                device.value.argument("iface").map { Located(value: $0, location: device.location, key: device.key) }
            }
        }, what: "interface", context: context)
        checkAddresses(entries, context: context)
    }

    /// Reports each value after its first use, naming where it was first used.
    private static func checkUnique(_ values: [Located<String>], what: String, context: LoadContext) {
        var first: [String: Located<String>] = [:]
        for value in values {
            if let earlier = first[value.value] {
                context.report(.duplicateValue, at: value.location, key: value.key,
                               "\(what) '\(value.value)' is already used by \(owner(of: earlier.key)) (line \(earlier.location.line))")
            } else {
                first[value.value] = value
            }
        }
    }

    /// The same IP twice (on one port or two) is a duplicate; the subnets of two ports must not overlap.
    private static func checkAddresses(_ entries: [PortsSection.Entry], context: LoadContext) {
        var seen: [(address: Located<IPPrefix>, port: Int)] = []
        for (portIndex, entry) in entries.enumerated() {
            for address in entry.addresses {
                defer { seen.append((address, portIndex)) }
                if let same = seen.first(where: { $0.address.value.address == address.value.address }) {
                    context.report(.duplicateValue, at: address.location, key: address.key,
                                   "address \(address.value.address) is already on \(same.address.key) (line \(same.address.location.line))")
                    continue
                }
                if let other = seen.first(where: { $0.port != portIndex && $0.address.value.network.overlaps(address.value.network) }) {
                    context.report(.conflict, at: address.location, key: address.key,
                                   "subnet \(address.value.network) overlaps \(other.address.value.network) of \(entries[other.port].key)"
                                   + " (line \(other.address.location.line)); the connected subnets of two ports must not overlap")
                }
            }
        }
    }

    /// `ports[0]` for `ports[0].device`.
    private static func owner(of key: String) -> String {
        guard let dot = key.lastIndex(of: ".") else { return key }
        return String(key[..<dot])
    }
}
