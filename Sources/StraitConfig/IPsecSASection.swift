import StraitCore
import Yams

/// `ipsec.sas`: static ESP SAs. Each item is read on its own, then names and SPIs are
/// checked across items. Key values are never echoed in an error.
enum IPsecSASection {
    static let name = "sas"
    static let keys = ["name", "direction", "spi", "algorithm", "key", "esn", "replay-window", "local", "remote",
                       "encap", "udp-ports", "local-ts", "remote-ts", "lifetime"]
    static let lifetimeKeys = ["soft-bytes", "hard-bytes", "soft-packets", "hard-packets"]
    static let directions = SAConfig.Direction.allCases.map(\.rawValue)
    static let algorithms = SAAlgorithm.allCases.map(\.rawValue)
    static let encapsulations = SAConfig.Encapsulation.allCases.map(\.rawValue)

    /// An SA as read: what policies and tunnel routes check against, even when another of its
    /// values has an error (`config` is nil then).
    struct Entry {
        var key: String
        var name: Located<String>?
        var direction: SAConfig.Direction?
        var spiLocation: SourceLocation?
        var localTS: IPPrefix?
        var remoteTS: IPPrefix?
        var config: SAConfig?
    }

    /// The SAs that could be read; `complete` is false when an item or a name could not be
    /// read (so "no SA is named" must stay quiet).
    struct Table {
        var entries: [Entry] = []
        var complete = true
        var byName: [String: Int] = [:]
        var keySites: [Redaction.Site] = []

        func entry(named name: String) -> Entry? { byName[name].map { entries[$0] } }
        var names: [String] { entries.compactMap { $0.name?.value } }
    }

    /// What an SA is checked against outside its own section.
    struct Environment {
        /// The ports' addresses, and whether they are all known (so "not an address of any port" may be said).
        var portAddresses: Set<IPAddress>
        var portAddressesComplete: Bool
        /// The ports on which ESP-in-UDP is accepted (4500 and `ipsec.udp-port`), nil when unknown.
        var acceptedUDPPorts: Set<Int>?
    }

    static func read(_ parent: MappingReader, environment: Environment) -> Table {
        var table = Table()
        guard let items = parent.list(name) else { return table }
        let context = parent.context
        var spis: [String: Located<UInt32>] = [:]
        for item in items {
            guard let entry = readSA(item.node, key: item.key, environment: environment, table: &table, context: context) else {
                table.complete = false
                continue
            }
            if let name = entry.name {
                if let earlier = table.byName[name.value] {
                    let first = table.entries[earlier]
                    context.report(.duplicateValue, at: name.location, key: name.key,
                                   "SA name '\(name.value)' is already used by \(first.key) (line \(first.name?.location.line ?? 0))")
                } else {
                    table.byName[name.value] = table.entries.count
                }
            } else {
                table.complete = false
            }
            if let config = entry.config {
                // The receiver tells inbound SAs apart by SPI alone (RFC 4301 4.1); an outbound
                // SPI is the peer's choice, so it need only be unique per peer.
                let inbound = config.direction == .inbound
                let identity = inbound ? "in \(config.spi)" : "out \(config.remote) \(config.spi)"
                let spiKey = keyPath(entry.key, "spi")
                let at = entry.spiLocation ?? config.location
                if let earlier = spis[identity] {
                    let among = inbound ? "the inbound SAs (an inbound SA is found by its SPI alone)"
                        : "the outbound SAs to \(config.remote)"
                    context.report(.duplicateValue, at: at, key: spiKey,
                                   "SPI \(config.spiText) is already used by \(earlier.key) (line \(earlier.location.line)) "
                                   + "among \(among)")
                } else {
                    spis[identity] = Located(value: config.spi, location: at, key: entry.key)
                }
            }
            table.entries.append(entry)
        }
        return table
    }

