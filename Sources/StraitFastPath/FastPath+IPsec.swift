import CFastPath
import Foundation
import StraitConfig
import StraitCore

/// IPsec ESP: the SAD, the SPD, tunnel routes and the fast path's IPsec events
/// (`CFastPath/include/fp_ipsec.h`). Like every call into CFastPath, each goes through `lock`.
///
/// Keys: `addSA` copies the key into the C config on its own stack frame, and wipes that copy
/// (`explicit_bzero`, which the compiler may not drop) as soon as `fp_sa_add` has expanded it.
/// The fast path never gives a key back (`fp_sa_info` zeroes it).
extension FastPath {
    /// Selectors an SA checks on inbound packets beyond its first pair, per side.
    public static let moreSelectorsPerSide = Int(FP_SA_MORE_TS)

    /// An installed SA as the fast path reports it, with its counters.
    public struct SAInfo: Sendable, Equatable {
        public var handle: Int
        public var spi: UInt32
        public var direction: SAConfig.Direction
        /// nil when the fast path reports a key/ICV length this version does not name.
        public var algorithm: SAAlgorithm?
        public var esn: Bool
        public var replayWindow: Int
        public var local: IPAddress?
        public var remote: IPAddress?
        public var encapsulation: SAConfig.Encapsulation
        public var udpLocalPort: Int
        public var udpRemotePort: Int
        public var localTS: IPPrefix?
        public var remoteTS: IPPrefix?
        public var lifetime: SALifetime
        /// The control plane's reference given to `addSA`.
        public var cookie: UInt64
        public var active: Bool
        /// A hard lifetime was reached: the SA carries nothing more.
        public var expired: Bool
        public var packets, bytes, replayDrops, authFailures, policyMismatches: UInt64
        /// Outbound: the last sequence number used.
        public var seq: UInt64
        /// Inbound: the highest authenticated sequence number.
        public var replayTop: UInt64
    }

    /// An installed outbound policy and its match counter.
    public struct PolicyInfo: Sendable, Equatable {
        public var handle: Int
        public var localTS: IPPrefix?
        public var remoteTS: IPPrefix?
        public var proto: IPProtocolSelector
        public var localPort: Int
        public var remotePort: Int
        public var priority: Int
        public var action: PolicyConfig.Action
        /// With `protect`: the outbound SA's handle.
        public var sa: Int?
        public var matches: UInt64
    }

    /// What the data plane tells the control plane (`fp_ipsec_events`).
    public enum IPsecEvent: Sendable, Equatable {
        /// A soft lifetime was reached: time to rekey.
        case softExpired(sa: Int, cookie: UInt64, spi: UInt32)
        /// A hard lifetime was reached: the SA stopped.
        case hardExpired(sa: Int, cookie: UInt64, spi: UInt32)
        /// No sequence number is left: the SA stopped.
        case sequenceExhausted(sa: Int, cookie: UInt64, spi: UInt32)
        /// ESP arrived for an SPI we do not have (rate limited by the fast path).
        case unknownSPI(spi: UInt32, source: IPAddress?, destination: IPAddress?)
        /// One of our own encrypted packets waits for the neighbour `address` on port `port`:
        /// have the kernel resolve it.
        case resolve(port: Int, address: IPAddress)
        /// A type this version does not know.
        case other(type: Int)
    }

    // MARK: SAD

    /// Installs `sa`; returns its handle. `cookie` comes back in the SA's events; `inactive`
    /// installs it unused until `activateSA` (HA). Errors carry the SA's place in the config.
    @discardableResult
    public func addSA(_ sa: SAConfig, cookie: UInt64 = 0, inactive: Bool = false) throws -> Int {
        guard sa.key.bytes.count == sa.algorithm.keyingMaterialBytes else {
            throw Error(message: "SA \(sa.name): no key (\(sa.key.bytes.count) of \(sa.algorithm.keyingMaterialBytes) bytes)",
                        location: sa.location, key: "ipsec.sas.\(sa.name)")
        }
        var c = fp_sa_config_t()
        defer { Self.wipeKey(&c) }
        Self.fill(&c, from: sa, cookie: cookie, inactive: inactive)
        let handle = try lock.withLock {
            try Self.check(location: sa.location, key: "ipsec.sas.\(sa.name)") { fp_sa_add(&c, $0, $1) }
        }
        return Int(handle)
    }

