import StraitCore

/// Turns the kernel's netlink events into fast-path table operations. I/O-free value type.
///
/// It keeps the kernel's view (`KernelTables`) and what it has installed in the fast path, and after
/// each event re-derives the entries the event can touch and emits only the differences: an add is
/// never repeated with identical values, a delete only concerns something installed.
///
/// Rules:
/// - Only objects on mirror interfaces count. ifindex -> name comes from link events; a mirror's
///   ifindex may change when it is re-created (a new ifindex with a known name replaces the old one).
/// - An address on a mirror is one of the box's own: `addRoute(addr/32 or /128, .local(port))`. It
///   wins over routes to the same host prefix, as the kernel's local table does. IPv6 link-local
///   and multicast addresses are skipped (link-scoped; the exception path handles them).
/// - Routes: table main only, type unicast (gateway -> `.gateway`, else `.connected`), blackhole,
///   unreachable/prohibit/throw (-> `.kernel`); local/broadcast/multicast/anycast, cloned (cache)
///   routes, TOS-specific routes and fe80::/10 / ff00::/8 destinations are skipped.
///   A unicast route counts only through a mirror: with several next hops (RTA_MULTIPATH, RTA_VIA)
///   the first one on a mirror is used. ECMP comes later: the fast path gets a single next hop.
/// - Several kernel routes to one prefix with different metrics: the lowest RTA_PRIORITY is
///   installed, the next one takes over when it goes. One route is kept per (prefix, metric):
///   a later one replaces it, as `ip route replace` and FRR do (IPv4 routes appended with the same
///   metric and IPv6 same-metric routes on other devices collapse to the last one notified).
/// - Neighbours: REACHABLE/STALE/DELAY/PROBE/PERMANENT/NOARP with an Ethernet lladdr are added;
///   INCOMPLETE/FAILED/NONE or a delete remove them. Multicast/broadcast entries are skipped.
/// - The kernel changes some IPv4 routes without any notification; this applies the same changes:
///   next hops through a link die when it goes down or loses its last IPv4 address (a route left
///   without live next hops is flushed) and come back with it; link deletion removes its routes.
public struct FibMirror {
    /// Mirror interface name -> fast-path port handle.
    public let mirrors: [String: Int]

    private var kernel = KernelTables()
    private var installedRoutes: [IPPrefix: NextHop] = [:]
    private var installedNeighbors: [NeighborKey: MACAddress] = [:]
    /// Mirror port -> ifindex of its interface now.
    private var portIndex: [Int: Int32] = [:]
    /// True between `beginResync()` and `endResync()`: events only update the kernel view.
    public private(set) var isResyncing = false

    public init(mirrors: [String: Int]) {
        self.mirrors = mirrors
    }

    /// The routes installed in the fast path (for `show routes`).
    public var routes: [IPPrefix: NextHop] { installedRoutes }
    /// The neighbours installed in the fast path (for `show neighbors`).
    public var neighbors: [NeighborKey: MACAddress] { installedNeighbors }

    /// The fast-path port of a kernel ifindex, when it is a mirror.
    public func port(ofIndex index: Int32) -> Int? {
        guard let name = kernel.links[index]?.name, let port = mirrors[name], portIndex[port] == index else { return nil }
        return port
    }

    // MARK: Events

    /// Applies one event; returns the operations it causes, in apply order.
    public mutating func handle(_ event: NetlinkEvent) -> [FibOperation] {
        var ops: [FibOperation] = []
        switch event {
        case .link(let info, let deleted): handleLink(info, deleted: deleted, &ops)
        case .address(let info, let deleted): handleAddress(info, deleted: deleted, &ops)
        case .route(let info, let deleted): handleRoute(info, deleted: deleted, &ops)
        case .neighbor(let info, let deleted): handleNeighbor(info, deleted: deleted, &ops)
        case .done, .ack, .error, .overrun, .other: break
        }
        return isResyncing ? [] : FibOperation.ordered(ops)
    }

    /// Applies several events; returns the operations, in apply order.
    public mutating func handle(_ events: [NetlinkEvent]) -> [FibOperation] {
        var all: [FibOperation] = []
        for e in events { all += handle(e) }
        return all
    }

    // MARK: Resync

    /// A full dump follows: the kernel view is rebuilt from it, the fast path is left alone until `endResync`.
    public mutating func beginResync() {
        kernel = KernelTables()
        portIndex = [:]
        isResyncing = true
    }

