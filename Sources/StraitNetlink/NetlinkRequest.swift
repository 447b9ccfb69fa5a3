import StraitCore

/// What a route request installs or removes.
public struct RouteSpec: Hashable, Sendable {
    public var prefix: IPPrefix
    public var gateway: IPAddress?
    public var ifindex: Int32?
    public var table: UInt32
    /// The metric (RTA_PRIORITY); nil leaves the kernel's default (0 for IPv4, 1024 for IPv6).
    public var priority: UInt32?
    /// RTN_* route type.
    public var type: UInt8
    /// RTPROT_* origin recorded with the route (shown by `ip route` as `proto`).
    public var proto: UInt8

    public init(prefix: IPPrefix, gateway: IPAddress? = nil, ifindex: Int32? = nil, table: UInt32 = NL.RT_TABLE_MAIN,
                priority: UInt32? = nil, type: UInt8 = NL.RTN_UNICAST, proto: UInt8 = NL.RTPROT_STATIC) {
        self.prefix = prefix; self.gateway = gateway; self.ifindex = ifindex; self.table = table
        self.priority = priority; self.type = type; self.proto = proto
    }
}

/// Builds rtnetlink requests. Pure: each returns the bytes of one message.
public enum NetlinkRequest {
    public enum DumpKind: Hashable, Sendable {
        case links
        case addresses(family: UInt8)
        case routes(family: UInt8)
        case neighbors(family: UInt8)
    }

    /// A dump request (NLM_F_REQUEST | NLM_F_DUMP) with the full family header, zeroed but for the family.
    public static func dump(_ kind: DumpKind, sequence: UInt32) -> [UInt8] {
        let flags = NL.NLM_F_REQUEST | NL.NLM_F_DUMP
        switch kind {
        case .links:
            var w = NetlinkMessageWriter(type: NL.RTM_GETLINK, flags: flags, sequence: sequence)
            w.append(bytes: [UInt8](repeating: 0, count: NL.IFINFOMSG_LEN))
            return w.bytes
        case .addresses(let family):
            var w = NetlinkMessageWriter(type: NL.RTM_GETADDR, flags: flags, sequence: sequence)
            w.append(bytes: [family] + [UInt8](repeating: 0, count: NL.IFADDRMSG_LEN - 1))
            return w.bytes
        case .routes(let family):
            var w = NetlinkMessageWriter(type: NL.RTM_GETROUTE, flags: flags, sequence: sequence)
            w.append(bytes: [family] + [UInt8](repeating: 0, count: NL.RTMSG_LEN - 1))
            return w.bytes
        case .neighbors(let family):
            var w = NetlinkMessageWriter(type: NL.RTM_GETNEIGH, flags: flags, sequence: sequence)
            w.append(bytes: [family] + [UInt8](repeating: 0, count: NL.NDMSG_LEN - 1))
            return w.bytes
        }
    }

    /// RTM_GETLINK for one interface by name (IFLA_IFNAME); the reply is one RTM_NEWLINK or an error.
    public static func getLink(name: String, sequence: UInt32) -> [UInt8] {
        var w = NetlinkMessageWriter(type: NL.RTM_GETLINK, flags: NL.NLM_F_REQUEST, sequence: sequence)
        w.append(bytes: [UInt8](repeating: 0, count: NL.IFINFOMSG_LEN))
        w.attribute(NL.IFLA_IFNAME, string: name)
        return w.bytes
    }

    /// RTM_NEWLINK on an existing link: set or clear IFF_UP (when `up` is given) and the MTU (when given).
    public static func setLink(index: Int32, up: Bool? = nil, mtu: UInt32? = nil, sequence: UInt32) -> [UInt8] {
        var w = NetlinkMessageWriter(type: NL.RTM_NEWLINK, flags: NL.NLM_F_REQUEST | NL.NLM_F_ACK, sequence: sequence)
        w.append(NL.AF_UNSPEC)                      // ifi_family
        w.append(UInt8(0))                          // pad
        w.append(UInt16(0))                         // ifi_type
        w.append(index)                             // ifi_index
        w.append(up == true ? NL.IFF_UP : 0)        // ifi_flags
        w.append(up == nil ? 0 : NL.IFF_UP)         // ifi_change
        if let mtu { w.attribute(NL.IFLA_MTU, u32: mtu) }
        return w.bytes
    }

