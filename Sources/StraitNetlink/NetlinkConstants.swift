// Kernel netlink constants, with the kernel's values.
//
// Swift's Glibc module does not export <linux/netlink.h>, <linux/rtnetlink.h> and friends,
// so the values this target needs are copied here. They are part of the kernel's stable
// user-space ABI. Each group names the header it comes from.

/// Constants of the netlink protocol and of rtnetlink, grouped by header.
public enum NL {
    // MARK: <linux/socket.h>, <bits/socket.h>
    public static let AF_UNSPEC: UInt8 = 0
    public static let AF_INET: UInt8 = 2
    public static let AF_BRIDGE: UInt8 = 7
    public static let AF_INET6: UInt8 = 10
    public static let AF_NETLINK: Int32 = 16
    public static let SOL_NETLINK: Int32 = 270

    // MARK: <asm-generic/socket.h>
    public static let SOL_SOCKET: Int32 = 1
    public static let SO_RCVBUF: Int32 = 8
    public static let SO_RCVBUFFORCE: Int32 = 33

    // MARK: <linux/netlink.h>
    public static let NETLINK_ROUTE: Int32 = 0
    public static let NETLINK_CAP_ACK: Int32 = 10
    public static let NETLINK_EXT_ACK: Int32 = 11

    public static let NLMSG_ALIGNTO = 4
    public static let NLMSG_HDRLEN = 16          // sizeof(struct nlmsghdr)

    public static let NLMSG_NOOP: UInt16 = 1
    public static let NLMSG_ERROR: UInt16 = 2
    public static let NLMSG_DONE: UInt16 = 3
    public static let NLMSG_OVERRUN: UInt16 = 4

    public static let NLM_F_REQUEST: UInt16 = 0x01
    public static let NLM_F_MULTI: UInt16 = 0x02
    public static let NLM_F_ACK: UInt16 = 0x04
    public static let NLM_F_ECHO: UInt16 = 0x08
    public static let NLM_F_DUMP_INTR: UInt16 = 0x10
    // GET requests
    public static let NLM_F_ROOT: UInt16 = 0x100
    public static let NLM_F_MATCH: UInt16 = 0x200
    public static let NLM_F_DUMP: UInt16 = 0x300   // NLM_F_ROOT | NLM_F_MATCH
    // NEW requests
    public static let NLM_F_REPLACE: UInt16 = 0x100
    public static let NLM_F_EXCL: UInt16 = 0x200
    public static let NLM_F_CREATE: UInt16 = 0x400
    public static let NLM_F_APPEND: UInt16 = 0x800
    // Flags of an NLMSG_ERROR acknowledgment
    public static let NLM_F_CAPPED: UInt16 = 0x100
    public static let NLM_F_ACK_TLVS: UInt16 = 0x200

    public static let NLMSGERR_ATTR_MSG: UInt16 = 1
    public static let NLA_TYPE_MASK: UInt16 = 0x3fff   // ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER)

    // MARK: <linux/rtnetlink.h>: message types
    public static let RTM_NEWLINK: UInt16 = 16
    public static let RTM_DELLINK: UInt16 = 17
    public static let RTM_GETLINK: UInt16 = 18
    public static let RTM_SETLINK: UInt16 = 19
    public static let RTM_NEWADDR: UInt16 = 20
    public static let RTM_DELADDR: UInt16 = 21
    public static let RTM_GETADDR: UInt16 = 22
    public static let RTM_NEWROUTE: UInt16 = 24
    public static let RTM_DELROUTE: UInt16 = 25
    public static let RTM_GETROUTE: UInt16 = 26
    public static let RTM_NEWNEIGH: UInt16 = 28
    public static let RTM_DELNEIGH: UInt16 = 29
    public static let RTM_GETNEIGH: UInt16 = 30

    // MARK: <linux/rtnetlink.h>: legacy multicast group bits for nl_groups
    public static let RTMGRP_LINK: UInt32 = 0x1
    public static let RTMGRP_NEIGH: UInt32 = 0x4
    public static let RTMGRP_IPV4_IFADDR: UInt32 = 0x10
    public static let RTMGRP_IPV4_ROUTE: UInt32 = 0x40
    public static let RTMGRP_IPV6_IFADDR: UInt32 = 0x100
    public static let RTMGRP_IPV6_ROUTE: UInt32 = 0x400

