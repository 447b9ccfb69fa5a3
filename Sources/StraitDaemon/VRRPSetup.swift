import StraitAPI
import StraitConfig
import StraitCore
import StraitVRRP
import StraitVRRPService

/// The `vrrp` section as the VRRP service runs it, and its status as `show vrrp` reports it.
enum VRRPSetup {
    /// One spec per instance: an IPv4 instance sends from its port's first IPv4 address, an
    /// IPv6 one from the mirror's link-local address (the service looks it up).
    static func specs(_ config: StraitConfig) -> (instances: [VRRPInstanceSpec], groups: [VRRPGroupSpec]) {
        let instances = config.vrrp.instances.map { i -> VRRPInstanceSpec in
            let primary = i.isIPv4 ? config.port(named: i.interface)?.addresses.first { $0.address.isIPv4 }?.address : nil
            var spec = VRRPInstanceSpec(
                name: i.name, interface: i.interface, vrid: UInt8(i.vrid), priority: UInt8(i.priority),
                advertInterval: Centiseconds(UInt32(i.advertInterval)), preempt: i.preempt,
                preemptDelay: Centiseconds(UInt32(i.preemptDelay)), addresses: i.virtualAddresses, unicastPeers: i.unicastPeers,
                checksum: i.checksum == .v2Compatible ? .withoutPseudoHeaderForIPv4 : .rfc5798, announceCount: i.garpCount,
                announceRefresh: i.garpRefresh.map { Centiseconds(UInt32($0)) }, primaryAddress: primary)
            spec.announceInterval = Centiseconds(UInt32(i.garpInterval))
            spec.startupDelay = Centiseconds(UInt32(i.startupDelay ?? config.vrrp.startupDelay))
            spec.track = VRRPTrackSettings(ports: i.track.ports.map { VRRPTrackSettings.Port(name: $0.name, effect: effect($0.effect)) },
                                           fastPath: i.track.fastPath.map(effect))
            return spec
        }
        return (instances, config.vrrp.groups.map { VRRPGroupSpec(name: $0.name, instances: $0.instances) })
    }

    private static func effect(_ e: VRRPTrackEffectConfig) -> VRRPTrackEffect {
        switch e {
        case .fault: return .fault
        case .weight(let w): return .weight(w)
        }
    }

    static func report(_ s: VRRPStatus) -> VRRPReport {
        VRRPReport(
            instances: s.instances.map { i in
                let c = i.counters
                var report = VRRPReport.Instance(
                    name: i.name, interface: i.interface, vrid: Int(i.vrid), group: i.group, state: i.state.rawValue,
                    priority: Int(i.priority), configuredPriority: Int(i.configuredPriority),
                    advertIntervalMs: Int(i.advertInterval.value) * 10, masterAdvertIntervalMs: Int(i.masterAdvertInterval.value) * 10,
                    masterAddress: i.masterAddress?.description, primaryAddress: i.primaryAddress.description,
                    virtualAddresses: i.addresses.map(\.description),
                    counters: ["adverts-received": c.advertisementsReceived, "adverts-sent": c.advertisementsSent,
                               "priority-zero-received": c.priorityZeroReceived, "priority-zero-sent": c.priorityZeroSent,
                               "became-master": c.becameMaster, "lower-priority-ignored": c.lowerPriorityIgnored,
                               "address-list-mismatch": c.addressListMismatch, "transitions": i.transitions,
                               "send-errors": i.sendErrors],
                    drops: Dictionary(uniqueKeysWithValues: i.drops.map { ($0.key.rawValue, $0.value) }))
                report.tracking = i.tracking.isEmpty ? nil : i.tracking
                return report
            },
            groups: s.groups.map { VRRPReport.Group(name: $0.name, state: $0.state.rawValue, instances: $0.instances, transitions: $0.transitions) },
            drops: Dictionary(uniqueKeysWithValues: s.drops.map { ($0.key.rawValue, $0.value) }))
    }
}
