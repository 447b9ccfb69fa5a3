import Dispatch
import Foundation
import StraitFastPath
import StraitVRRP
import StraitVRRPService

/// VRRP tracking's eyes: every `track-interval` it reads the tracked ports' link state and,
/// when an instance tracks the fast path, the workers' loop counters, and hands the VRRP
/// service a sample when something changed. A timer, not a thread: nothing spins.
final class VRRPTrackSampler {
    private let timer: DispatchSourceTimer

    /// Nil when no instance tracks anything. Both times in centiseconds (the config's unit).
    init?(service: VRRPService, fastPath: FastPath, interval: Int, stuckAfter: Int) {
        let ports = service.trackedPorts, workers = service.tracksFastPath
        guard !ports.isEmpty || workers else { return nil }
        var watch = VRRPWorkerWatch(stuckAfter: Centiseconds(UInt32(stuckAfter)))
        var last: VRRPHealth?
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "strait.vrrp-track"))
        timer.schedule(deadline: .now(), repeating: .milliseconds(interval * 10))
        timer.setEventHandler {
            var health = VRRPHealth()
            if !ports.isEmpty {
                let stats = fastPath.portStats()
                for name in ports where !(stats.first { $0.name == name }.map(Self.linkUp) ?? false) {
                    health.portsDown.insert(name)
                }
            }
            if workers {
                let now = VRRPInstant(nanoseconds: DispatchTime.now().uptimeNanoseconds)
                health.stuckWorkers = watch.sample(loops: fastPath.workerStats().map(\.loops), now: now)
            }
            guard health != last else { return }
            last = health
            service.track(health)
        }
        timer.resume()
    }

    func stop() { timer.cancel() }

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
