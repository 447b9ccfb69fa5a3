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

    /// Removes routes through `index`, as the kernel does without telling (IPv4 on link down, on
    /// removal of the last address, and any route on link deletion). With `wholeRoute`, a route with
    /// any next hop there goes; otherwise only those next hops go, and a route left with none.
    /// `family` nil means both. Returns the prefixes touched.
    mutating func flushRoutes(through index: Int32, family: UInt8?, wholeRoute: Bool) -> Set<IPPrefix> {
        guard let prefixes = routePrefixesByIndex[index]?.keys else { return [] }
        var touched = Set<IPPrefix>()
        for prefix in Array(prefixes) {
            if let family, (family == NL.AF_INET) != prefix.isIPv4 { continue }
            for (metric, route) in routes[prefix] ?? [:] where route.indexes.contains(index) {
                touched.insert(prefix)
                let remaining = route.nextHops.filter { $0.ifindex != index }
                if wholeRoute || remaining.isEmpty {
                    removeRoute(prefix, metric: metric)
                } else {
                    unindex(prefix, route)
                    var r = route
                    r.nextHops = remaining
                    routes[prefix]?[metric] = r
                    self.index(prefix, r)
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