    private static func readSA(_ node: Node, key: String, environment: Environment, table: inout Table,
                               context: LoadContext) -> Entry? {
        let errorsBefore = context.errors.count   // counted, not searched: a file may hold 10,000 SAs
        if node.mapping == nil, let scalar = node.scalar, !NodeReader.isNull(scalar) {
            // Not echoed: a stray scalar here may be a key that lost its `key:`.
            context.report(.wrongType, at: context.location(of: node), key: key, "expected a mapping (one SA), got a scalar")
            return nil
        }
        guard let r = MappingReader(node, key: key, known: keys, context: context, recordsValueLocations: false) else {
            return nil
        }
        var entry = Entry(key: key)

        if let nameNode = r.required("name"), let name = r.reader.string(nameNode, key: r.path("name")) {
            if IPsecValues.isSAName(name.value) {
                entry.name = name
            } else {
                context.report(.invalidValue, at: name.location, key: name.key,
                               "'\(name.value)' is not a valid SA name: a-z or 0-9 first, then up to 31 of a-z, 0-9, '_' and '-'")
            }
        }
        if r.required("direction") != nil, let d = r.choice("direction", of: directions) {
            entry.direction = SAConfig.Direction(rawValue: d.value)
        }
        let spi = readSPI(r)
        entry.spiLocation = spi?.location
        var algorithm: SAAlgorithm?
        if r.required("algorithm") != nil, let a = r.choice("algorithm", of: algorithms) {
            algorithm = SAAlgorithm(rawValue: a.value)
        }
        let keyBytes = readKey(r, algorithm: algorithm, mapping: node, table: &table)
        let esn = r.bool("esn")?.value ?? false
        let window = readReplayWindow(r, direction: entry.direction)
        let local = readLocal(r, environment: environment)
        let remote = r.required("remote").flatMap { r.reader.string($0, key: r.path("remote")) }
            .flatMap { IPsecValues.outerAddress($0, context: context) }
        let encap = r.choice("encap", of: encapsulations)
            .flatMap { SAConfig.Encapsulation(rawValue: $0.value) } ?? (r.has("encap") ? nil : SAConfig.Encapsulation.plain)
        let udpPorts = readUDPPorts(r, encap: encap, direction: entry.direction, environment: environment)
        let localTS = IPsecValues.requiredNetwork(r, "local-ts", what: "a traffic selector")
        let remoteTS = IPsecValues.requiredNetwork(r, "remote-ts", what: "a traffic selector")
        let sameFamily = IPsecValues.sameFamily(localTS, remoteTS, context: context)
        entry.localTS = localTS?.value
        entry.remoteTS = sameFamily ? remoteTS?.value : nil
        let lifetime = readLifetime(r)

        guard let name = entry.name, let direction = entry.direction, let spi, let algorithm, let keyBytes,
              let window, let local, let remote, let encap, let udpPorts, let localTS, let remoteTS, sameFamily,
              let lifetime, context.errors.count == errorsBefore else { return entry }
        entry.config = SAConfig(name: name.value, direction: direction, spi: spi.value, algorithm: algorithm,
                                key: SAKey(bytes: keyBytes), esn: esn, replayWindow: window, local: local.value,
                                remote: remote.value, encapsulation: encap, udpLocalPort: udpPorts.local,
                                udpRemotePort: udpPorts.remote, localTS: localTS.value, remoteTS: remoteTS.value,
                                lifetime: lifetime, location: r.location)
        return entry
    }

    private static func readSPI(_ r: MappingReader) -> Located<UInt32>? {
        guard let node = r.required("spi"), let text = r.reader.string(node, key: r.path("spi")) else { return nil }
        switch IPsecValues.spi(text.value) {
        case .success(let spi):
            return Located(value: spi, location: text.location, key: text.key)
        case .failure(.notANumber):
            r.context.report(.invalidValue, at: text.location, key: text.key,
                             "'\(text.value)' is not an SPI: hex (0x00001001) or decimal")
        case .failure(.outOfRange(let value)):
            r.context.report(.outOfRange, at: text.location, key: text.key,
                             "SPI \(value) is out of range 256...0xffffffff (0-255 are reserved)")
        }
        return nil
    }

    /// The keying material. Errors say what was expected and how many bytes came, never what they were.
    private static func readKey(_ r: MappingReader, algorithm: SAAlgorithm?, mapping: Node, table: inout Table) -> [UInt8]? {
        guard let node = r.required("key") else { return nil }
        if let site = Redaction.Site(mapping: mapping, keyAt: r.keyLocation("key"), value: node) { table.keySites.append(site) }
        guard let text = r.reader.string(node, key: r.path("key")) else { return nil }
        let expected = algorithm.map { "\($0.keyingMaterialBytes) bytes for \($0.rawValue) (a \($0.keyBytes)-byte key and a 4-byte salt, RFC 4106)" }
            ?? "20 bytes (aes128) or 36 bytes (aes256): the key and a 4-byte salt, RFC 4106"
        guard let bytes = IPsecValues.hexBytes(text.value) else {
            r.context.report(.invalidValue, at: text.location, key: text.key,
                             "the key is not hex: write \(expected) as 0x and 2 hex digits per byte")
            return nil
        }
        if let algorithm, bytes.count != algorithm.keyingMaterialBytes {
            r.context.report(.invalidValue, at: text.location, key: text.key,
                             "the key has \(bytes.count) bytes; expected \(expected)")
            return nil
        }
        return algorithm == nil ? nil : bytes
    }

