import Foundation
import Logging
import StraitConfig
import StraitCore
import StraitFastPath
import StraitIKE

/// IKE's data plane (`IKEDataPlane`) on the fast path: inbound SPIs the fast path reserves
/// (their low 20 bits are the SA's handle, so the workers find it with one array read), CHILD
/// SAs installed as an inbound and an outbound ESP SA plus outbound policies, removed in the
/// reverse order.
///
/// - **Policies**: one PROTECT policy per (local TS, remote TS) pair of the same family, into
///   the outbound SA. The SPD tries the longest remote prefix first; among policies of one
///   remote prefix the lowest priority value wins, and here that is
///   `policyPriorityBase + (address bits - local prefix length)`: the more specific local
///   selector wins. The base is above the config's default (100), so the static `ipsec`
///   policies (a bypass for management traffic, a discard) win for the same remote prefix.
///   Equal priorities keep their order: during a rekey the old CHILD SA's policies keep the
///   traffic until they are removed, then the new ones carry it.
/// - **Inbound selectors**: an fp SA checks one (local, remote) prefix pair of one family on
///   decrypted packets. The inbound SA gets the first same-family pair; a CHILD SA with several
///   pairs has the others' inbound packets dropped as policy mismatches (`ts-fail` in
///   `show ipsec sa`, logged once at install): fail closed, never a wider selector.
/// - **Expiry**: the event monitor asks `expiry(sa:cookie:hard:)` which fast-path SA belongs to
///   which CHILD SA; the engine hears once per CHILD SA and kind (soft, hard), whichever
///   direction reached its limit first.
///
/// Calls come from the engine's loop; `expiry` from the event monitor's queue: `lock` guards
/// the table of installed CHILD SAs. FastPath serialises its own calls.
final class FastPathIKEDataPlane: IKEDataPlane, @unchecked Sendable {
    static let policyPriorityBase = 10_000

    struct Installed {
        var name: String
        var cookie: UInt64
        var handle: ChildSAHandle
        var softReported = false
        var hardReported = false
    }

    enum ExpiryRoute: Equatable {
        /// Not an IKE SA (a static one from `ipsec.sas`).
        case notIKE
        /// An IKE CHILD SA already reported for this kind, or a stale event (the SA is gone).
        case duplicate(name: String)
        /// Tell the engine.
        case forward(name: String, cookie: UInt64)
    }

    struct InstallError: Error, CustomStringConvertible {
        var description: String
    }

    private let fastPath: FastPath
    private let logger: Logger
    private let lock = NSLock()
    /// By fast-path SA handle (both directions of each CHILD SA).
    private var bySA: [Int: Installed] = [:]

    init(fastPath: FastPath, logger: Logger) {
        self.fastPath = fastPath
        self.logger = logger
    }

    // MARK: IKEDataPlane

    func allocateInboundSPI() throws -> UInt32 { try fastPath.reserveSPI() }

    func releaseInboundSPI(_ spi: UInt32) { fastPath.releaseSPI(spi) }

    func install(_ child: ChildSAInstall) throws -> ChildSAHandle {
        let plan = try Self.plan(child)
        if plan.uncheckedPairs > 0 {
            let text = "ike: CHILD SA \(child.name): the fast path checks up to \(FastPath.moreSelectorsPerSide + 1) selectors per side "
                + "on inbound packets; inbound traffic of the \(plan.uncheckedPairs) selector(s) beyond that will be "
                + "dropped as policy mismatches"
            logger.warning("\(text)")
        }
        let inbound = try child.inboundKey.withUnsafeBytes { key in
            try fastPath.addSA(plan.inbound, keyingMaterial: key, cookie: child.cookie)
        }
        let outbound: Int
        do {
            outbound = try child.outboundKey.withUnsafeBytes { key in
                try fastPath.addSA(plan.outbound, keyingMaterial: key, cookie: child.cookie)
            }
        } catch {
            try? fastPath.deleteSA(inbound)
            throw InstallError(description: "CHILD SA \(child.name): outbound SA \(IPsecDefaults.spiText(child.outboundSPI)): \(Self.message(error))")
        }
        var policies: [Int] = []
        for policy in plan.policies {
            do {
                policies.append(try fastPath.addPolicy(policy, sa: outbound, key: "ike"))
            } catch {
                for p in policies.reversed() { try? fastPath.deletePolicy(p) }
                try? fastPath.deleteSA(outbound)
                try? fastPath.deleteSA(inbound)
                throw InstallError(description: "CHILD SA \(child.name): policy \(policy.localTS) === \(policy.remoteTS): \(Self.message(error))")
            }
        }
        let handle = ChildSAHandle(inbound: inbound, outbound: outbound, policies: policies)
        let installed = Installed(name: child.name, cookie: child.cookie, handle: handle)
        lock.lock()
        bySA[inbound] = installed
        bySA[outbound] = installed
        lock.unlock()
        return handle
    }

