import StraitCore

/// A network interface as rtnetlink describes it (struct ifinfomsg + IFLA_* attributes).
public struct LinkInfo: Hashable, Sendable {
    public var index: Int32
    public var name: String?
    public var mac: MACAddress?
    public var mtu: UInt32?
    /// IFF_* flags (ifi_flags).
    public var flags: UInt32

    public init(index: Int32, name: String? = nil, mac: MACAddress? = nil, mtu: UInt32? = nil, flags: UInt32 = 0) {
        self.index = index; self.name = name; self.mac = mac; self.mtu = mtu; self.flags = flags
    }

    /// Administratively up (IFF_UP).
    public var isUp: Bool { flags & NL.IFF_UP != 0 }
}

/// An interface address (struct ifaddrmsg + IFA_LOCAL / IFA_ADDRESS).
public struct AddressInfo: Hashable, Sendable {
    public var family: UInt8
    public var index: Int32
    public var prefixLength: Int
    public var scope: UInt8
    /// IFA_LOCAL: the interface's own address (differs from IFA_ADDRESS on point-to-point links).
    public var local: IPAddress?
    /// IFA_ADDRESS: the prefix address, or the peer on point-to-point links.
    public var address: IPAddress?

    public init(family: UInt8, index: Int32, prefixLength: Int, scope: UInt8 = 0, local: IPAddress? = nil, address: IPAddress? = nil) {
        self.family = family; self.index = index; self.prefixLength = prefixLength
        self.scope = scope; self.local = local; self.address = address
    }

    /// The box's own address: IFA_LOCAL when present (IPv4), else IFA_ADDRESS (IPv6 sends only that).
    public var ownAddress: IPAddress? { local ?? address }

    /// The address with its prefix length (`10.0.0.1/24`), when the message carried one.
    public var prefix: IPPrefix? {
        guard let a = ownAddress, prefixLength <= a.bitWidth else { return nil }
        return IPPrefix(address: a, length: prefixLength)
    }
}

/// One next hop of a route: the single one of RTA_GATEWAY/RTA_VIA + RTA_OIF, or one rtnexthop of RTA_MULTIPATH.
public struct RouteNextHop: Hashable, Sendable {
    /// Output interface index; nil when the kernel gave none.
    public var ifindex: Int32?
    /// RTA_GATEWAY, or the address of RTA_VIA (which may be of the other family: IPv4 over an IPv6 next hop).
    public var gateway: IPAddress?
    /// RTNH_F_* flags (0 for a single next hop).
    public var flags: UInt8

    public init(ifindex: Int32?, gateway: IPAddress? = nil, flags: UInt8 = 0) {
        self.ifindex = ifindex; self.gateway = gateway; self.flags = flags
    }
}

/// A route (struct rtmsg + RTA_* attributes).
public struct RouteInfo: Hashable, Sendable {
    public var family: UInt8
    public var destinationLength: Int
    public var tos: UInt8
    /// RTA_TABLE when present (it overrides rtm_table, which only holds 8 bits), else rtm_table.
    public var table: UInt32
    public var proto: UInt8
    public var scope: UInt8
    /// RTN_* route type.
    public var type: UInt8
    public var flags: UInt32
    /// RTA_DST; nil for a default route.
    public var destination: IPAddress?
    /// RTA_PRIORITY (the metric); the kernel leaves it out when it is 0 (IPv4).
    public var priority: UInt32
    public var preferredSource: IPAddress?
    /// The next hops: one built from RTA_OIF + RTA_GATEWAY/RTA_VIA, or the RTA_MULTIPATH list.
    /// Empty for routes without an interface (blackhole etc. on IPv4).
    public var nextHops: [RouteNextHop]
    /// RTA_NH_ID: the route uses a nexthop object (its next hops are listed too while the
    /// sysctl net.ipv4.nexthop_compat_mode is 1, the default).
    public var nextHopID: UInt32?

    public init(family: UInt8, destinationLength: Int, tos: UInt8 = 0, table: UInt32 = NL.RT_TABLE_MAIN,
                proto: UInt8 = NL.RTPROT_BOOT, scope: UInt8 = NL.RT_SCOPE_UNIVERSE, type: UInt8 = NL.RTN_UNICAST,
                flags: UInt32 = 0, destination: IPAddress? = nil, priority: UInt32 = 0,
                preferredSource: IPAddress? = nil, nextHops: [RouteNextHop] = [], nextHopID: UInt32? = nil) {
        self.family = family; self.destinationLength = destinationLength; self.tos = tos; self.table = table
        self.proto = proto; self.scope = scope; self.type = type; self.flags = flags
        self.destination = destination; self.priority = priority; self.preferredSource = preferredSource
        self.nextHops = nextHops; self.nextHopID = nextHopID
    }

