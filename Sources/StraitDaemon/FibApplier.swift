import Logging
import StraitCore
import StraitFastPath
import StraitNetlink

/// Applies the kernel-mirror operations (from netlink) to the fast path's tables, and keeps
/// what was applied for `show routes` / `show neighbors`.
///
/// The prefixes of tunnel routes (`ipsec.tunnel-routes`) belong to the IPsec config: a kernel
/// route to the same prefix (FRR, `ip route`) neither replaces nor deletes them.
final class FibApplier: @unchecked Sendable {
    private let fastPath: FastPath
    private let logger: Logger
    private let tunnelPrefixes: Set<IPPrefix>
    private let lock = NSLockish()
    private(set) var routes: [IPPrefix: NextHop] = [:]
    private(set) var neighbors: [NeighborKey: MACAddress] = [:]
    private(set) var failures: UInt64 = 0

    init(fastPath: FastPath, logger: Logger, tunnelPrefixes: Set<IPPrefix> = []) {
        self.fastPath = fastPath
        self.logger = logger
        self.tunnelPrefixes = tunnelPrefixes
    }

    func apply(_ operations: [FibOperation]) {
        lock.withLock {
            for op in operations { apply(op) }
        }
    }

    private func apply(_ op: FibOperation) {
        switch op {
        case .addRoute(let prefix, _), .deleteRoute(let prefix):
            if tunnelPrefixes.contains(prefix) {
                logger.info("fast path: kept the tunnel route to \(prefix); the kernel's '\(op)' is not applied")
                return
            }
        default:
            break
        }
        do {
            switch op {
            case .addRoute(let prefix, let nextHop):
                try fastPath.addRoute(prefix, Self.type(of: nextHop), port: Self.port(of: nextHop))
                routes[prefix] = nextHop
            case .deleteRoute(let prefix):
                routes[prefix] = nil
                try fastPath.deleteRoute(prefix)
            case .addNeighbor(let port, let address, let mac):
                try fastPath.addNeighbor(port: port, address: address, mac: mac)
                neighbors[NeighborKey(port: port, address: address)] = mac
            case .deleteNeighbor(let port, let address):
                neighbors[NeighborKey(port: port, address: address)] = nil
                try fastPath.deleteNeighbor(port: port, address: address)
            }
            logger.debug("fast path: \(op)")
        } catch {
            failures += 1
            logger.warning("fast path refused \(op): \(error)")
        }
    }

    func snapshot() -> (routes: [IPPrefix: NextHop], neighbors: [NeighborKey: MACAddress]) {
        lock.withLock { (routes, neighbors) }
    }

    static func type(of nextHop: NextHop) -> FastPath.NextHopType {
        switch nextHop {
        case .gateway(let gw, _): return .gateway(gw)
        case .connected: return .connected
        case .local: return .local
        case .kernel: return .kernel
        case .blackhole: return .blackhole
        }
    }

    static func port(of nextHop: NextHop) -> Int? {
        switch nextHop {
        case .gateway(_, let port), .connected(let port), .local(let port): return port
        case .kernel, .blackhole: return nil
        }
    }
}