    func remove(_ handle: ChildSAHandle) {
        lock.lock()
        bySA[handle.inbound] = nil
        bySA[handle.outbound] = nil
        lock.unlock()
        for p in handle.policies {
            do { try fastPath.deletePolicy(p) } catch { logger.debug("ike: remove policy \(p): \(error)") }
        }
        do { try fastPath.deleteSA(handle.outbound) } catch { logger.debug("ike: remove SA \(handle.outbound): \(error)") }
        do { try fastPath.deleteSA(handle.inbound) } catch { logger.debug("ike: remove SA \(handle.inbound): \(error)") }
    }

    func query(_ handle: ChildSAHandle) -> ChildSAUsage? {
        let inbound = fastPath.saInfo(handle.inbound), outbound = fastPath.saInfo(handle.outbound)
        guard inbound != nil || outbound != nil else { return nil }
        return ChildSAUsage(inboundPackets: inbound?.packets ?? 0, inboundBytes: inbound?.bytes ?? 0,
                            outboundPackets: outbound?.packets ?? 0, outboundBytes: outbound?.bytes ?? 0,
                            replayDrops: inbound?.replayDrops ?? 0, authFailures: inbound?.authFailures ?? 0,
                            outboundSeq: outbound?.seq ?? 0)
    }

    /// The outbound SA first: it is what sends to the peer's new address; the inbound one
    /// takes the same endpoints for reports (the fast path finds inbound SAs by SPI alone).
    func updateEndpoints(_ handle: ChildSAHandle, local: IPAddress, remote: IPAddress,
                         udpEncapsulation: (local: UInt16, remote: UInt16)?) throws {
        guard case .v4(let l) = local, case .v4(let r) = remote else {
            throw InstallError(description: "tunnel \(local) === \(remote): the fast path's tunnels are IPv4")
        }
        try fastPath.setSAEndpoints(handle.outbound, local: l, remote: r, udp: udpEncapsulation)
        try fastPath.setSAEndpoints(handle.inbound, local: l, remote: r, udp: udpEncapsulation)
    }

    // MARK: Fast-path events

    /// Whose is the SA of a lifetime event, and should the engine hear of it.
    func expiry(sa: Int, cookie: UInt64, hard: Bool) -> ExpiryRoute {
        lock.lock()
        defer { lock.unlock() }
        guard var installed = bySA[sa] else { return .notIKE }
        guard installed.cookie == cookie, !(hard ? installed.hardReported : installed.softReported) else {
            return .duplicate(name: installed.name)
        }
        if hard { installed.hardReported = true } else { installed.softReported = true }
        bySA[installed.handle.inbound] = installed
        bySA[installed.handle.outbound] = installed
        return .forward(name: installed.name, cookie: cookie)
    }

    /// `sites/lan#12 in`: the CHILD SA and direction of a fast-path SA IKE installed.
    func name(ofSA sa: Int) -> String? {
        lock.lock()
        defer { lock.unlock() }
        guard let installed = bySA[sa] else { return nil }
        return installed.name + (installed.handle.inbound == sa ? " in" : " out")
    }

