import StraitCore
import Yams

/// The `ports` section: a list of DPDK ports, each with a name, a device and addresses.
enum PortsSection {
    static let name = "ports"
    static let keys = ["name", "device", "mtu", "nb-rxd", "nb-txd", "mac", "addresses"]

    /// A port as read, with the places of the values that cross-port checks point at.
    struct Entry {
        var config: PortConfig
        var key: String
        var name: Located<String>?
        var device: Located<DeviceSpec>?
        var addresses: [Located<IPPrefix>]
    }

    /// The ports that could be read; `complete` is false when the list or one of its items
    /// could not be read at all (so checks that need every port must stay quiet).
    struct Result {
        var entries: [Entry] = []
        var complete = false
    }

    static func read(from root: MappingReader, fastPath: FastPathSettings) -> Result {
        let context = root.context
        guard let node = root.required(name), let items = root.reader.list(node, key: root.path(name)) else { return Result() }
        if items.isEmpty {
            context.report(.invalidValue, at: context.location(of: node), key: root.path(name), "at least one port is required")
        }
        let entries = items.compactMap { readPort($0.node, key: $0.key, fastPath: fastPath, context: context) }
        PortChecks.run(entries, context: context)
        return Result(entries: entries, complete: entries.count == items.count)
    }

    private static func readPort(_ node: Node, key: String, fastPath: FastPathSettings, context: LoadContext) -> Entry? {
        guard let r = MappingReader(node, key: key, known: keys, context: context) else { return nil }
        var port = PortConfig(name: "", device: "", rxDescriptors: fastPath.rxDescriptors,
                              txDescriptors: fastPath.txDescriptors, location: r.location)
        var entry = Entry(config: port, key: key, name: nil, device: nil, addresses: [])

        if let nameNode = r.required("name"), let name = r.reader.string(nameNode, key: r.path("name")) {
            if Rules.isPortName(name.value) {
                port.name = name.value
                entry.name = name
            } else {
                context.report(.invalidValue, at: name.location, key: name.key,
                               "'\(name.value)' is not a valid port name: a-z first, then up to 14 of a-z, 0-9 and '_'")
            }
        }
        if let deviceNode = r.required("device"), let device = r.reader.string(deviceNode, key: r.path("device")),
           let spec = readDevice(device, context: context) {
            port.device = device.value
            entry.device = Located(value: spec, location: device.location, key: device.key)
        }
        let mtu = r.int("mtu", in: Limits.mtu)
        if let mtu { port.mtu = mtu.value }
        if let rxd = Rules.descriptors(r, "nb-rxd") { port.rxDescriptors = rxd }
        if let txd = Rules.descriptors(r, "nb-txd") { port.txDescriptors = txd }
        if let mac = r.string("mac") { port.mac = readMAC(mac, context: context) }
        if let items = r.list("addresses") {
            entry.addresses = items.compactMap { item in
                r.reader.string(item.node, key: item.key).flatMap { readAddress($0, context: context) }
            }
            port.addresses = entry.addresses.map(\.value)
        }
        if let mtu, mtu.value < Limits.ipv6MinimumMTU, let v6 = entry.addresses.first(where: { !$0.value.isIPv4 }) {
            context.report(.outOfRange, at: mtu.location, key: mtu.key,
                           "\(mtu.value) is below \(Limits.ipv6MinimumMTU), the IPv6 minimum (the port has \(v6.value))")
        }
        entry.config = port
        return entry
    }

    /// Parses the device and checks that it can be opened here.
    private static func readDevice(_ device: Located<String>, context: LoadContext) -> DeviceSpec? {
        let spec: DeviceSpec
        switch DeviceSpec.parse(device.value) {
        case .failure(let error):
            context.report(.invalidValue, at: device.location, key: device.key, error.description)
            return nil
        case .success(let parsed):
            spec = parsed
        }
        switch spec {
        case .pci(let address):
            guard context.facts.pciDeviceExists(address) else {
                context.report(.notFound, at: device.location, key: device.key,
                               "PCI device \(address) does not exist: a port that cannot be opened")
                return nil
            }
        case .virtual(_, let driver, _) where driver == "af_packet":
            guard let iface = spec.argument("iface") else {
                context.report(.invalidValue, at: device.location, key: device.key,
                               "an af_packet device needs iface=<interface>: a port that cannot be opened")
                return nil
            }
            guard context.facts.interfaceExists(iface) else {
                context.report(.notFound, at: device.location, key: device.key,
                               "interface '\(iface)' does not exist: a port that cannot be opened")
                return nil
            }
        case .virtual:
            break
        }
        return spec
    }

    private static func readMAC(_ mac: Located<String>, context: LoadContext) -> MACAddress? {
        guard let address = MACAddress(mac.value) else {
            context.report(.invalidValue, at: mac.location, key: mac.key, "'\(mac.value)' is not a MAC address (02:00:00:00:00:01)")
            return nil
        }
        guard !address.isZero, !address.isMulticast else {
            context.report(.invalidValue, at: mac.location, key: mac.key,
                           "\(address) is \(address.isZero ? "all zeros" : "a multicast address"); a port needs a unicast MAC")
            return nil
        }
        return address
    }

    /// An interface address: `10.1.0.1/24` or `fd00::1/64`; the prefix length is required.
    private static func readAddress(_ text: Located<String>, context: LoadContext) -> Located<IPPrefix>? {
        guard let prefix = IPPrefix(text.value) else {
            context.report(.invalidValue, at: text.location, key: text.key,
                           "'\(text.value)' is not an address with a prefix length (10.1.0.1/24, fd00::1/64)")
            return nil
        }
        guard text.value.contains("/") else {
            context.report(.invalidValue, at: text.location, key: text.key,
                           "'\(text.value)' needs a prefix length, e.g. \(text.value)/\(prefix.isIPv4 ? 24 : 64)")
            return nil
        }
        return Located(value: prefix, location: text.location, key: text.key)
    }
}
