import Dispatch
import Foundation
import StraitFastPath
import StraitVRRP
import StraitVRRPService

/// VRRP tracking's eyes: every `track-interval` it reads the tracked ports' link state and,
/// when an instance tracks the fast path, the workers' loop counters, and hands the VRRP
/// service a sample when something changed. A timer, not a thread: nothing spins.
final class VRRPTrackSampler: @unchecked Sendable {
    private var timers: [(DispatchSourceTimer, DispatchQueue)] = []
    private let lock = NSLock()
    private var health = VRRPHealth()
    private var sent = false
    private let service: VRRPService

    /// Nil when no instance tracks anything. Both times in centiseconds (the config's unit).
    init?(service: VRRPService, fastPath: FastPath, interval: Int, stuckAfter: Int) {
        let ports = service.trackedPorts, workers = service.tracksFastPath
        guard !ports.isEmpty || workers else { return nil }
        self.service = service
        // Workers and ports on separate queues: reading ports takes the fast path's lock,
        // which a table change waiting for a stuck worker (RCU) holds until that worker runs
        // again; the worker check reads its counters without the lock and must go on.
        if workers {
            var watch = VRRPWorkerWatch(stuckAfter: Centiseconds(UInt32(stuckAfter)))
            every(interval, "strait.vrrp-track-workers") { [self] in
                let now = VRRPInstant(nanoseconds: DispatchTime.now().uptimeNanoseconds)
                let stuck = watch.sample(loops: fastPath.workerLoopCounters(), now: now)
                update { $0.stuckWorkers = stuck }
            }
        }
        if !ports.isEmpty {
            every(interval, "strait.vrrp-track-ports") { [self] in
                let stats = fastPath.portStats()
                let down = Set(ports.filter { name in !(stats.first { $0.name == name }.map(Self.linkUp) ?? false) })
                update { $0.portsDown = down }
            }
        }
    }

    private func every(_ interval: Int, _ label: String, _ body: @escaping () -> Void) {
        let queue = DispatchQueue(label: label)
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now(), repeating: .milliseconds(interval * 10))
        timer.setEventHandler(handler: body)
        timer.resume()
        timers.append((timer, queue))
    }

    /// Hands the service the merged sample when it changed.
    private func update(_ change: (inout VRRPHealth) -> Void) {
        let send: VRRPHealth? = lock.withLock {
            var h = health
            change(&h)
            guard h != health || !sent else { return nil }
            health = h
            sent = true
            return h
        }
        if let send { service.track(send) }
    }

    /// Stops sampling and waits for samples under way (the fast path shuts down next).
    func stop() {
        for (t, q) in timers { t.cancel(); q.sync {} }
    }

    /// DPDK's link state; for net_af_packet, whose PMD always says up, the carrier of the
    /// kernel interface under it (a pulled cable, or the far end of a veth going down).
    static func linkUp(_ port: FastPath.PortStats) -> Bool {
        guard port.linkUp else { return false }
        guard let iface = afPacketInterface(port.device) else { return true }
        return carrier(iface)
    }

    /// `iface=` of a `net_af_packet` device string.
    static func afPacketInterface(_ device: String) -> String? {
        let parts = device.split(separator: ",")
        guard parts.first?.hasPrefix("net_af_packet") == true else { return nil }
        return parts.first { $0.hasPrefix("iface=") }.map { String($0.dropFirst(6)) }
    }

    /// /sys/class/net/IF/carrier: "1" with a carrier; unreadable while the interface is
    /// administratively down (EINVAL), which is down too.
    static func carrier(_ iface: String) -> Bool {
        guard let text = try? String(contentsOfFile: "/sys/class/net/\(iface)/carrier", encoding: .utf8) else { return false }
        return text.trimmingCharacters(in: .whitespacesAndNewlines) == "1"
    }
}