    /// Installs `sa` with the keying material (key || salt, `sa.algorithm.keyingMaterialBytes`
    /// bytes) read from `keyingMaterial` instead of `sa.key`, which may be `.removed`: for keys
    /// that live in a wiped buffer (IKE's), so no Swift array ever holds them. The C config's
    /// copy is wiped as `addSA(_:cookie:inactive:)` does. Errors carry no config location.
    @discardableResult
    public func addSA(_ sa: SAConfig, keyingMaterial: UnsafeRawBufferPointer, cookie: UInt64 = 0,
                      inactive: Bool = false) throws -> Int {
        guard keyingMaterial.count == sa.algorithm.keyingMaterialBytes else {
            throw Error(message: "SA \(sa.name): \(keyingMaterial.count) bytes of keying material, "
                        + "\(sa.algorithm.rawValue) takes \(sa.algorithm.keyingMaterialBytes)")
        }
        var c = fp_sa_config_t()
        defer { Self.wipeKey(&c) }
        var keyless = sa
        keyless.key = .removed
        Self.fill(&c, from: keyless, cookie: cookie, inactive: inactive)
        Self.fillKey(&c, keyBytes: sa.algorithm.keyBytes, material: keyingMaterial)
        let handle = try lock.withLock {
            try Self.check(location: nil, key: nil) { err, len in
                let rc = fp_sa_add(&c, err, len)
                if rc < 0 {
                    // fp_sa_add names the SPI; say which SA it was.
                    let text = "SA \(sa.name): " + String(cString: err)
                    Self.copy(text, into: UnsafeMutableRawBufferPointer(start: err, count: len))
                }
                return rc
            }
        }
        return Int(handle)
    }

    /// A fresh inbound SPI whose low 20 bits encode a reserved SA handle (the workers find
    /// its SA with one array read), reserved until `addSA` installs an inbound SA with it or
    /// `releaseSPI` gives it back. For IKE, which lets the data plane choose inbound SPIs.
    public func reserveSPI() throws -> UInt32 {
        var spi: UInt32 = 0
        let rc = lock.withLock { fp_sa_reserve_spi(&spi) }
        switch rc {
        case 0: return spi
        case -ENOSPC: throw Error(message: "no SPI left: the SA table is full")
        default: throw Error(message: "reserve SPI: \(Self.errnoText(rc))")
        }
    }

    /// Gives back an SPI from `reserveSPI` that will not be installed (an unknown one is ignored).
    public func releaseSPI(_ spi: UInt32) {
        lock.withLock { fp_sa_release_spi(spi) }
    }

    /// SPIs reserved and neither installed nor released yet.
    public var reservedSPIs: Int { lock.withLock { Int(fp_sa_reserved_count()) } }

    public func deleteSA(_ handle: Int) throws {
        let rc = lock.withLock { fp_sa_del(Int32(handle)) }
        if rc != 0 { throw Error(message: "delete SA \(handle): \(Self.errnoText(rc))") }
    }

    /// Starts using an SA installed with `inactive: true`.
    public func activateSA(_ handle: Int) throws {
        let rc = lock.withLock { fp_sa_activate(Int32(handle)) }
        if rc != 0 { throw Error(message: "activate SA \(handle): \(Self.errnoText(rc))") }
    }

    /// Every installed SA, by handle.
    public func saInfos() -> [SAInfo] {
        lock.withLock {
            var out: [SAInfo] = []
            out.reserveCapacity(Int(fp_sa_count()))
            var info = fp_sa_info_t()
            var handle = fp_sa_next(0)
            while handle >= 0 {
                if fp_sa_info(handle, &info) == 0 { out.append(Self.saInfo(handle: Int(handle), info)) }
                handle = fp_sa_next(handle + 1)
            }
            return out
        }
    }

