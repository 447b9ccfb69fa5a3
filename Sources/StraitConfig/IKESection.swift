import StraitCore

/// The `ike` section: IKEv2 settings, templates, VPNs and per-identity PSKs. Optional.
/// Templates and PSKs are read first (VPNs refer to them); VPN addresses are checked against
/// the ports, and IKE's NAT-T ports against the ports ESP in UDP arrives on.
enum IKESection {
    static let name = "ike"
    static let keys = ["listen", "limits", "retransmit", IKETemplateSection.ikeName, IKETemplateSection.ipsecName,
                       IKEVPNSection.name, IKEPSKSection.name]
    static let listenKeys = ["ports"]
    static let limitsKeys = ["half-open", "cookie-threshold", "queue"]
    static let retransmitKeys = ["timeout", "tries", "base"]

    struct Result {
        var config = IKEConfig()
        /// Where the PSKs are written, for `StraitConfig.redactedText`.
        var secretSites: [Redaction.Site] = []
    }

    /// `espUDPPorts`: the ports ESP in UDP is accepted on (4500 and `ipsec.udp-port`), nil when unknown.
    /// `virtualAddresses`: the vrrp section's, which a VPN's `local-address` may be too (an
    /// HA pair's tunnels end on the address that moves with the Master).
    static func read(from root: MappingReader, ports: PortsSection.Result, espUDPPorts: Set<Int>?,
                     virtualAddresses: [IPAddress] = []) -> Result {
        guard let r = root.mapping(name, known: keys) else { return Result() }
        let listen = readListen(r, espUDPPorts: espUDPPorts)
        let limits = readLimits(r)
        let retransmit = readRetransmit(r)
        let ikeTemplates = IKETemplateSection.readIKE(r)
        let ipsecTemplates = IKETemplateSection.readIPsec(r)
        let psks = IKEPSKSection.read(r)
        let addresses = IPsecSection.portAddresses(ports, context: r.context)
        let vpns = IKEVPNSection.read(r, environment: IKEVPNSection.Environment(
            portAddresses: addresses.addresses.union(virtualAddresses), portAddressesComplete: addresses.complete, ikeTemplates: ikeTemplates,
            ipsecTemplates: ipsecTemplates, psks: psks))
        let config = IKEConfig(listen: listen, limits: limits, retransmit: retransmit,
                               ikePolicyTemplates: ikeTemplates.entries.compactMap(\.config),
                               ipsecPolicyTemplates: ipsecTemplates.entries.compactMap(\.config),
                               vpns: vpns.vpns, psks: psks.entries)
        return Result(config: config, secretSites: vpns.pskSites + psks.secretSites)
    }

    /// `ports`: distinct UDP ports, at least one. A NAT-T port (any but 500) carries ESP in UDP too.
    private static func readListen(_ r: MappingReader, espUDPPorts: Set<Int>?) -> IKEListen {
        guard let m = r.mapping("listen", known: listenKeys), let items = m.list("ports") else { return IKEListen() }
        let context = r.context
        guard !items.isEmpty else {
            context.report(.invalidValue, at: m.valueLocation("ports"), key: m.path("ports"), "at least one port is required")
            return IKEListen()
        }
        var ports: [Int] = []
        for item in items {
            guard let port = m.reader.int(item.node, key: item.key) else { continue }
            guard (1...65535).contains(port.value) else {
                context.report(.outOfRange, at: port.location, key: port.key, "\(port.value) is out of range 1...65535")
                continue
            }
            guard !ports.contains(port.value) else {
                context.report(.duplicateValue, at: port.location, key: port.key, "port \(port.value) is already listed")
                continue
            }
            if port.value != IKEDefaults.ikePort, let esp = espUDPPorts, !esp.contains(port.value) {
                context.report(.conflict, at: port.location, key: port.key,
                               "\(port.value) is a NAT-T port (any port but 500), where ESP in UDP arrives too; "
                               + "ESP in UDP is accepted only on \(esp.sorted().map(String.init).joined(separator: " and ")): "
                               + "set ipsec.udp-port: \(port.value)")
                continue
            }
            ports.append(port.value)
        }
        return IKEListen(ports: ports)
    }

    private static func readLimits(_ r: MappingReader) -> IKELimits {
        guard let m = r.mapping("limits", known: limitsKeys) else { return IKELimits() }
        let halfOpen = m.int("half-open", in: IKEDefaults.halfOpenRange)
        let cookies = m.int("cookie-threshold", in: IKEDefaults.cookieThresholdRange)
        let queue = m.int("queue", in: IKEDefaults.queueRange)
        let halfOpenValue = halfOpen?.value ?? (m.has("half-open") ? nil : IKEDefaults.halfOpen)
        if let cookies, let halfOpenValue, cookies.value >= halfOpenValue {
            m.context.report(.conflict, at: cookies.location, key: cookies.key,
                             "\(cookies.value) is not below half-open \(halfOpenValue)\(halfOpen == nil ? " (the default)" : ""): "
                             + "new IKE_SA_INIT would be refused before any COOKIE is asked for")
        }
        return IKELimits(halfOpen: halfOpenValue ?? IKEDefaults.halfOpen, cookieThreshold: cookies?.value ?? IKEDefaults.cookieThreshold,
                         queue: queue?.value ?? IKEDefaults.queue)
    }

    private static func readRetransmit(_ r: MappingReader) -> IKERetransmit {
        guard let m = r.mapping("retransmit", known: retransmitKeys) else { return IKERetransmit() }
        var timeout = IKEValues.duration(m, "timeout")
        if let t = timeout, !IKEDefaults.retransmitTimeoutRange.contains(t.value) {
            m.context.report(.outOfRange, at: t.location, key: t.key, "\(IKEValues.text(t.value)) is out of range 100ms...5m")
            timeout = nil
        }
        let tries = m.int("tries", in: IKEDefaults.retransmitTriesRange)
        let base = IKEValues.decimal(m, "base", in: IKEDefaults.retransmitBaseRange)
        return IKERetransmit(timeout: timeout?.value ?? IKEDefaults.retransmitTimeout, tries: tries?.value ?? IKEDefaults.retransmitTries,
                             base: base?.value ?? IKEDefaults.retransmitBase)
    }
}