    /// The destination prefix (`0.0.0.0/0` or `::/0` when RTA_DST is absent); nil if inconsistent.
    public var prefix: IPPrefix? {
        let address: IPAddress
        if let d = destination {
            address = d
        } else if family == NL.AF_INET {
            address = .v4(IPv4Address(0))
        } else if family == NL.AF_INET6 {
            address = .v6(IPv6Address(high: 0, low: 0))
        } else {
            return nil
        }
        guard destinationLength >= 0, destinationLength <= address.bitWidth else { return nil }
        return IPPrefix(address: address, length: destinationLength).network
    }
}

/// A neighbour (ARP / NDP) entry (struct ndmsg + NDA_DST / NDA_LLADDR).
public struct NeighborInfo: Hashable, Sendable {
    public var family: UInt8
    public var index: Int32
    /// NUD_* state bits.
    public var state: UInt16
    /// NTF_* flags.
    public var flags: UInt8
    public var destination: IPAddress?
    /// NDA_LLADDR when it is a 6-byte Ethernet address.
    public var lladdr: MACAddress?

    public init(family: UInt8, index: Int32, state: UInt16, flags: UInt8 = 0, destination: IPAddress? = nil, lladdr: MACAddress? = nil) {
        self.family = family; self.index = index; self.state = state; self.flags = flags
        self.destination = destination; self.lladdr = lladdr
    }

    /// States in which the entry's link-layer address can be used for forwarding.
    public static let usableStates: UInt16 =
        NL.NUD_REACHABLE | NL.NUD_STALE | NL.NUD_DELAY | NL.NUD_PROBE | NL.NUD_PERMANENT | NL.NUD_NOARP

    public var isUsable: Bool { state & Self.usableStates != 0 && lladdr != nil && destination != nil }
}

/// What one netlink message says.
public enum NetlinkEvent: Hashable, Sendable {
    case link(LinkInfo, deleted: Bool)
    case address(AddressInfo, deleted: Bool)
    case route(RouteInfo, deleted: Bool)
    case neighbor(NeighborInfo, deleted: Bool)
    /// NLMSG_DONE: the end of a multi-part dump.
    case done
    /// NLMSG_ERROR with error 0: the request of that sequence number succeeded.
    case ack
    /// NLMSG_ERROR with an error: `errno` is positive (the kernel sends it negated);
    /// `message` is the extended ack text (NLMSGERR_ATTR_MSG) when the kernel gave one.
    case error(errno: Int32, message: String?)
    /// NLMSG_OVERRUN: data were lost.
    case overrun
    /// A message type this codec does not decode (NLMSG_NOOP, rules, nexthop objects...).
    case other(type: UInt16)
}

/// struct nlmsghdr.
public struct NetlinkHeader: Hashable, Sendable {
    public var length: UInt32
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    public var portID: UInt32

    public init(length: UInt32, type: UInt16, flags: UInt16, sequence: UInt32, portID: UInt32) {
        self.length = length; self.type = type; self.flags = flags; self.sequence = sequence; self.portID = portID
    }

    /// NLM_F_DUMP_INTR: the dump was interrupted by a change and may be inconsistent.
    public var dumpInterrupted: Bool { flags & NL.NLM_F_DUMP_INTR != 0 }
}

/// One decoded message.
public struct NetlinkMessage: Hashable, Sendable {
    public var header: NetlinkHeader
    public var event: NetlinkEvent

    public init(header: NetlinkHeader, event: NetlinkEvent) { self.header = header; self.event = event }
}

/// A message (or a whole buffer) that could not be decoded. Parsing never traps; it returns these.
public struct NetlinkParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The header of the offending message, when it could be read.
    public var header: NetlinkHeader?
    /// Byte offset of the offending message in the buffer.
    public var offset: Int
    public var reason: String
    /// True when the rest of the buffer could not be walked (a broken nlmsghdr), so
    /// messages may have been lost; false when only this message's body was bad.
    public var lostFraming: Bool

    public init(header: NetlinkHeader?, offset: Int, reason: String, lostFraming: Bool) {
        self.header = header; self.offset = offset; self.reason = reason; self.lostFraming = lostFraming
    }

    public var description: String {
        if let h = header {
            return "netlink message type \(h.type) seq \(h.sequence) at offset \(offset): \(reason)"
        }
        return "netlink buffer at offset \(offset): \(reason)"
    }
}
