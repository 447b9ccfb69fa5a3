import CFastPath
import Foundation
import StraitConfig
import StraitCore

/// The Swift face of the C data plane. One per process (DPDK's EAL is per process).
///
/// Every call into CFastPath goes through `lock`, so the C side sees one control thread at
/// a time, whichever Swift thread (netlink listener, control socket) makes the call.
public final class FastPath: @unchecked Sendable {
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public var message: String
        /// Where in the config the failing object was declared, when it was one.
        public var location: SourceLocation?
        public var key: String?
        public var description: String {
            guard let location else { return message }
            return "\(location): \(key.map { "\($0): " } ?? "")\(message)"
        }
    }

    public struct Port: Sendable {
        public var handle: Int
        public var config: PortConfig
    }

    let lock = NSLock()
    public private(set) var ports: [Port] = []
    public let workerCPUs: [Int]
    public let controlCPU: Int
    private var running = false

    /// Initialise EAL, open every port with its mirror, and start the workers.
    public init(config: StraitConfig) throws {
        workerCPUs = config.fastPath.workerCPUs.cpus
        controlCPU = config.fastPath.controlCPU
        var c = fp_config_t()
        let fpSettings = config.fastPath
        withUnsafeMutableBytes(of: &c.instance) { Self.copy(fpSettings.instance, into: $0) }
        c.control_cpu = UInt32(fpSettings.controlCPU)
        withUnsafeMutableBytes(of: &c.worker_cpus) { raw in
            let cpus = raw.bindMemory(to: UInt32.self)
            for (i, cpu) in fpSettings.workerCPUs.cpus.prefix(Int(FP_MAX_WORKERS)).enumerated() { cpus[i] = UInt32(cpu) }
        }
        c.n_workers = UInt32(min(fpSettings.workerCPUs.cpus.count, Int(FP_MAX_WORKERS)))
        c.nb_mbuf = UInt32(fpSettings.mbufs)
        c.mbuf_cache = UInt32(fpSettings.mbufCache)
        c.hugepages = fpSettings.hugepages ? 1 : 0
        c.memory_mb = UInt32(fpSettings.memoryMB)
        c.poll_mode = fpSettings.pollMode == .busy ? FP_POLL_BUSY : FP_POLL_ADAPTIVE
        c.idle_sleep_us = UInt32(fpSettings.idleSleepMicroseconds)
        c.log_level = Self.dpdkLogLevel(config.control.logLevel)
        try Self.check(location: fpSettings.location, key: "fast-path") { fp_init(&c, $0, $1) }

        do {
            for port in config.ports {
                var pc = fp_port_config_t()
                withUnsafeMutableBytes(of: &pc.name) { Self.copy(port.name, into: $0) }
                withUnsafeMutableBytes(of: &pc.devargs) { Self.copy(port.device, into: $0) }
                pc.mtu = UInt16(port.mtu)
                pc.nb_rxd = UInt16(port.rxDescriptors)
                pc.nb_txd = UInt16(port.txDescriptors)
                if let mac = port.mac {
                    pc.has_mac = 1
                    withUnsafeMutableBytes(of: &pc.mac) { for (i, b) in mac.array.enumerated() { $0[i] = b } }
                }
                let handle = try Self.check(location: port.location, key: "ports.\(port.name).device") { fp_port_add(&pc, $0, $1) }
                ports.append(Port(handle: Int(handle), config: port))
            }
            setICMPv6Sources()
            try Self.check(location: nil, key: nil) { fp_start($0, $1) }
            running = true
        } catch {
            fp_shutdown()
            throw error
        }
    }

    /// Stop workers, close ports, remove the kernel mirrors, release EAL.
    public func shutdown() {
        lock.withLock {
            fp_shutdown()
            running = false
        }
    }

    public func handle(ofPort name: String) -> Int? { ports.first { $0.config.name == name }?.handle }
    public func name(ofPort handle: Int) -> String? { ports.first { $0.handle == handle }?.config.name }

    // MARK: Tables

    /// `tunnel`: encrypt with an outbound SA (route-based VPN, see FastPath+IPsec.swift).
    public enum NextHopType: Sendable { case gateway(IPAddress), connected, local, kernel, blackhole, tunnel(sa: Int) }

    public func addRoute(_ prefix: IPPrefix, _ type: NextHopType, port: Int?) throws {
        var p = Self.ip(prefix.network.address)
        var gw = fp_ip_t()
        let t: fp_nh_type_t
        switch type {
        case .gateway(let g): t = FP_NH_GATEWAY; gw = Self.ip(g)
        case .connected: t = FP_NH_CONNECTED
        case .local: t = FP_NH_LOCAL
        case .kernel: t = FP_NH_KERNEL
        case .blackhole: t = FP_NH_BLACKHOLE
        case .tunnel(let sa):
            let rc = lock.withLock { fp_route_add_tunnel(&p, UInt8(prefix.length), Int32(clamping: sa)) }
            if rc != 0 { throw Error(message: "tunnel route \(prefix) into SA \(sa): \(Self.errnoText(rc))") }
            return
        }
        let rc = lock.withLock { fp_route_add(&p, UInt8(prefix.length), t, &gw, Int32(port ?? -1)) }
        if rc != 0 { throw Error(message: "route \(prefix): \(Self.errnoText(rc))") }
    }

    public func deleteRoute(_ prefix: IPPrefix) throws {
        var p = Self.ip(prefix.network.address)
        let rc = lock.withLock { fp_route_del(&p, UInt8(prefix.length)) }
        if rc != 0 { throw Error(message: "delete route \(prefix): \(Self.errnoText(rc))") }
    }

    public struct RouteLookup: Equatable, Sendable {
        public var type: NextHopType
        public var port: Int
        public static func == (l: Self, r: Self) -> Bool { "\(l)" == "\(r)" }
    }

    /// Longest-prefix match as a worker sees it (for tests and diagnostics).
    public func lookup(_ address: IPAddress) -> RouteLookup? {
        var a = Self.ip(address)
        var r = fp_route_result_t()
        guard lock.withLock({ fp_route_lookup(&a, &r) }) == 0 else { return nil }
        let type: NextHopType
        switch r.type {
        case FP_NH_GATEWAY:
            let bytes = withUnsafeBytes(of: r.gateway.addr) { Array($0) }
            type = .gateway(IPAddress(bytes: r.gateway.family == 4 ? Array(bytes[0..<4]) : bytes)!)
        case FP_NH_CONNECTED: type = .connected
        case FP_NH_LOCAL: type = .local
        case FP_NH_KERNEL: type = .kernel
        case FP_NH_TUNNEL: type = .tunnel(sa: Int(r.sa))
        default: type = .blackhole
        }
        return RouteLookup(type: type, port: Int(r.port))
    }

    public func addNeighbor(port: Int, address: IPAddress, mac: MACAddress) throws {
        var a = Self.ip(address)
        let m = mac.array
        let rc = lock.withLock { m.withUnsafeBufferPointer { fp_neigh_add(Int32(port), &a, $0.baseAddress) } }
        if rc != 0 { throw Error(message: "neighbor \(address): \(Self.errnoText(rc))") }
    }

    public func deleteNeighbor(port: Int, address: IPAddress) throws {
        var a = Self.ip(address)
        let rc = lock.withLock { fp_neigh_del(Int32(port), &a) }
        if rc != 0 && rc != -ENOENT { throw Error(message: "delete neighbor \(address): \(Self.errnoText(rc))") }
    }

    public func neighbor(port: Int, address: IPAddress) -> MACAddress? {
        var a = Self.ip(address)
        var mac = [UInt8](repeating: 0, count: 6)
        let rc = lock.withLock { mac.withUnsafeMutableBufferPointer { fp_neigh_lookup(Int32(port), &a, $0.baseAddress) } }
        return rc == 0 ? MACAddress(mac) : nil
    }

    /// ICMPv6 errors the fast path makes (packet too big for a tunnel) come from the
    /// receiving port's first IPv6 address, else from any IPv6 address of the box.
    private func setICMPv6Sources() {
        func firstV6(_ p: Port) -> IPAddress? { p.config.addresses.map(\.address).first { !$0.isIPv4 } }
        let anyV6 = ports.lazy.compactMap(firstV6).first
        for p in ports {
            guard let source = firstV6(p) ?? anyV6 else { continue }
            var a = Self.ip(source)
            _ = fp_port_set_icmp6_source(Int32(p.handle), &a)
        }
    }

    // MARK: Helpers

    static func ip(_ address: IPAddress) -> fp_ip_t {
        var r = fp_ip_t()
        r.family = address.isIPv4 ? 4 : 6
        let bytes = address.bytes
        withUnsafeMutableBytes(of: &r.addr) { for (i, b) in bytes.enumerated() { $0[i] = b } }
        return r
    }

    static func copy(_ s: String, into raw: UnsafeMutableRawBufferPointer) {
        let bytes = Array(s.utf8.prefix(raw.count - 1))
        for i in 0..<raw.count { raw[i] = i < bytes.count ? bytes[i] : 0 }
    }

    static func string<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    static func errnoText(_ rc: Int32) -> String { String(cString: strerror(-rc)) }

    static func dpdkLogLevel(_ level: String) -> Int32 {
        switch level {
        case "trace", "debug": return 8
        case "info": return 5      // DPDK's info is chatty: keep its warnings and above
        case "notice": return 5
        case "warning": return 5
        default: return 4
        }
    }

    /// Calls a C function that reports errors through a buffer and a negative result.
    @discardableResult
    static func check(location: SourceLocation?, key: String?, _ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws -> Int32 {
        var buf = [CChar](repeating: 0, count: Int(FP_ERR_LEN))
        let rc = buf.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        if rc < 0 {
            throw Error(message: String(cString: buf), location: location, key: key)
        }
        return rc
    }
}
