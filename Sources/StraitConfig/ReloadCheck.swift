/// What a configuration reload may change while straitd runs.
///
/// Live: the whole `ike` section except `ike.listen.ports` and `ike.limits.queue` (VPNs,
/// templates, PSKs, certificate and CA files, `limits.half-open`, `limits.cookie-threshold`,
/// `retransmit`); `IKEConfigDiff` says what that does to running tunnels.
///
/// Restart only: everything the fast path, the kernel or the sockets took at start:
/// `fast-path`, `control`, `ports`, `routes`, the whole `vrrp` and `ha` sections, the whole `ipsec` section (static SAs are keyed
/// into the fast path once and their keys dropped), `ike.listen.ports`, `ike.limits.queue`,
/// and adding or removing the `ike` section. A reload that changes any of them is refused as
/// a whole, one error per key, and nothing is applied.
public enum ReloadCheck {
    /// One error (code `.conflict`) per restart-only key that differs, located in `new`'s file.
    /// `runningKeys` are the fingerprints of the static SA keys the daemon started with.
    public static func restartOnly(running: StraitConfig, runningKeys: SAKeyFingerprints, new: StraitConfig) -> [ConfigError] {
        var changed: [String] = []
        changed += fastPath(running.fastPath, new.fastPath)
        if running.control.socketPath != new.control.socketPath { changed.append("control.socket") }
        if running.control.logLevel != new.control.logLevel { changed.append("control.log-level") }
        changed += items("ports", running.ports, new.ports)
        changed += items("routes", running.routes, new.routes)
        if running.ipsec.udpPort != new.ipsec.udpPort { changed.append("ipsec.udp-port") }
        changed += items("ipsec.sas", running.ipsec.withoutKeys.sas, new.ipsec.withoutKeys.sas)
        let newKeys = SAKeyFingerprints(new.ipsec)
        if runningKeys != newKeys {
            for (i, sa) in new.ipsec.sas.enumerated() where runningKeys.byName[sa.name] != newKeys.byName[sa.name] {
                let key = "ipsec.sas[\(i)].key"
                if !changed.contains(where: { key.hasPrefix($0) }) { changed.append(key) }
            }
        }
        changed += items("ipsec.policies", running.ipsec.policies, new.ipsec.policies)
        changed += items("ipsec.tunnel-routes", running.ipsec.tunnelRoutes, new.ipsec.tunnelRoutes)
        if running.ike.isEmpty != new.ike.isEmpty {
            changed.append("ike")
        } else {
            if running.ike.listen != new.ike.listen { changed.append("ike.listen.ports") }
            if running.ike.limits.queue != new.ike.limits.queue { changed.append("ike.limits.queue") }
        }
        // VRRP's sockets, timers and virtual addresses are set up once at start.
        if !Canonical.same(running.vrrp, new.vrrp) { changed.append("vrrp") }
        // The sync link and its role are set up once at start; the key prints redacted, so compare it apart.
        if !Canonical.same(running.ha as Any, new.ha as Any) || running.ha?.key.bytes != new.ha?.key.bytes { changed.append("ha") }
        return changed.map { key in
            let at = KeyLocator.location(of: key, in: new.text, file: new.source) ?? SourceLocation(file: new.source, line: 1, column: 1)
            return ConfigError(code: .conflict, location: at, key: key,
                               message: "changed, and this key cannot change while straitd runs: restart straitd to apply it (the reload changed nothing)")
        }
    }

    private static func fastPath(_ a: FastPathSettings, _ b: FastPathSettings) -> [String] {
        let keys: [(String, (FastPathSettings) -> Any)] = [
            ("instance", \.instance), ("core-mask", \.workerCPUs), ("control-core", \.controlCPU), ("nb-mbuf", \.mbufs),
            ("mbuf-cache", \.mbufCache), ("nb-rxd", \.rxDescriptors), ("nb-txd", \.txDescriptors),
            ("hugepages", \.hugepages), ("memory-mb", \.memoryMB), ("poll-mode", \.pollMode),
            ("idle-sleep-us", \.idleSleepMicroseconds),
        ]
        return keys.filter { !Canonical.same($0.1(a), $0.1(b)) }.map { "fast-path.\($0.0)" }
    }

    /// `key[i]` for each item that differs, `key` when the number of items does.
    private static func items<T>(_ key: String, _ a: [T], _ b: [T]) -> [String] {
        guard a.count == b.count else { return [key] }
        return zip(a, b).enumerated().filter { !Canonical.same($0.element.0, $0.element.1) }.map { "\(key)[\($0.offset)]" }
    }
}