    /// One SA, or nil when the handle is not installed.
    public func saInfo(_ handle: Int) -> SAInfo? {
        lock.withLock {
            var info = fp_sa_info_t()
            return fp_sa_info(Int32(handle), &info) == 0 ? Self.saInfo(handle: handle, info) : nil
        }
    }

    // MARK: SPD and tunnel routes

    /// Installs an outbound policy; `sa` is the handle of its outbound SA (`protect` only).
    @discardableResult
    public func addPolicy(_ policy: PolicyConfig, sa: Int?, key: String = "ipsec.policies") throws -> Int {
        var c = Self.policyConfig(policy, sa: sa)
        let handle = try lock.withLock {
            try Self.check(location: policy.location, key: key) { fp_policy_add(&c, $0, $1) }
        }
        return Int(handle)
    }

    public func deletePolicy(_ handle: Int) throws {
        let rc = lock.withLock { fp_policy_del(Int32(handle)) }
        if rc != 0 { throw Error(message: "delete policy \(handle): \(Self.errnoText(rc))") }
    }

    /// Every installed policy, by handle, with its match counter.
    public func policyInfos() -> [PolicyInfo] {
        lock.withLock {
            var out: [PolicyInfo] = []
            var config = fp_policy_config_t()
            var matches: UInt64 = 0
            var handle = fp_policy_next(0)
            while handle >= 0 {
                if fp_policy_info(handle, &config, &matches) == 0 {
                    out.append(Self.policyInfo(handle: Int(handle), config, matches: matches))
                }
                handle = fp_policy_next(handle + 1)
            }
            return out
        }
    }

    /// Route-based VPN: traffic to `prefix` is encrypted with outbound SA `sa`.
    public func addTunnelRoute(_ prefix: IPPrefix, sa: Int) throws {
        try addRoute(prefix, .tunnel(sa: sa), port: nil)
    }

    // MARK: Events and settings

    /// Takes every pending event (at most `limit`).
    public func ipsecEvents(limit: Int = 4096) -> [IPsecEvent] {
        lock.withLock {
            var out: [IPsecEvent] = []
            var buffer = [fp_ipsec_event_t](repeating: fp_ipsec_event_t(), count: 64)
            while out.count < limit {
                let n = Int(buffer.withUnsafeMutableBufferPointer { fp_ipsec_events($0.baseAddress, Int32($0.count)) })
                out += buffer.prefix(max(0, n)).map(Self.event)
                if n < buffer.count { break }
            }
            return out
        }
    }

    /// A UDP port besides 4500 on which ESP-in-UDP is accepted; nil for none.
    public func setESPUDPPort(_ port: Int?) throws {
        guard let value = UInt16(exactly: port ?? 0) else { throw Error(message: "UDP port \(port ?? 0) is out of range") }
        let rc = lock.withLock { fp_esp_set_udp_port(value) }
        if rc != 0 { throw Error(message: "ESP UDP port \(value): \(Self.errnoText(rc))") }
    }

    // MARK: Conversions (pure, so they can be tested against the C structs)