    /// Ends a resync: returns what makes the fast path match the dumped state (stale entries deleted,
    /// new or changed ones added, unchanged ones not repeated).
    public mutating func endResync() -> [FibOperation] {
        isResyncing = false
        var ops: [FibOperation] = []
        var prefixes = Set(installedRoutes.keys)
        prefixes.formUnion(kernel.routes.keys)
        prefixes.formUnion(kernel.addressesByHost.keys)
        for p in prefixes { reconcileRoute(p, &ops) }
        var keys = Set(installedNeighbors.keys)
        for (index, entries) in kernel.neighbors {
            guard let port = port(ofIndex: index) else { continue }
            for address in entries.keys { keys.insert(NeighborKey(port: port, address: address)) }
        }
        for k in keys { reconcileNeighbor(k, &ops) }
        return FibOperation.ordered(ops)
    }

    // MARK: Links

    private mutating func handleLink(_ info: LinkInfo, deleted: Bool, _ ops: inout [FibOperation]) {
        let index = info.index
        let old = kernel.links[index]
        if deleted {
            linkGone(index, &ops)
            return
        }
        let name = info.name ?? old?.name
        // Same name on another ifindex: that interface was re-created and its deletion was missed.
        if let name {
            for (other, link) in kernel.links where other != index && link.name == name { linkGone(other, &ops) }
        }
        let oldPort = port(ofIndex: index)
        kernel.links[index] = KernelTables.Link(name: name, up: info.isUp)
        if let oldPort, portIndex[oldPort] == index { portIndex[oldPort] = nil }
        if let name, let port = mirrors[name] { portIndex[port] = index }
        let newPort = port(ofIndex: index)

        var prefixes = Set<IPPrefix>()
        if let old, old.up != info.isUp {
            // The kernel kills IPv4 next hops through a link that goes down (flushing routes left
            // without any) and revives the survivors when it comes back, silently.
            prefixes = kernel.setIPv4NextHops(through: index, dead: !info.isUp)
        }
        if oldPort != newPort {
            prefixes.formUnion(kernel.routePrefixes(through: index))
            prefixes.formUnion(kernel.addressHosts(on: index))
        }
        guard !isResyncing else { return }
        for p in prefixes { reconcileRoute(p, &ops) }
        if oldPort != newPort { reconcileNeighbors(index: index, oldPort: oldPort, &ops) }
    }

    /// A link was deleted: the kernel drops its addresses, routes and neighbours with it.
    private mutating func linkGone(_ index: Int32, _ ops: inout [FibOperation]) {
        let oldPort = port(ofIndex: index)
        var prefixes = kernel.removeRoutes(through: index)
        prefixes.formUnion(kernel.removeAddresses(on: index))
        kernel.removeNeighbors(on: index)
        kernel.links[index] = nil
        if let oldPort { portIndex[oldPort] = nil }
        guard !isResyncing else { return }
        for p in prefixes { reconcileRoute(p, &ops) }
        reconcileNeighbors(index: index, oldPort: oldPort, &ops)
    }

    // MARK: Addresses

    private mutating func handleAddress(_ info: AddressInfo, deleted: Bool, _ ops: inout [FibOperation]) {
        guard let address = info.ownAddress, Self.isForwardable(address) else { return }
        let key = KernelTables.AddressKey(index: info.index, address: address, prefixLength: info.prefixLength)
        var prefixes: Set<IPPrefix> = [KernelTables.host(address)]
        if deleted {
            kernel.removeAddress(key)
            if address.isIPv4 && !kernel.hasIPv4Address(on: info.index) {
                // Without any IPv4 address the kernel kills the link's IPv4 next hops, silently.
                prefixes.formUnion(kernel.setIPv4NextHops(through: info.index, dead: true))
            }
        } else {
            kernel.addAddress(key)
            if address.isIPv4 && kernel.links[info.index]?.up == true {
                // ... and revives the survivors when an address comes back on an up link.
                prefixes.formUnion(kernel.setIPv4NextHops(through: info.index, dead: false))
            }
        }
        guard !isResyncing else { return }
        for p in prefixes { reconcileRoute(p, &ops) }
    }

    // MARK: Routes

    private mutating func handleRoute(_ info: RouteInfo, deleted: Bool, _ ops: inout [FibOperation]) {
        guard Self.isMirrored(info), let prefix = info.prefix else { return }
        if deleted {
            guard kernel.removeRoute(prefix, metric: info.priority) else { return }
        } else {
            kernel.setRoute(prefix, metric: info.priority, type: info.type, nextHops: info.nextHops)
        }
        guard !isResyncing else { return }
        reconcileRoute(prefix, &ops)
    }