    /// RTM_NEWADDR (NLM_F_CREATE | NLM_F_EXCL, so an existing address answers EEXIST) or RTM_DELADDR.
    /// `prefix` is the interface address with its length, e.g. 10.0.0.1/24.
    public static func address(add: Bool, index: Int32, prefix: IPPrefix, sequence: UInt32) -> [UInt8] {
        let type = add ? NL.RTM_NEWADDR : NL.RTM_DELADDR
        var flags = NL.NLM_F_REQUEST | NL.NLM_F_ACK
        if add { flags |= NL.NLM_F_CREATE | NL.NLM_F_EXCL }
        var w = NetlinkMessageWriter(type: type, flags: flags, sequence: sequence)
        w.append(prefix.isIPv4 ? NL.AF_INET : NL.AF_INET6)   // ifa_family
        w.append(UInt8(prefix.length))                      // ifa_prefixlen
        w.append(UInt8(0))                                  // ifa_flags
        w.append(NL.RT_SCOPE_UNIVERSE)                      // ifa_scope
        w.append(UInt32(bitPattern: index))                 // ifa_index
        w.attribute(NL.IFA_LOCAL, address: prefix.address)
        w.attribute(NL.IFA_ADDRESS, address: prefix.address)
        return w.bytes
    }

    /// RTM_NEWNEIGH with NTF_USE (like `ip neigh replace ADDR dev IF use`): the kernel creates
    /// the entry if needed and starts resolving it (ARP/ND), as if a packet were waiting.
    public static func useNeighbor(index: Int32, address: IPAddress, sequence: UInt32) -> [UInt8] {
        var w = NetlinkMessageWriter(type: NL.RTM_NEWNEIGH,
                                     flags: NL.NLM_F_REQUEST | NL.NLM_F_ACK | NL.NLM_F_CREATE | NL.NLM_F_REPLACE,
                                     sequence: sequence)
        w.append(address.isIPv4 ? NL.AF_INET : NL.AF_INET6)  // ndm_family
        w.append(UInt8(0)); w.append(UInt16(0))              // padding
        w.append(UInt32(bitPattern: index))                  // ndm_ifindex
        w.append(NL.NUD_NONE)                                // ndm_state
        w.append(NL.NTF_USE)                                 // ndm_flags
        w.append(UInt8(0))                                   // ndm_type
        w.attribute(NL.NDA_DST, address: address)
        return w.bytes
    }

    /// RTM_NEWROUTE with NLM_F_CREATE | NLM_F_REPLACE (add or replace), or RTM_DELROUTE.
    /// A delete matches loosely like `ip route del`: protocol and type unset, scope RT_SCOPE_NOWHERE;
    /// the gateway, interface and metric narrow the match when given.
    public static func route(add: Bool, _ spec: RouteSpec, sequence: UInt32) -> [UInt8] {
        let type = add ? NL.RTM_NEWROUTE : NL.RTM_DELROUTE
        var flags = NL.NLM_F_REQUEST | NL.NLM_F_ACK
        if add { flags |= NL.NLM_F_CREATE | NL.NLM_F_REPLACE }
        let family = spec.prefix.isIPv4 ? NL.AF_INET : NL.AF_INET6
        let scope: UInt8
        if !add {
            scope = NL.RT_SCOPE_NOWHERE
        } else if spec.type == NL.RTN_UNICAST && spec.gateway == nil {
            scope = NL.RT_SCOPE_LINK          // a device route: the destination is on the link
        } else {
            scope = NL.RT_SCOPE_UNIVERSE
        }
        var w = NetlinkMessageWriter(type: type, flags: flags, sequence: sequence)
        w.append(family)                                                // rtm_family
        w.append(UInt8(spec.prefix.length))                            // rtm_dst_len
        w.append(UInt8(0))                                              // rtm_src_len
        w.append(UInt8(0))                                              // rtm_tos
        w.append(spec.table < 256 ? UInt8(spec.table) : UInt8(0))      // rtm_table (RTA_TABLE carries the full value)
        w.append(add ? spec.proto : NL.RTPROT_UNSPEC)                   // rtm_protocol
        w.append(scope)                                                 // rtm_scope
        w.append(add ? spec.type : NL.RTN_UNSPEC)                       // rtm_type
        w.append(UInt32(0))                                             // rtm_flags
        w.attribute(NL.RTA_TABLE, u32: spec.table)
        if spec.prefix.length > 0 { w.attribute(NL.RTA_DST, address: spec.prefix.network.address) }
        if let gw = spec.gateway {
            if gw.isIPv4 == spec.prefix.isIPv4 {
                w.attribute(NL.RTA_GATEWAY, address: gw)
            } else {
                // RFC 5549 style: an IPv4 route via an IPv6 next hop (struct rtvia).
                var via: [UInt8] = []
                withUnsafeBytes(of: UInt16(gw.isIPv4 ? NL.AF_INET : NL.AF_INET6)) { via.append(contentsOf: $0) }
                w.attribute(NL.RTA_VIA, via + gw.bytes)
            }
        }
        if let oif = spec.ifindex { w.attribute(NL.RTA_OIF, u32: UInt32(bitPattern: oif)) }
        if let prio = spec.priority { w.attribute(NL.RTA_PRIORITY, u32: prio) }
        return w.bytes
    }
}
