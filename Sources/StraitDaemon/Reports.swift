import Foundation
import StraitAPI
import StraitConfig
import StraitCore
import StraitFastPath
import StraitNetlink

/// Builds the control socket's reports from the fast path and the kernel mirror.
struct ReportBuilder {
    /// The config as it runs now (a reload replaces it).
    var running: RunningConfig
    var config: StraitConfig { running.value }
    var fastPath: FastPath
    var fib: FibApplier
    var load: LcoreLoad
    var started: Date
    var ipsec: IPsecState
    /// IKE's CHILD SAs, to name their SAs; nil without an `ike` section.
    var ike: FastPathIKEDataPlane? = nil

    func ports() -> [PortReport] {
        fastPath.portStats().map { p in
            let addresses = config.port(named: p.name)?.addresses.map(\.description) ?? []
            return PortReport(name: p.name, device: p.device, mirror: p.mirror, mac: p.mac.description,
                              linkUp: p.linkUp, speedMbps: p.speedMbps, mtu: p.mtu,
                              rxQueues: p.rxQueues, txQueues: p.txQueues,
                              rxPackets: p.rxPackets, rxBytes: p.rxBytes, txPackets: p.txPackets, txBytes: p.txBytes,
                              rxErrors: p.rxErrors, txErrors: p.txErrors, rxMissed: p.rxMissed, addresses: addresses)
        }
    }

    func lcores() -> [LcoreReport] {
        let busy = load.busyPercent()
        var out = [LcoreReport(lcore: fastPath.controlCPU, cpu: fastPath.controlCPU, role: "control",
                               queues: ["exception:mirrors"], busyPercent: 0, rxPackets: 0, txPackets: 0, loops: 0)]
        for w in fastPath.workerStats() {
            var queues = w.rxQueues.map { "\(fastPath.name(ofPort: $0.port) ?? "port\($0.port)"):rx\($0.queue)" }
            queues += fastPath.ports.map { "\($0.config.name):tx\(w.txQueue)" }
            out.append(LcoreReport(lcore: w.lcore, cpu: w.cpu, role: "worker", queues: queues,
                                   busyPercent: busy[w.index] ?? 0, rxPackets: w.rxPackets, txPackets: w.txPackets,
                                   loops: w.loops))
        }
        return out
    }

    func stats() -> StatsReport {
        StatsReport(counters: fastPath.counters().map {
            CounterReport(name: $0.name, kind: $0.kind.rawValue, reason: $0.reason, total: $0.total, perLcore: $0.perLcore)
        })
    }

    /// The routes netlink brought in, and the tunnel routes, in prefix order.
    func routes() -> [RouteReport] {
        let tunnels = Dictionary(config.ipsec.tunnelRoutes.map { ($0.prefix, $0.sa) }, uniquingKeysWith: { a, _ in a })
        let mirrored = fib.snapshot().routes.filter { tunnels[$0.key] == nil }
        let all: [(IPPrefix, NextHop?)] = mirrored.map { ($0.key, $0.value) } + tunnels.keys.map { ($0, nil) }
        return all.sorted { Self.order($0.0, $1.0) }.map { prefix, nh in
            guard let nh else { return RouteReport(prefix: prefix.description, type: RouteType.tunnel, sa: tunnels[prefix]) }
            switch nh {
            case .gateway(let gw, let port):
                return RouteReport(prefix: prefix.description, type: "gateway", via: gw.description, port: name(port))
            case .connected(let port):
                return RouteReport(prefix: prefix.description, type: "connected", port: name(port))
            case .local(let port):
                return RouteReport(prefix: prefix.description, type: "local", port: name(port))
            case .kernel:
                return RouteReport(prefix: prefix.description, type: "kernel")
            case .blackhole:
                return RouteReport(prefix: prefix.description, type: "blackhole")
            }
        }
    }

    func neighbors() -> [NeighborReport] {
        fib.snapshot().neighbors
            .sorted { ($0.key.port, $0.key.address.description) < ($1.key.port, $1.key.address.description) }
            .map { NeighborReport(address: $0.key.address.description, mac: $0.value.description, port: name($0.key.port)) }
    }

    /// The config text with every ESP key replaced by `<redacted>`.
    func configReport() -> ConfigReport { ConfigReport(source: config.source, text: config.redactedText) }

    func version() -> VersionReport {
        VersionReport(version: StraitVersion.string, instance: config.fastPath.instance,
                      uptimeSeconds: Date().timeIntervalSince(started), dpdk: FastPath.dpdkVersion,
                      pid: Int(getpid()))
    }

    private func name(_ port: Int) -> String { fastPath.name(ofPort: port) ?? "port\(port)" }

    private static func order(_ a: IPPrefix, _ b: IPPrefix) -> Bool {
        if a.isIPv4 != b.isIPv4 { return a.isIPv4 }
        if a.address.bytes != b.address.bytes { return a.address.bytes.lexicographicallyPrecedes(b.address.bytes) }
        return a.length < b.length
    }
}

public enum StraitVersion {
    public static let string = "0.1.0"
}

/// Worker busy share over the last sampling interval (a second), not since start, so
/// `show lcores` tells what the cores are doing now.
final class LcoreLoad: @unchecked Sendable {
    private let lock = NSLockish()
    private var last: [Int: (total: UInt64, busy: UInt64)] = [:]
    private var percent: [Int: Double] = [:]

    func sample(_ workers: [FastPath.WorkerStats]) {
        lock.withLock {
            for w in workers {
                let prev = last[w.index] ?? (0, 0)
                let dt = w.cyclesTotal &- prev.total, db = w.cyclesBusy &- prev.busy
                percent[w.index] = dt > 0 ? min(100, Double(db) * 100 / Double(dt)) : 0
                last[w.index] = (w.cyclesTotal, w.cyclesBusy)
            }
        }
    }

    func busyPercent() -> [Int: Double] { lock.withLock { percent } }
}
