// The results of the `show` commands. The daemon fills them, straitctl prints them.
// Field names are the JSON keys (`straitctl --json` prints them as they are).

/// `show ports`: one fast-path port.
public struct PortReport: Codable, Sendable, Equatable {
    /// The configured name, e.g. `lan01`.
    public var name: String
    /// The DPDK device, e.g. `0000:3b:00.0` or `net_ring0`.
    public var device: String
    /// The kernel interface that mirrors the port (the exception path), e.g. `lan01`.
    public var mirror: String
    public var mac: String
    public var linkUp: Bool
    /// 0 when unknown.
    public var speedMbps: UInt32
    public var mtu: Int
    public var rxQueues: Int
    public var txQueues: Int
    public var rxPackets: UInt64
    public var rxBytes: UInt64
    public var txPackets: UInt64
    public var txBytes: UInt64
    public var rxErrors: UInt64
    public var txErrors: UInt64
    /// Packets the NIC dropped because the rx ring was full (`imissed`).
    public var rxMissed: UInt64
    /// The port's addresses with prefix length, e.g. `192.0.2.1/24`.
    public var addresses: [String]

    public init(name: String, device: String, mirror: String, mac: String, linkUp: Bool, speedMbps: UInt32,
                mtu: Int, rxQueues: Int, txQueues: Int,
                rxPackets: UInt64 = 0, rxBytes: UInt64 = 0, txPackets: UInt64 = 0, txBytes: UInt64 = 0,
                rxErrors: UInt64 = 0, txErrors: UInt64 = 0, rxMissed: UInt64 = 0, addresses: [String] = []) {
        self.name = name; self.device = device; self.mirror = mirror; self.mac = mac
        self.linkUp = linkUp; self.speedMbps = speedMbps; self.mtu = mtu
        self.rxQueues = rxQueues; self.txQueues = txQueues
        self.rxPackets = rxPackets; self.rxBytes = rxBytes; self.txPackets = txPackets; self.txBytes = txBytes
        self.rxErrors = rxErrors; self.txErrors = txErrors; self.rxMissed = rxMissed
        self.addresses = addresses
    }
}

/// `show lcores`: one DPDK lcore.
public struct LcoreReport: Codable, Sendable, Equatable {
    public var lcore: Int
    public var cpu: Int
    /// `worker`, `control` or `exception`.
    public var role: String
    /// The queues it polls, e.g. `lan01:rx0`, `wan01:tx0`.
    public var queues: [String]
    /// The share of loops that found work, 0...100.
    public var busyPercent: Double
    public var rxPackets: UInt64
    public var txPackets: UInt64
    public var loops: UInt64

    public init(lcore: Int, cpu: Int, role: String, queues: [String], busyPercent: Double,
                rxPackets: UInt64 = 0, txPackets: UInt64 = 0, loops: UInt64 = 0) {
        self.lcore = lcore; self.cpu = cpu; self.role = role; self.queues = queues
        self.busyPercent = busyPercent; self.rxPackets = rxPackets; self.txPackets = txPackets; self.loops = loops
    }
}

/// One fast-path counter.
public struct CounterReport: Codable, Sendable, Equatable {
    /// A stable identifier, e.g. `drop-ttl-exceeded`.
    public var name: String
    /// `forward`, `drop` or `exception`.
    public var kind: String
    /// Human text, e.g. `TTL exceeded`.
    public var reason: String
    public var total: UInt64
    /// One value per worker lcore, in `show lcores` order.
    public var perLcore: [UInt64]

    public init(name: String, kind: String, reason: String, total: UInt64, perLcore: [UInt64] = []) {
        self.name = name; self.kind = kind; self.reason = reason; self.total = total; self.perLcore = perLcore
    }
}

/// `show stats`.
public struct StatsReport: Codable, Sendable, Equatable {
    public var counters: [CounterReport]
    public init(counters: [CounterReport]) { self.counters = counters }
}

/// `show routes`: one route of the fast-path FIB.
public struct RouteReport: Codable, Sendable, Equatable {
    public var prefix: String
    /// `gateway`, `connected`, `local`, `kernel`, `blackhole` or `tunnel`.
    public var type: String
    public var via: String?
    public var port: String?
    /// `tunnel`: the outbound SA (`ipsec.tunnel-routes`).
    public var sa: String?

    public init(prefix: String, type: String, via: String? = nil, port: String? = nil, sa: String? = nil) {
        self.prefix = prefix; self.type = type; self.via = via; self.port = port; self.sa = sa
    }
}

/// `show neighbors`: one resolved neighbour.
public struct NeighborReport: Codable, Sendable, Equatable {
    public var address: String
    public var mac: String
    public var port: String

    public init(address: String, mac: String, port: String) {
        self.address = address; self.mac = mac; self.port = port
    }
}

/// `show config`: the configuration the daemon runs with.
public struct ConfigReport: Codable, Sendable, Equatable {
    /// Where it was read from (a path).
    public var source: String
    public var text: String

    public init(source: String, text: String) { self.source = source; self.text = text }
}

/// `show version`.
public struct VersionReport: Codable, Sendable, Equatable {
    public var version: String
    public var instance: String
    public var uptimeSeconds: Double
    /// The DPDK version string, e.g. `DPDK 22.11.4`.
    public var dpdk: String
    /// straitd's process id (`ha failover-test --trigger kill` signals it); nil from older daemons.
    public var pid: Int?

    public init(version: String, instance: String, uptimeSeconds: Double, dpdk: String, pid: Int? = nil) {
        self.version = version; self.instance = instance; self.uptimeSeconds = uptimeSeconds; self.dpdk = dpdk
        self.pid = pid
    }
}

/// The counter kinds, in the order `show stats` prints them.
public enum CounterKind {
    public static let forward = "forward"
    public static let exception = "exception"
    public static let drop = "drop"
    public static let ordered = [forward, exception, drop]
}

/// The lcore roles.
public enum LcoreRole {
    public static let worker = "worker"
    public static let control = "control"
    public static let exception = "exception"
}

/// The route types.
public enum RouteType {
    public static let gateway = "gateway"
    public static let connected = "connected"
    public static let local = "local"
    public static let kernel = "kernel"
    public static let blackhole = "blackhole"
    /// Into an outbound ESP SA (route-based VPN).
    public static let tunnel = "tunnel"
}