    /// Writes `sa` into `c` in place (the key is not copied anywhere else).
    static func fill(_ c: inout fp_sa_config_t, from sa: SAConfig, cookie: UInt64, inactive: Bool) {
        c.spi = sa.spi
        c.direction = sa.direction == .inbound ? FP_SA_INBOUND : FP_SA_OUTBOUND
        let keyBytes = sa.algorithm.keyBytes
        sa.key.bytes.withUnsafeBufferPointer { material in
            withUnsafeMutableBytes(of: &c.key) { key in
                for i in 0..<min(keyBytes, key.count, material.count) { key[i] = material[i] }
            }
            withUnsafeMutableBytes(of: &c.salt) { salt in
                for i in 0..<salt.count where keyBytes + i < material.count { salt[i] = material[keyBytes + i] }
            }
        }
        c.key_len = UInt8(keyBytes)
        c.icv_len = UInt8(sa.algorithm.icvBytes)
        c.esn = sa.esn ? 1 : 0
        c.replay_window = sa.direction == .inbound ? UInt32(clamping: sa.replayWindow) : 0
        c.tunnel_local = ip(.v4(sa.local))
        c.tunnel_remote = ip(.v4(sa.remote))
        c.udp_encap = sa.encapsulation == .udp ? 1 : 0
        c.udp_local_port = UInt16(clamping: sa.udpLocalPort)
        c.udp_remote_port = UInt16(clamping: sa.udpRemotePort)
        c.ts_local = ip(sa.localTS.network.address)
        c.ts_local_len = UInt8(sa.localTS.length)
        c.ts_remote = ip(sa.remoteTS.network.address)
        c.ts_remote_len = UInt8(sa.remoteTS.length)
        let more = Int(FP_SA_MORE_TS)
        c.n_more_local = UInt8(min(sa.moreLocalTS.count, more))
        c.n_more_remote = UInt8(min(sa.moreRemoteTS.count, more))
        withUnsafeMutableBytes(of: &c.more_local) { raw in
            let slots = raw.bindMemory(to: fp_prefix_t.self)
            for (i, p) in sa.moreLocalTS.prefix(more).enumerated() { slots[i] = fp_prefix_t(addr: ip(p.network.address), len: UInt8(p.length)) }
        }
        withUnsafeMutableBytes(of: &c.more_remote) { raw in
            let slots = raw.bindMemory(to: fp_prefix_t.self)
            for (i, p) in sa.moreRemoteTS.prefix(more).enumerated() { slots[i] = fp_prefix_t(addr: ip(p.network.address), len: UInt8(p.length)) }
        }
        c.soft_bytes = sa.lifetime.softBytes
        c.hard_bytes = sa.lifetime.hardBytes
        c.soft_packets = sa.lifetime.softPackets
        c.hard_packets = sa.lifetime.hardPackets
        c.inactive = inactive ? 1 : 0
        c.cookie = cookie
    }

    /// Writes the key (the first `keyBytes` of `material`) and the salt (the next 4) into `c`.
    static func fillKey(_ c: inout fp_sa_config_t, keyBytes: Int, material: UnsafeRawBufferPointer) {
        withUnsafeMutableBytes(of: &c.key) { key in
            for i in 0..<min(keyBytes, key.count, material.count) { key[i] = material[i] }
        }
        withUnsafeMutableBytes(of: &c.salt) { salt in
            for i in 0..<salt.count where keyBytes + i < material.count { salt[i] = material[keyBytes + i] }
        }
        c.key_len = UInt8(keyBytes)
    }

    /// Zeroes the key and salt of `c` with `explicit_bzero` (a store the optimiser keeps).
    static func wipeKey(_ c: inout fp_sa_config_t) {
        withUnsafeMutableBytes(of: &c.key) { if let base = $0.baseAddress { explicit_bzero(base, $0.count) } }
        withUnsafeMutableBytes(of: &c.salt) { if let base = $0.baseAddress { explicit_bzero(base, $0.count) } }
    }