    /// CHILD SAs installed now.
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return bySA.count / 2
    }

    // MARK: From the engine's values to the fast path's

    struct Plan {
        var inbound: SAConfig
        var outbound: SAConfig
        var policies: [PolicyConfig]
        /// Same-family selector pairs the inbound SA does not check.
        var uncheckedPairs: Int
    }

    static let location = SourceLocation(file: "ike", line: 0, column: 0)

    /// The two SAs (keys left out: `install` passes them from their wiped buffers) and the
    /// policies of a CHILD SA. Pure, so tests can check it without a fast path.
    static func plan(_ child: ChildSAInstall) throws -> Plan {
        func fail(_ why: String) -> InstallError { InstallError(description: "CHILD SA \(child.name): \(why)") }
        guard child.keyBits == 128 || child.keyBits == 256 else { throw fail("AES-GCM with a \(child.keyBits)-bit key") }
        guard let algorithm = SAAlgorithm(keyBytes: child.keyBits / 8, icvBytes: child.icvLength) else {
            throw fail("AES-GCM with a \(child.icvLength)-byte ICV")
        }
        for (what, key) in [("inbound", child.inboundKey), ("outbound", child.outboundKey)]
        where key.count != algorithm.keyingMaterialBytes {
            throw fail("\(what) keying material of \(key.count) bytes (\(algorithm.rawValue) takes \(algorithm.keyingMaterialBytes))")
        }
        guard case .v4(let local) = child.local, case .v4(let remote) = child.remote else {
            throw fail("tunnel \(child.local) === \(child.remote): the fast path's tunnels are IPv4")
        }
        let pairs = child.localTS.flatMap { l in child.remoteTS.filter { $0.isIPv4 == l.isIPv4 }.map { (l.network, $0.network) } }
        guard let first = pairs.first else {
            throw fail("no local and remote traffic selectors of one family (\(child.localTS) === \(child.remoteTS))")
        }
        let encapsulation: SAConfig.Encapsulation = child.udpEncapsulation == nil ? .plain : .udp
        let udpLocal = Int(child.udpEncapsulation?.local ?? UInt16(IPsecDefaults.udpPort))
        let udpRemote = Int(child.udpEncapsulation?.remote ?? UInt16(IPsecDefaults.udpPort))
        let lifetime = SALifetime(softBytes: child.softBytes, hardBytes: child.hardBytes, softPackets: child.softPackets,
                                  hardPackets: child.hardPackets)
        // The inbound check takes the first pair inline and the other selectors as lists.
        let moreLocal = unique(child.localTS.map(\.network).filter { $0 != first.0 })
        let moreRemote = unique(child.remoteTS.map(\.network).filter { $0 != first.1 })
        func sa(_ direction: SAConfig.Direction, spi: UInt32) -> SAConfig {
            var c = SAConfig(name: "\(child.name) \(direction.rawValue)", direction: direction, spi: spi, algorithm: algorithm,
                             key: .removed, esn: child.esn, replayWindow: direction == .inbound ? replayWindow(child.replayWindow) : 0,
                             local: local, remote: remote, encapsulation: encapsulation, udpLocalPort: udpLocal,
                             udpRemotePort: udpRemote, localTS: first.0, remoteTS: first.1, lifetime: lifetime, location: location)
            c.moreLocalTS = moreLocal
            c.moreRemoteTS = moreRemote
            return c
        }
        let policies = pairs.map { l, r in
            PolicyConfig(localTS: l, remoteTS: r, priority: policyPriorityBase + (l.address.bitWidth - l.length),
                         action: .protect, location: location)
        }
        return Plan(inbound: sa(.inbound, spi: child.inboundSPI), outbound: sa(.outbound, spi: child.outboundSPI),
                    policies: policies,
                    uncheckedPairs: max(0, moreLocal.count - FastPath.moreSelectorsPerSide) + max(0, moreRemote.count - FastPath.moreSelectorsPerSide))
    }

    /// The fast path's window: a multiple of 64 (rounded up), 0 (off) to the IKE maximum.
    static func replayWindow(_ packets: Int) -> Int {
        let granule = IPsecDefaults.replayWindowGranule
        let rounded = (max(0, packets) + granule - 1) / granule * granule
        return min(rounded, IKEDefaults.maxReplayWindow)
    }

    private static func message(_ error: Error) -> String {
        (error as? FastPath.Error)?.message ?? "\(error)"
    }
}

/// The prefixes in order, each once.
private func unique(_ prefixes: [IPPrefix]) -> [IPPrefix] {
    var seen = Set<IPPrefix>()
    return prefixes.filter { seen.insert($0).inserted }
}
