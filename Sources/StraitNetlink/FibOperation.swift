import StraitCore

/// Where the fast path sends packets for a prefix.
public enum NextHop: Hashable, Sendable, CustomStringConvertible {
    /// Forward to a gateway out of a fast-path port.
    case gateway(IPAddress, port: Int)
    /// The destination is on the port's link (resolve the neighbour of the packet's destination).
    case connected(port: Int)
    /// One of the box's own addresses, configured on that port's mirror: deliver to the kernel.
    case local(port: Int)
    /// Hand the packet to the kernel (unreachable, prohibit, throw routes).
    case kernel
    /// Drop silently.
    case blackhole

    public var port: Int? {
        switch self {
        case .gateway(_, let p), .connected(let p), .local(let p): return p
        case .kernel, .blackhole: return nil
        }
    }

    public var description: String {
        switch self {
        case .gateway(let gw, let p): return "via \(gw) port \(p)"
        case .connected(let p): return "connected port \(p)"
        case .local(let p): return "local port \(p)"
        case .kernel: return "kernel"
        case .blackhole: return "blackhole"
        }
    }
}

/// A neighbour entry of the fast path: an address on a port.
public struct NeighborKey: Hashable, Sendable, CustomStringConvertible {
    public var port: Int
    public var address: IPAddress

    public init(port: Int, address: IPAddress) { self.port = port; self.address = address }

    public var description: String { "\(address) port \(port)" }
}

/// One change to the fast path's tables.
public enum FibOperation: Hashable, Sendable, CustomStringConvertible {
    /// Add, or replace the next hop of, a route.
    case addRoute(IPPrefix, NextHop)
    case deleteRoute(IPPrefix)
    /// Add, or replace the MAC of, a neighbour.
    case addNeighbor(port: Int, address: IPAddress, mac: MACAddress)
    case deleteNeighbor(port: Int, address: IPAddress)

    public var description: String {
        switch self {
        case .addRoute(let p, let nh): return "add route \(p) \(nh)"
        case .deleteRoute(let p): return "delete route \(p)"
        case .addNeighbor(let port, let a, let mac): return "add neighbour \(a) lladdr \(mac) port \(port)"
        case .deleteNeighbor(let port, let a): return "delete neighbour \(a) port \(port)"
        }
    }
}

extension FibOperation {
    /// Order in which a batch is applied: routes are withdrawn before the neighbours they may use
    /// go away, and neighbours are in place before the routes that need them.
    var applyRank: Int {
        switch self {
        case .deleteRoute: return 0
        case .deleteNeighbor: return 1
        case .addNeighbor: return 2
        case .addRoute: return 3
        }
    }

    /// Puts a batch in apply order, deterministic within each kind.
    static func ordered(_ ops: [FibOperation]) -> [FibOperation] {
        ops.sorted { a, b in
            if a.applyRank != b.applyRank { return a.applyRank < b.applyRank }
            switch (a, b) {
            case (.addRoute(let x, _), .addRoute(let y, _)), (.deleteRoute(let x), .deleteRoute(let y)):
                return x.sortsBefore(y)
            case (.addNeighbor(let p, let x, _), .addNeighbor(let q, let y, _)),
                 (.deleteNeighbor(let p, let x), .deleteNeighbor(let q, let y)):
                return p != q ? p < q : x.sortsBefore(y)
            default:
                return false
            }
        }
    }
}

extension IPAddress {
    /// IPv4 before IPv6, then numeric order.
    func sortsBefore(_ other: IPAddress) -> Bool {
        switch (self, other) {
        case (.v4(let a), .v4(let b)): return a < b
        case (.v6(let a), .v6(let b)): return a < b
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        }
    }
}

extension IPPrefix {
    /// By address, then shorter prefixes first.
    func sortsBefore(_ other: IPPrefix) -> Bool {
        address == other.address ? length < other.length : address.sortsBefore(other.address)
    }
}