    /// Inbound only; default 1024; 0 disables; <= 8192 and a multiple of 64. 0 for outbound SAs.
    private static func readReplayWindow(_ r: MappingReader, direction: SAConfig.Direction?) -> Int? {
        guard let window = r.int("replay-window") else {
            if r.has("replay-window") { return nil }
            return direction == .inbound ? IPsecDefaults.replayWindow : 0
        }
        if direction == .outbound {
            r.context.report(.conflict, at: window.location, key: window.key,
                             "replay-window applies to inbound SAs only (this one is direction: out)")
            return nil
        }
        guard (0...IPsecDefaults.maxReplayWindow).contains(window.value) else {
            r.context.report(.outOfRange, at: window.location, key: window.key,
                             "\(window.value) is out of range 0...\(IPsecDefaults.maxReplayWindow)")
            return nil
        }
        guard window.value % IPsecDefaults.replayWindowGranule == 0 else {
            r.context.report(.invalidValue, at: window.location, key: window.key,
                             "\(window.value) is not a multiple of 64 (64, 128, ... 8192; 0 disables the check)")
            return nil
        }
        return window.value
    }

    private static func readLocal(_ r: MappingReader, environment: Environment) -> Located<IPv4Address>? {
        guard let node = r.required("local"), let text = r.reader.string(node, key: r.path("local")),
              let local = IPsecValues.outerAddress(text, context: r.context) else { return nil }
        guard environment.portAddresses.contains(.v4(local.value)) else {
            guard environment.portAddressesComplete else { return nil }
            r.context.report(.notFound, at: local.location, key: local.key,
                             "\(local.value) is not an address of any port; the tunnel's local end must be one")
            return nil
        }
        return local
    }

    /// `[local, remote]`, only with `encap: udp`; both 4500 when absent.
    private static func readUDPPorts(_ r: MappingReader, encap: SAConfig.Encapsulation?, direction: SAConfig.Direction?,
                                     environment: Environment) -> (local: Int, remote: Int)? {
        let standard = (local: IPsecDefaults.udpPort, remote: IPsecDefaults.udpPort)
        guard let items = r.list("udp-ports") else { return r.has("udp-ports") ? nil : standard }
        let key = r.path("udp-ports"), at = r.valueLocation("udp-ports")
        guard encap != nil else { return nil }
        guard encap == .udp else {
            r.context.report(.conflict, at: at, key: key, "udp-ports is only used with encap: udp")
            return nil
        }
        guard items.count == 2 else {
            r.context.report(.invalidValue, at: at, key: key, "udp-ports needs two ports, [local, remote]; got \(items.count)")
            return nil
        }
        let ports = items.compactMap { item -> Int? in
            guard let port = r.reader.int(item.node, key: item.key) else { return nil }
            guard (1...65535).contains(port.value) else {
                r.context.report(.outOfRange, at: port.location, key: port.key, "\(port.value) is out of range 1...65535")
                return nil
            }
            return port.value
        }
        guard ports.count == 2 else { return nil }
        if direction == .inbound, let accepted = environment.acceptedUDPPorts, !accepted.contains(ports[0]) {
            r.context.report(.conflict, at: at, key: key,
                             "ESP-in-UDP arrives only on \(accepted.sorted().map(String.init).joined(separator: " and ")); "
                             + "local port \(ports[0]) needs ipsec.udp-port: \(ports[0])")
            return nil
        }
        return (ports[0], ports[1])
    }

    /// Optional; 0 = none; soft below hard when both are set.
    private static func readLifetime(_ r: MappingReader) -> SALifetime? {
        guard r.has("lifetime") else { return SALifetime() }
        let errorsBefore = r.context.errors.count
        guard let m = r.mapping("lifetime", known: lifetimeKeys) else { return nil }
        let values = lifetimeKeys.map { m.int($0, in: 0...Int.max) }
        for (soft, hard) in [(0, 1), (2, 3)] {
            guard let s = values[soft], let h = values[hard], s.value != 0, h.value != 0, s.value >= h.value else { continue }
            m.context.report(.conflict, at: s.location, key: s.key,
                             "\(lifetimeKeys[soft]) \(s.value) must be below \(lifetimeKeys[hard]) \(h.value)")
        }
        guard m.context.errors.count == errorsBefore else { return nil }
        let v = values.map { UInt64($0?.value ?? 0) }
        return SALifetime(softBytes: v[0], hardBytes: v[1], softPackets: v[2], hardPackets: v[3])
    }
}

extension Redaction.Site {
    init?(mapping: Node, keyAt key: SourceLocation, value: Node) {
        guard let m = mapping.mark, let v = value.mark else { return nil }
        self.init(mappingLine: m.line, mappingColumn: m.column, keyLine: key.line, keyColumn: key.column,
                  valueLine: v.line, valueColumn: v.column)
    }
}
