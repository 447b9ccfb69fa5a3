import StraitCore
import Yams

/// The `routes` section: static routes through a gateway (`via`), out of a port, or both. Optional.
enum RoutesSection {
    static let name = "routes"
    static let keys = ["prefix", "via", "port"]

    static func read(from root: MappingReader, ports: PortsSection.Result) -> [StaticRoute] {
        guard let items = root.list(name) else { return [] }
        var seen: [IPPrefix: Located<IPPrefix>] = [:]
        var routes: [StaticRoute] = []
        for item in items {
            guard let route = readRoute(item.node, key: item.key, ports: ports, context: root.context) else { continue }
            if let prefix = route.prefix {
                if let earlier = seen[prefix.value] {
                    root.context.report(.duplicateValue, at: prefix.location, key: prefix.key,
                                        "a route to \(prefix.value) is already given at line \(earlier.location.line)")
                } else {
                    seen[prefix.value] = prefix
                }
            }
            routes.append(route.config)
        }
        return routes
    }

    private struct Read {
        var config: StaticRoute
        var prefix: Located<IPPrefix>?
    }

    private static func readRoute(_ node: Node, key: String, ports: PortsSection.Result, context: LoadContext) -> Read? {
        guard let r = MappingReader(node, key: key, known: keys, context: context) else { return nil }
        let defaultPrefix = IPPrefix(address: .v4(IPv4Address(0)), length: 0)
        var read = Read(config: StaticRoute(prefix: defaultPrefix, location: r.location), prefix: nil)

        if let node = r.required("prefix"), let text = r.reader.string(node, key: r.path("prefix")) {
            read.prefix = readPrefix(text, context: context)
            if let prefix = read.prefix { read.config.prefix = prefix.value }
        }
        if !r.has("via") && !r.has("port") {
            context.report(.missingKey, at: r.location, key: key, "a route needs 'via', 'port' or both")
        }
        let port = r.string("port").flatMap { findPort($0, in: ports, context: context) }
        read.config.port = port?.config.name
        guard let viaText = r.string("via") else { return read }
        guard let via = IPAddress(viaText.value) else {
            context.report(.invalidValue, at: viaText.location, key: viaText.key, "'\(viaText.value)' is not an IP address")
            return read
        }
        read.config.via = via
        if let prefix = read.prefix, prefix.value.isIPv4 != via.isIPv4 {
            context.report(.conflict, at: viaText.location, key: viaText.key,
                           "gateway \(via) is \(via.isIPv4 ? "IPv4" : "IPv6") but the prefix \(prefix.value) is not")
            return read
        }
        // With a port named, the gateway must be on that port; without one, on some port
        // (which can only be told when every port could be read).
        guard r.has("port") == (port != nil), port != nil || ports.complete else { return read }
        let candidates = port.map { [$0] } ?? ports.entries
        checkGateway(Located(value: via, location: viaText.location, key: viaText.key), candidates: candidates,
                     portNamed: port != nil, context: context)
        return read
    }

    private static func readPrefix(_ text: Located<String>, context: LoadContext) -> Located<IPPrefix>? {
        guard let prefix = IPPrefix(text.value), text.value.contains("/") else {
            context.report(.invalidValue, at: text.location, key: text.key,
                           "'\(text.value)' is not a prefix with a length (10.1.0.0/16, fd00:1::/48)")
            return nil
        }
        guard prefix.isNetwork else {
            context.report(.invalidValue, at: text.location, key: text.key,
                           "\(prefix) has host bits set; the network is \(prefix.network)")
            return nil
        }
        return Located(value: prefix, location: text.location, key: text.key)
    }

    /// The port called `name`. Reports `notFound` only when every port's name could be read.
    private static func findPort(_ name: Located<String>, in ports: PortsSection.Result,
                                 context: LoadContext) -> PortsSection.Entry? {
        if let port = ports.entries.first(where: { $0.name?.value == name.value }) { return port }
        let names = ports.entries.compactMap { $0.name?.value }
        guard ports.complete, names.count == ports.entries.count else { return nil }
        var message = "no port is named '\(name.value)'"
        if let close = Suggestion.closest(to: name.value, in: names) {
            message += "; did you mean '\(close)'?"
        } else if !names.isEmpty {
            message += " (ports: \(names.joined(separator: ", ")))"
        }
        context.report(.notFound, at: name.location, key: name.key, message)
        return nil
    }

    /// The gateway must be inside a connected subnet of the candidate ports, and not one of our own addresses.
    private static func checkGateway(_ via: Located<IPAddress>, candidates: [PortsSection.Entry], portNamed: Bool,
                                     context: LoadContext) {
        // A port whose addresses already have errors cannot tell us where the gateway is.
        guard !candidates.isEmpty,
              !candidates.contains(where: { context.hasError(touching: keyPath($0.key, "addresses")) }) else { return }
        let addresses = candidates.flatMap(\.addresses)
        if let own = addresses.first(where: { $0.value.address == via.value }) {
            context.report(.conflict, at: via.location, key: via.key,
                           "gateway \(via.value) is this gateway's own address (\(own.key))")
            return
        }
        guard !addresses.contains(where: { $0.value.contains(via.value) }) else { return }
        let place: String
        if portNamed, let port = candidates.first {
            let subnets = port.addresses.map { $0.value.network.description }
            place = "of port \(port.config.name)" + (subnets.isEmpty ? " (it has no addresses)" : " (\(subnets.joined(separator: ", ")))")
        } else {
            place = "of any port"
        }
        context.report(.notFound, at: via.location, key: via.key, "gateway \(via.value) is not inside a connected subnet \(place)")
    }
}