    static func saInfo(handle: Int, _ i: fp_sa_info_t) -> SAInfo {
        let c = i.config
        return SAInfo(
            handle: handle, spi: c.spi, direction: c.direction == FP_SA_INBOUND ? .inbound : .outbound,
            algorithm: SAAlgorithm(keyBytes: Int(c.key_len), icvBytes: Int(c.icv_len)), esn: c.esn != 0,
            replayWindow: Int(c.replay_window), local: address(c.tunnel_local), remote: address(c.tunnel_remote),
            encapsulation: c.udp_encap != 0 ? .udp : .plain, udpLocalPort: Int(c.udp_local_port),
            udpRemotePort: Int(c.udp_remote_port), localTS: prefix(c.ts_local, c.ts_local_len),
            remoteTS: prefix(c.ts_remote, c.ts_remote_len),
            lifetime: SALifetime(softBytes: c.soft_bytes, hardBytes: c.hard_bytes, softPackets: c.soft_packets,
                                 hardPackets: c.hard_packets),
            cookie: c.cookie, active: i.active != 0, expired: i.expired != 0, packets: i.packets, bytes: i.bytes,
            replayDrops: i.replay_drops, authFailures: i.auth_failures, policyMismatches: i.policy_mismatches,
            seq: i.seq, replayTop: i.replay_top)
    }

    static func policyConfig(_ p: PolicyConfig, sa: Int?) -> fp_policy_config_t {
        var c = fp_policy_config_t()
        c.local = ip(p.localTS.network.address)
        c.local_len = UInt8(p.localTS.length)
        c.remote = ip(p.remoteTS.network.address)
        c.remote_len = UInt8(p.remoteTS.length)
        c.protocol = p.proto.number
        c.local_port = UInt16(clamping: p.localPort)
        c.remote_port = UInt16(clamping: p.remotePort)
        c.priority = UInt32(clamping: p.priority)
        switch p.action {
        case .protect: c.action = FP_POLICY_PROTECT
        case .bypass: c.action = FP_POLICY_BYPASS
        case .discard: c.action = FP_POLICY_DISCARD
        }
        c.sa = Int32(clamping: sa ?? -1)
        return c
    }

    static func policyInfo(handle: Int, _ c: fp_policy_config_t, matches: UInt64) -> PolicyInfo {
        let action: PolicyConfig.Action
        switch c.action {
        case FP_POLICY_PROTECT: action = .protect
        case FP_POLICY_BYPASS: action = .bypass
        default: action = .discard
        }
        return PolicyInfo(handle: handle, localTS: prefix(c.local, c.local_len), remoteTS: prefix(c.remote, c.remote_len),
                          proto: IPProtocolSelector(number: c.protocol), localPort: Int(c.local_port),
                          remotePort: Int(c.remote_port), priority: Int(c.priority), action: action,
                          sa: action == .protect && c.sa >= 0 ? Int(c.sa) : nil, matches: matches)
    }

    static func event(_ e: fp_ipsec_event_t) -> IPsecEvent {
        let sa = Int(e.sa)
        switch e.type {
        case FP_EV_SA_SOFT_EXPIRED: return .softExpired(sa: sa, cookie: e.cookie, spi: e.spi)
        case FP_EV_SA_HARD_EXPIRED: return .hardExpired(sa: sa, cookie: e.cookie, spi: e.spi)
        case FP_EV_SA_SEQ_EXHAUSTED: return .sequenceExhausted(sa: sa, cookie: e.cookie, spi: e.spi)
        case FP_EV_UNKNOWN_SPI: return .unknownSPI(spi: e.spi, source: address(e.src), destination: address(e.dst))
        case FP_EV_RESOLVE:
            guard let dst = address(e.dst) else { return .other(type: Int(e.type.rawValue)) }
            return .resolve(port: Int(e.port), address: dst)
        default: return .other(type: Int(e.type.rawValue))
        }
    }

    /// An fp_ip_t as an address; nil when its family is neither 4 nor 6 (unset).
    static func address(_ ip: fp_ip_t) -> IPAddress? {
        let bytes = withUnsafeBytes(of: ip.addr) { Array($0) }
        switch ip.family {
        case 4: return IPAddress(bytes: Array(bytes[0..<4]))
        case 6: return IPAddress(bytes: bytes)
        default: return nil
        }
    }

    static func prefix(_ ip: fp_ip_t, _ length: UInt8) -> IPPrefix? {
        guard let a = address(ip), Int(length) <= a.bitWidth else { return nil }
        return IPPrefix(address: a, length: Int(length))
    }
}
