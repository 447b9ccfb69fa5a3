import StraitCore

/// The part of the kernel's state that forwarding depends on, for every interface (mirror or not),
/// as the dumps and events described it. `FibMirror` derives the fast path's tables from it.
/// Keeping non-mirror objects too means a link that becomes a mirror (renamed, re-created) brings
/// its addresses and routes with it. Pure value type.
struct KernelTables {
    struct Link: Hashable {
        var name: String?
        var up: Bool
    }

    struct AddressKey: Hashable {
        var index: Int32
        var address: IPAddress
        var prefixLength: Int
    }

    struct Route: Hashable {
        var type: UInt8
        var nextHops: [RouteNextHop]

        var indexes: Set<Int32> { Set(nextHops.compactMap(\.ifindex)) }
    }

    var links: [Int32: Link] = [:]
    private(set) var addressesByIndex: [Int32: Set<AddressKey>] = [:]
    private(set) var addressesByHost: [IPPrefix: Set<AddressKey>] = [:]
    /// prefix -> metric (RTA_PRIORITY) -> route. One route per metric: a later one replaces it.
    private(set) var routes: [IPPrefix: [UInt32: Route]] = [:]
    /// ifindex -> prefixes with a route through it (reference counts).
    private(set) var routePrefixesByIndex: [Int32: [IPPrefix: Int]] = [:]
    /// ifindex -> address -> link-layer address, usable entries only.
    private(set) var neighbors: [Int32: [IPAddress: MACAddress]] = [:]

    // MARK: Routes

    mutating func setRoute(_ prefix: IPPrefix, metric: UInt32, type: UInt8, nextHops: [RouteNextHop]) {
        let route = Route(type: type, nextHops: nextHops)
        if let old = routes[prefix]?[metric] {
            if old == route { return }
            unindex(prefix, old)
        }
        routes[prefix, default: [:]][metric] = route
        index(prefix, route)
    }

    @discardableResult
    mutating func removeRoute(_ prefix: IPPrefix, metric: UInt32) -> Bool {
        guard let old = routes[prefix]?[metric] else { return false }
        unindex(prefix, old)
        routes[prefix]?[metric] = nil
        if routes[prefix]?.isEmpty == true { routes[prefix] = nil }
        return true
    }

    /// Removes every route with a next hop through `index` (the link was deleted).
    /// Returns the prefixes touched.
    mutating func removeRoutes(through index: Int32) -> Set<IPPrefix> {
        let prefixes = routePrefixes(through: index)
        for prefix in prefixes {
            for (metric, route) in routes[prefix] ?? [:] where route.indexes.contains(index) {
                removeRoute(prefix, metric: metric)
            }
        }
        return prefixes
    }

    /// Marks the IPv4 next hops through `index` dead (RTNH_F_DEAD) or alive again, as the kernel's
    /// fib_sync_down_dev / fib_sync_up do without any notification: when the link goes down or
    /// loses its last IPv4 address, and when it comes back. A route whose next hops are all dead is
    /// removed (the kernel flushes it). Returns the prefixes touched.
    mutating func setIPv4NextHops(through index: Int32, dead: Bool) -> Set<IPPrefix> {
        var touched = Set<IPPrefix>()
        for prefix in routePrefixes(through: index) where prefix.isIPv4 {
            for (metric, route) in routes[prefix] ?? [:] {
                var updated = route
                for i in updated.nextHops.indices where updated.nextHops[i].ifindex == index {
                    if dead { updated.nextHops[i].flags |= NL.RTNH_F_DEAD } else { updated.nextHops[i].flags &= ~NL.RTNH_F_DEAD }
                }
                guard updated != route else { continue }
                touched.insert(prefix)
                if updated.nextHops.allSatisfy({ $0.flags & NL.RTNH_F_DEAD != 0 }) {
                    removeRoute(prefix, metric: metric)
                } else {
                    routes[prefix]?[metric] = updated   // same interfaces: the index stays valid
                }
            }
        }
        return touched
    }

    func routePrefixes(through index: Int32) -> Set<IPPrefix> {
        routePrefixesByIndex[index].map { Set($0.keys) } ?? []
    }

    private mutating func index(_ prefix: IPPrefix, _ route: Route) {
        for i in route.indexes { routePrefixesByIndex[i, default: [:]][prefix, default: 0] += 1 }
    }

    private mutating func unindex(_ prefix: IPPrefix, _ route: Route) {
        for i in route.indexes {
            guard let n = routePrefixesByIndex[i]?[prefix] else { continue }
            routePrefixesByIndex[i]?[prefix] = n > 1 ? n - 1 : nil
            if routePrefixesByIndex[i]?.isEmpty == true { routePrefixesByIndex[i] = nil }
        }
    }

    // MARK: Addresses

    mutating func addAddress(_ key: AddressKey) {
        addressesByIndex[key.index, default: []].insert(key)
        addressesByHost[Self.host(key.address), default: []].insert(key)
    }

    mutating func removeAddress(_ key: AddressKey) {
        addressesByIndex[key.index]?.remove(key)
        if addressesByIndex[key.index]?.isEmpty == true { addressesByIndex[key.index] = nil }
        let host = Self.host(key.address)
        addressesByHost[host]?.remove(key)
        if addressesByHost[host]?.isEmpty == true { addressesByHost[host] = nil }
    }

    /// Forgets the addresses of a link; returns their host prefixes.
    mutating func removeAddresses(on index: Int32) -> Set<IPPrefix> {
        let keys = addressesByIndex[index] ?? []
        for k in keys { removeAddress(k) }
        return Set(keys.map { Self.host($0.address) })
    }

    func addressHosts(on index: Int32) -> Set<IPPrefix> {
        Set((addressesByIndex[index] ?? []).map { Self.host($0.address) })
    }

    func hasIPv4Address(on index: Int32) -> Bool {
        addressesByIndex[index]?.contains(where: { $0.address.isIPv4 }) ?? false
    }

    static func host(_ a: IPAddress) -> IPPrefix { IPPrefix(address: a, length: a.bitWidth) }

    // MARK: Neighbours

    mutating func setNeighbor(index: Int32, address: IPAddress, mac: MACAddress?) {
        if let mac {
            neighbors[index, default: [:]][address] = mac
        } else {
            neighbors[index]?[address] = nil
            if neighbors[index]?.isEmpty == true { neighbors[index] = nil }
        }
    }

    mutating func removeNeighbors(on index: Int32) { neighbors[index] = nil }
}