    // MARK: <linux/rtnetlink.h>: route types (rtm_type)
    public static let RTN_UNSPEC: UInt8 = 0
    public static let RTN_UNICAST: UInt8 = 1
    public static let RTN_LOCAL: UInt8 = 2
    public static let RTN_BROADCAST: UInt8 = 3
    public static let RTN_ANYCAST: UInt8 = 4
    public static let RTN_MULTICAST: UInt8 = 5
    public static let RTN_BLACKHOLE: UInt8 = 6
    public static let RTN_UNREACHABLE: UInt8 = 7
    public static let RTN_PROHIBIT: UInt8 = 8
    public static let RTN_THROW: UInt8 = 9

    // rtm_protocol
    public static let RTPROT_UNSPEC: UInt8 = 0
    public static let RTPROT_KERNEL: UInt8 = 2
    public static let RTPROT_BOOT: UInt8 = 3
    public static let RTPROT_STATIC: UInt8 = 4

    // rtm_scope
    public static let RT_SCOPE_UNIVERSE: UInt8 = 0
    public static let RT_SCOPE_LINK: UInt8 = 253
    public static let RT_SCOPE_HOST: UInt8 = 254
    public static let RT_SCOPE_NOWHERE: UInt8 = 255

    // rtm_table
    public static let RT_TABLE_UNSPEC: UInt32 = 0
    public static let RT_TABLE_MAIN: UInt32 = 254
    public static let RT_TABLE_LOCAL: UInt32 = 255

    // rtm_flags
    public static let RTM_F_CLONED: UInt32 = 0x200

    // Route attributes (enum rtattr_type_t)
    public static let RTA_DST: UInt16 = 1
    public static let RTA_SRC: UInt16 = 2
    public static let RTA_IIF: UInt16 = 3
    public static let RTA_OIF: UInt16 = 4
    public static let RTA_GATEWAY: UInt16 = 5
    public static let RTA_PRIORITY: UInt16 = 6
    public static let RTA_PREFSRC: UInt16 = 7
    public static let RTA_METRICS: UInt16 = 8
    public static let RTA_MULTIPATH: UInt16 = 9
    public static let RTA_TABLE: UInt16 = 15
    public static let RTA_VIA: UInt16 = 18
    public static let RTA_NH_ID: UInt16 = 30

    // rtnh_flags of struct rtnexthop
    public static let RTNH_F_DEAD: UInt8 = 1

    public static let RTMSG_LEN = 12        // sizeof(struct rtmsg)
    public static let RTNEXTHOP_LEN = 8     // sizeof(struct rtnexthop)
    public static let RTA_HDRLEN = 4        // sizeof(struct rtattr)

    // MARK: <linux/if_link.h>, <linux/rtnetlink.h>: links
    public static let IFINFOMSG_LEN = 16    // sizeof(struct ifinfomsg)
    public static let IFLA_ADDRESS: UInt16 = 1
    public static let IFLA_BROADCAST: UInt16 = 2
    public static let IFLA_IFNAME: UInt16 = 3
    public static let IFLA_MTU: UInt16 = 4

    // MARK: <linux/if.h>: interface flags
    public static let IFF_UP: UInt32 = 0x1
    public static let IFF_RUNNING: UInt32 = 0x40
    public static let IFF_LOWER_UP: UInt32 = 0x10000

    // MARK: <linux/if_addr.h>: addresses
    public static let IFADDRMSG_LEN = 8     // sizeof(struct ifaddrmsg)
    public static let IFA_ADDRESS: UInt16 = 1
    public static let IFA_LOCAL: UInt16 = 2
    public static let IFA_LABEL: UInt16 = 3
    public static let IFA_BROADCAST: UInt16 = 4
    public static let IFA_FLAGS: UInt16 = 8

    // MARK: <linux/neighbour.h>: neighbours
    public static let NDMSG_LEN = 12        // sizeof(struct ndmsg)
    public static let NDA_DST: UInt16 = 1
    public static let NDA_LLADDR: UInt16 = 2

    public static let NUD_NONE: UInt16 = 0x00
    public static let NUD_INCOMPLETE: UInt16 = 0x01
    public static let NUD_REACHABLE: UInt16 = 0x02
    public static let NUD_STALE: UInt16 = 0x04
    public static let NUD_DELAY: UInt16 = 0x08
    public static let NUD_PROBE: UInt16 = 0x10
    public static let NUD_FAILED: UInt16 = 0x20
    public static let NUD_NOARP: UInt16 = 0x40
    public static let NUD_PERMANENT: UInt16 = 0x80

    public static let NTF_USE: UInt8 = 0x01        // "use the entry": start resolution if needed
    public static let NTF_PROXY: UInt8 = 0x08

    /// NLMSG_ALIGN / RTA_ALIGN / NLA_ALIGN: round up to a multiple of 4.
    @inline(__always)
    public static func align(_ length: Int) -> Int { (length + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1) }
}