    /// Whether a kernel route is one the fast path mirrors (before looking at its interfaces).
    static func isMirrored(_ r: RouteInfo) -> Bool {
        guard r.family == NL.AF_INET || r.family == NL.AF_INET6, r.table == NL.RT_TABLE_MAIN,
              r.flags & NL.RTM_F_CLONED == 0, r.tos == 0 else { return false }
        switch r.type {
        case NL.RTN_UNICAST, NL.RTN_BLACKHOLE, NL.RTN_UNREACHABLE, NL.RTN_PROHIBIT, NL.RTN_THROW: break
        default: return false
        }
        if let d = r.destination, !isForwardable(d) { return false }
        return true
    }

    /// False for IPv6 link-local (fe80::/10) and multicast (ff00::/8) addresses.
    static func isForwardable(_ a: IPAddress) -> Bool {
        if case .v6(let v6) = a { return !v6.isLinkLocal && !v6.isMulticast }
        return true
    }

    // MARK: Neighbours

    /// IPv4 224.0.0.0/4 and broadcast, IPv6 ff00::/8: the kernel keeps NOARP entries for them, which
    /// unicast forwarding never needs.
    static func isMulticast(_ a: IPAddress) -> Bool {
        switch a {
        case .v4(let v4): return v4.value >> 28 == 0xe || v4.value == 0xffff_ffff
        case .v6(let v6): return v6.isMulticast
        }
    }

    private mutating func handleNeighbor(_ info: NeighborInfo, deleted: Bool, _ ops: inout [FibOperation]) {
        guard let address = info.destination, info.flags & NL.NTF_PROXY == 0, !Self.isMulticast(address) else { return }
        let mac = !deleted && info.isUsable ? info.lladdr : nil
        kernel.setNeighbor(index: info.index, address: address, mac: mac)
        guard !isResyncing, let port = port(ofIndex: info.index) else { return }
        reconcileNeighbor(NeighborKey(port: port, address: address), &ops)
    }

    // MARK: Derivation

    /// What the fast path should hold for a prefix now, nil for nothing.
    private func wantedRoute(_ prefix: IPPrefix) -> NextHop? {
        if prefix.length == prefix.address.bitWidth, let owners = kernel.addressesByHost[prefix] {
            let ports = owners.compactMap { port(ofIndex: $0.index) }
            if let port = ports.min() { return .local(port: port) }
        }
        guard let byMetric = kernel.routes[prefix] else { return nil }
        for metric in byMetric.keys.sorted() {
            if let nh = nextHop(byMetric[metric]!) { return nh }
        }
        return nil
    }

    private func nextHop(_ route: KernelTables.Route) -> NextHop? {
        switch route.type {
        case NL.RTN_BLACKHOLE: return .blackhole
        case NL.RTN_UNREACHABLE, NL.RTN_PROHIBIT, NL.RTN_THROW: return .kernel
        default:
            // The first live next hop on a mirror (single path until the fast path has ECMP).
            for hop in route.nextHops where hop.flags & NL.RTNH_F_DEAD == 0 {
                guard let index = hop.ifindex, let port = port(ofIndex: index) else { continue }
                if let gw = hop.gateway { return .gateway(gw, port: port) }
                return .connected(port: port)
            }
            return nil
        }
    }

    private mutating func reconcileRoute(_ prefix: IPPrefix, _ ops: inout [FibOperation]) {
        let want = wantedRoute(prefix)
        guard want != installedRoutes[prefix] else { return }
        installedRoutes[prefix] = want
        ops.append(want.map { .addRoute(prefix, $0) } ?? .deleteRoute(prefix))
    }

    private mutating func reconcileNeighbor(_ key: NeighborKey, _ ops: inout [FibOperation]) {
        let want = portIndex[key.port].flatMap { kernel.neighbors[$0]?[key.address] }
        guard want != installedNeighbors[key] else { return }
        installedNeighbors[key] = want
        if let mac = want {
            ops.append(.addNeighbor(port: key.port, address: key.address, mac: mac))
        } else {
            ops.append(.deleteNeighbor(port: key.port, address: key.address))
        }
    }

    /// After a link's port changed: its old port's neighbours and its own entries.
    private mutating func reconcileNeighbors(index: Int32, oldPort: Int?, _ ops: inout [FibOperation]) {
        var keys = Set<NeighborKey>()
        if let oldPort { keys.formUnion(installedNeighbors.keys.filter { $0.port == oldPort }) }
        if let port = port(ofIndex: index) {
            keys.formUnion(installedNeighbors.keys.filter { $0.port == port })
            if let entries = kernel.neighbors[index] {
                for address in entries.keys { keys.insert(NeighborKey(port: port, address: address)) }
            }
        }
        for k in keys { reconcileNeighbor(k, &ops) }
    }
}
