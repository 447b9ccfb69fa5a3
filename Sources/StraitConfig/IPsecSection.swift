import StraitCore

/// The `ipsec` section: static ESP SAs, outbound policies and tunnel routes. Optional.
/// SAs are read first (policies and tunnel routes name them); `local` addresses are checked
/// against the ports and tunnel routes against the static routes.
enum IPsecSection {
    static let name = "ipsec"
    static let keys = ["udp-port", IPsecSASection.name, IPsecPolicySection.name, IPsecTunnelRouteSection.name]

    struct Result {
        var config = IPsecConfig()
        /// Where the keys are written, for `StraitConfig.redactedText`.
        var keySites: [Redaction.Site] = []
    }

    static func read(from root: MappingReader, ports: PortsSection.Result, routes: [StaticRoute]) -> Result {
        guard let r = root.mapping(name, known: keys) else { return Result() }
        let context = r.context
        let udpPort = readUDPPort(r)
        let addresses = portAddresses(ports, context: context)
        let accepted: Set<Int>? = context.hasError(at: r.path("udp-port")) ? nil
            : Set([IPsecDefaults.udpPort] + (udpPort.map { [$0] } ?? []))
        let environment = IPsecSASection.Environment(portAddresses: addresses.addresses, portAddressesComplete: addresses.complete,
                                                     acceptedUDPPorts: accepted)

        let sas = IPsecSASection.read(r, environment: environment)
        let policies = IPsecPolicySection.read(r, sas: sas)
        let tunnelRoutes = IPsecTunnelRouteSection.read(r, sas: sas, staticRoutes: routes)
        let config = IPsecConfig(udpPort: udpPort, sas: sas.entries.compactMap(\.config), policies: policies,
                                 tunnelRoutes: tunnelRoutes)
        return Result(config: config, keySites: sas.keySites)
    }

    /// The ports' addresses (what a tunnel's local end may be), and whether they are all known.
    static func portAddresses(_ ports: PortsSection.Result, context: LoadContext) -> (addresses: Set<IPAddress>, complete: Bool) {
        let addresses = ports.entries.flatMap { $0.addresses.map(\.value.address) }
        let complete = ports.complete && !ports.entries.contains { context.hasError(touching: keyPath($0.key, "addresses")) }
        return (Set(addresses), complete)
    }

    /// The ports ESP in UDP is accepted on: 4500 and `ipsec.udp-port`; nil when `udp-port` has an error.
    static func espUDPPorts(_ ipsec: IPsecConfig, context: LoadContext) -> Set<Int>? {
        context.hasError(at: keyPath(name, "udp-port")) ? nil : Set([IPsecDefaults.udpPort] + (ipsec.udpPort.map { [$0] } ?? []))
    }

    /// A second port for ESP-in-UDP (4500 is always accepted).
    private static func readUDPPort(_ r: MappingReader) -> Int? {
        guard let port = r.int("udp-port", in: 1...65535) else { return nil }
        guard port.value != IPsecDefaults.udpPort else {
            r.context.report(.invalidValue, at: port.location, key: port.key,
                             "4500 is always accepted; udp-port names a second port for ESP-in-UDP")
            return nil
        }
        return port.value
    }
}
