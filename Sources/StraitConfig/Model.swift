import StraitCore

/// How fast-path workers wait for packets.
public enum PollMode: String, Sendable, CaseIterable {
    /// Spin on the receive queues all the time: lowest latency, one full core per worker.
    case busy
    /// Spin while traffic flows, then sleep up to `idle-sleep-us` between empty polls.
    case adaptive
}

/// The `fast-path` section: DPDK's CPUs, memory and queue sizes.
public struct FastPathSettings: Sendable {
    public var instance: String
    public var workerCPUs: CPUList
    public var controlCPU: Int
    public var mbufs: Int
    public var mbufCache: Int
    public var rxDescriptors: Int
    public var txDescriptors: Int
    public var hugepages: Bool
    public var memoryMB: Int
    public var pollMode: PollMode
    public var idleSleepMicroseconds: Int
    public var location: SourceLocation

    public init(instance: String = Defaults.instance, workerCPUs: CPUList, controlCPU: Int = Defaults.controlCPU,
                mbufs: Int = Defaults.mbufs, mbufCache: Int = Defaults.mbufCache,
                rxDescriptors: Int = Defaults.descriptors, txDescriptors: Int = Defaults.descriptors,
                hugepages: Bool = Defaults.hugepages, memoryMB: Int = Defaults.memoryMB,
                pollMode: PollMode = Defaults.pollMode, idleSleepMicroseconds: Int = Defaults.idleSleepMicroseconds,
                location: SourceLocation) {
        self.instance = instance
        self.workerCPUs = workerCPUs
        self.controlCPU = controlCPU
        self.mbufs = mbufs
        self.mbufCache = mbufCache
        self.rxDescriptors = rxDescriptors
        self.txDescriptors = txDescriptors
        self.hugepages = hugepages
        self.memoryMB = memoryMB
        self.pollMode = pollMode
        self.idleSleepMicroseconds = idleSleepMicroseconds
        self.location = location
    }
}

/// The `control` section: the control socket and logging.
public struct ControlSettings: Sendable {
    public var socketPath: String
    public var logLevel: String

    public init(socketPath: String, logLevel: String = Defaults.logLevel) {
        self.socketPath = socketPath
        self.logLevel = logLevel
    }
}

/// One item of `ports`: a DPDK port, its kernel TAP mirror's name and its addresses.
public struct PortConfig: Sendable {
    public var name: String
    public var device: String
    public var mtu: Int
    public var rxDescriptors: Int
    public var txDescriptors: Int
    public var mac: MACAddress?
    public var addresses: [IPPrefix]
    public var location: SourceLocation

    public init(name: String, device: String, mtu: Int = Defaults.mtu, rxDescriptors: Int = Defaults.descriptors,
                txDescriptors: Int = Defaults.descriptors, mac: MACAddress? = nil, addresses: [IPPrefix] = [],
                location: SourceLocation) {
        self.name = name
        self.device = device
        self.mtu = mtu
        self.rxDescriptors = rxDescriptors
        self.txDescriptors = txDescriptors
        self.mac = mac
        self.addresses = addresses
        self.location = location
    }
}

/// One item of `routes`: a static route through a gateway, out of a port, or both.
public struct StaticRoute: Sendable {
    public var prefix: IPPrefix
    public var via: IPAddress?
    public var port: String?
    public var location: SourceLocation

    public init(prefix: IPPrefix, via: IPAddress? = nil, port: String? = nil, location: SourceLocation) {
        self.prefix = prefix
        self.via = via
        self.port = port
        self.location = location
    }
}

/// A loaded, validated config file.
public struct StraitConfig: Sendable {
    /// The file's path, or `<embedded default>`.
    public var source: String
    /// The exact text that was loaded. It holds the ESP keys of `ipsec.sas` and the PSKs of
    /// `ike`: show and log `redactedText` instead.
    public var text: String
    /// `text` with the value of every `key:` under `ipsec.sas`, `psk:` under `ike.vpns` and
    /// `secret:` under `ike.psks` replaced by `<redacted>` (line numbers unchanged): what `show config` returns.
    public var redactedText: String
    public var fastPath: FastPathSettings
    public var control: ControlSettings
    public var ports: [PortConfig]
    public var routes: [StaticRoute]
    public var ipsec: IPsecConfig
    public var ike: IKEConfig
    public var vrrp: VRRPConfig
    /// nil: a single node (no state sync).
    public var ha: HAConfig?

    /// `redactedText` is computed from `text` when not given.
    public init(source: String, text: String, fastPath: FastPathSettings, control: ControlSettings,
                ports: [PortConfig], routes: [StaticRoute], ipsec: IPsecConfig = IPsecConfig(), ike: IKEConfig = IKEConfig(),
                vrrp: VRRPConfig = VRRPConfig(), ha: HAConfig? = nil, redactedText: String? = nil) {
        self.source = source
        self.text = text
        self.redactedText = redactedText ?? Redaction.redact(text)
        self.fastPath = fastPath
        self.control = control
        self.ports = ports
        self.routes = routes
        self.ipsec = ipsec
        self.ike = ike
        self.vrrp = vrrp
        self.ha = ha
    }

    /// The port called `name`, if any.
    public func port(named name: String) -> PortConfig? { ports.first { $0.name == name } }
}

/// A config prints without its text, and mirrors (`dump`) with the redacted text in its
/// place, so printing or dumping a config cannot leak an ESP key or a PSK.
extension StraitConfig: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "StraitConfig(source: \(source), instance: \(fastPath.instance), ports: \(ports.count), routes: \(routes.count), "
            + "SAs: \(ipsec.sas.count), policies: \(ipsec.policies.count), tunnel routes: \(ipsec.tunnelRoutes.count), "
            + "VPNs: \(ike.vpns.count))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["source": source, "text": redactedText, "fastPath": fastPath, "control": control,
                                "ports": ports, "routes": routes, "ipsec": ipsec, "ike": ike, "vrrp": vrrp, "ha": ha as Any], displayStyle: .struct)
    }
}
