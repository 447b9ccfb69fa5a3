/// An instance's `track` mapping (keepalived's track_interface with weights):
///
///     track:
///       ports: [wan01, { name: lan01, weight: -50 }]   # a bare name: Fault while its link is down
///       fast-path: fault                               # or a weight: -100 while a worker is stuck
enum VRRPTrackSection {
    static let keys = ["ports", "fast-path"]
    static let portKeys = ["name", "weight"]
    static let weightRange = -254 ... -1

    static func read(_ m: MappingReader, ports: PortsSection.Result, priority: Int) -> VRRPTrackConfig {
        guard let t = m.mapping("track", known: keys) else { return VRRPTrackConfig() }
        var out = VRRPTrackConfig()
        var seen: Set<String> = []
        for item in t.list("ports") ?? [] {
            let name: Located<String>?
            var effect = VRRPTrackEffectConfig.fault
            if item.node.mapping != nil {
                guard let p = MappingReader(item.node, key: item.key, known: portKeys, context: t.context) else { continue }
                name = p.required("name").flatMap { p.reader.string($0, key: p.path("name")) }
                if p.has("weight"), let w = weight(p, "weight", priority: priority) { effect = w }
            } else {
                name = t.reader.string(item.node, key: item.key)
            }
            guard let name else { continue }
            if ports.complete, !ports.entries.contains(where: { $0.config.name == name.value }) {
                t.context.report(.notFound, at: name.location, key: name.key,
                                 "no port is called '\(name.value)'; ports: \(ports.entries.map(\.config.name).joined(separator: ", "))")
                continue
            }
            guard seen.insert(name.value).inserted else {
                t.context.report(.duplicateValue, at: name.location, key: name.key, "port '\(name.value)' is already tracked")
                continue
            }
            out.ports.append(VRRPTrackConfig.Port(name: name.value, effect: effect))
        }
        if t.has("fast-path") { out.fastPath = weight(t, "fast-path", priority: priority) }
        return out
    }

    /// `fault` or a negative integer weight. An owner (priority 255) never changes its
    /// priority (RFC 5798), so it can only track with `fault`.
    private static func weight(_ m: MappingReader, _ key: String, priority: Int) -> VRRPTrackEffectConfig? {
        if m.node(key)?.scalar?.string == "fault" { return .fault }
        guard let w = m.int(key, in: weightRange) else { return nil }
        if priority == 255 {
            m.context.report(.conflict, at: w.location, key: w.key,
                             "an address owner (priority 255) never lowers its priority: track with fault instead")
            return nil
        }
        return .weight(w.value)
    }
}
