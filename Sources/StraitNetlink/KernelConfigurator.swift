#if canImport(Glibc)
import Glibc
#endif
import Foundation
import StraitCore

#if os(Linux)
/// Programs the kernel side from the configuration: links up, MTU, addresses on the mirrors,
/// static routes. Each call waits for the kernel's ack; a refusal is thrown as a `NetlinkError`
/// naming the request and the errno's text. Thread-safe (calls are serialized).
///
/// It acts in the network namespace of the thread that created it.
public final class KernelConfigurator {
    private let socket: NetlinkSocket
    private let lock = NSLock()
    public let timeout: Double

    public init(timeout: Double = 5) throws {
        socket = try NetlinkSocket()
        self.timeout = timeout
    }

    /// The ifindex of an interface, asked of the kernel (RTM_GETLINK by name).
    public func interfaceIndex(_ name: String) throws -> Int32 {
        try lock.withLock { try index(of: name) }
    }

    private func index(of name: String) throws -> Int32 {
        do {
            let message = try socket.query("look up interface \(name)", timeout: timeout) {
                NetlinkRequest.getLink(name: name, sequence: $0)
            }
            guard case .link(let link, _) = message.event else {
                throw NetlinkError.malformedReply(request: "look up interface \(name)", reason: "answer is not a link")
            }
            return link.index
        } catch let error as NetlinkError where error.errno == ENODEV {
            throw NetlinkError.noSuchInterface(name)
        }
    }

    public func setLinkUp(ifname: String) throws {
        try lock.withLock {
            let index = try index(of: ifname)
            try socket.request("set link \(ifname) up", timeout: timeout) {
                NetlinkRequest.setLink(index: index, up: true, sequence: $0)
            }
        }
    }

    public func setLinkDown(ifname: String) throws {
        try lock.withLock {
            let index = try index(of: ifname)
            try socket.request("set link \(ifname) down", timeout: timeout) {
                NetlinkRequest.setLink(index: index, up: false, sequence: $0)
            }
        }
    }

    public func setMTU(ifname: String, mtu: Int) throws {
        try lock.withLock {
            let index = try index(of: ifname)
            try socket.request("set mtu \(mtu) on \(ifname)", timeout: timeout) {
                NetlinkRequest.setLink(index: index, mtu: UInt32(clamping: mtu), sequence: $0)
            }
        }
    }

    /// Asks the kernel to resolve `address` on `ifname` (ARP or ND), as when one of the fast
    /// path's own packets is waiting for that neighbour; netlink then reports the answer.
    public func resolveNeighbor(ifname: String, address: IPAddress) throws {
        try lock.withLock {
            let index = try index(of: ifname)
            try socket.request("resolve \(address) on \(ifname)", timeout: timeout) {
                NetlinkRequest.useNeighbor(index: index, address: address, sequence: $0)
            }
        }
    }

    /// Adds an interface address (e.g. 10.0.0.1/24); an address already there is fine.
    public func addAddress(ifname: String, prefix: IPPrefix) throws {
        try lock.withLock {
            let index = try index(of: ifname)
            do {
                try socket.request("add address \(prefix) on \(ifname)", timeout: timeout) {
                    NetlinkRequest.address(add: true, index: index, prefix: prefix, sequence: $0)
                }
            } catch let error as NetlinkError where error.errno == EEXIST {
                return
            }
        }
    }

    /// Removes an interface address; an address that is not there is fine.
    public func deleteAddress(ifname: String, prefix: IPPrefix) throws {
        try lock.withLock {
            let index = try index(of: ifname)
            do {
                try socket.request("delete address \(prefix) on \(ifname)", timeout: timeout) {
                    NetlinkRequest.address(add: false, index: index, prefix: prefix, sequence: $0)
                }
            } catch let error as NetlinkError where error.errno == EADDRNOTAVAIL {
                return
            }
        }
    }

    /// Adds or replaces a unicast route in table main: through `via` and/or out of `ifname`.
    public func addRoute(prefix: IPPrefix, via gateway: IPAddress?, ifname: String?, metric: UInt32? = nil) throws {
        try lock.withLock {
            let index = try ifname.map { try self.index(of: $0) }
            let spec = RouteSpec(prefix: prefix.network, gateway: gateway, ifindex: index, priority: metric)
            try socket.request("add route \(Self.describe(spec, ifname))", timeout: timeout) {
                NetlinkRequest.route(add: true, spec, sequence: $0)
            }
        }
    }

    /// Adds or replaces any route (blackhole, unreachable...), in any table.
    public func addRoute(_ spec: RouteSpec) throws {
        try lock.withLock {
            try socket.request("add route \(Self.describe(spec, nil))", timeout: timeout) {
                NetlinkRequest.route(add: true, spec, sequence: $0)
            }
        }
    }

    /// Deletes a route of table main; gateway, interface and metric narrow the match when given.
    /// A route that is not there is fine.
    public func deleteRoute(prefix: IPPrefix, via gateway: IPAddress? = nil, ifname: String? = nil, metric: UInt32? = nil) throws {
        try lock.withLock {
            let index = try ifname.map { try self.index(of: $0) }
            let spec = RouteSpec(prefix: prefix.network, gateway: gateway, ifindex: index, priority: metric)
            do {
                try socket.request("delete route \(Self.describe(spec, ifname))", timeout: timeout) {
                    NetlinkRequest.route(add: false, spec, sequence: $0)
                }
            } catch let error as NetlinkError where error.errno == ESRCH {
                return
            }
        }
    }

    static func describe(_ spec: RouteSpec, _ ifname: String?) -> String {
        var text = "\(spec.prefix)"
        if let gw = spec.gateway { text += " via \(gw)" }
        if let ifname { text += " dev \(ifname)" } else if let index = spec.ifindex { text += " ifindex \(index)" }
        if let metric = spec.priority { text += " metric \(metric)" }
        if spec.table != NL.RT_TABLE_MAIN { text += " table \(spec.table)" }
        return text
    }
}
#endif
