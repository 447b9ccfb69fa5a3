import StraitCore
@testable import StraitNetlink

/// Builds netlink messages byte by byte as the kernel lays them out (host byte order, 4-byte
/// alignment), independently of the production writer, so the parser is checked against the layout.
enum KernelBytes {
    static func u16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v) { Array($0) } }
    static func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v) { Array($0) } }
    static func i32(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v) { Array($0) } }

    static func pad(_ b: [UInt8]) -> [UInt8] { b + [UInt8](repeating: 0, count: (4 - b.count % 4) % 4) }

    /// struct rtattr + payload, padded.
    static func attr(_ type: UInt16, _ payload: [UInt8]) -> [UInt8] {
        pad(u16(UInt16(4 + payload.count)) + u16(type) + payload)
    }

    static func attr(_ type: UInt16, u32 v: UInt32) -> [UInt8] { attr(type, u32(v)) }
    static func ip(_ text: String) -> [UInt8] { IPAddress(text)!.bytes }

    /// struct nlmsghdr + body (padded; nlmsg_len counts the unpadded body, as the kernel does).
    static func message(type: UInt16, flags: UInt16 = 0, seq: UInt32 = 0, pid: UInt32 = 0, body: [UInt8]) -> [UInt8] {
        pad(u32(UInt32(16 + body.count)) + u16(type) + u16(flags) + u32(seq) + u32(pid) + body)
    }

    static func link(index: Int32, name: String?, mac: [UInt8]? = nil, mtu: UInt32? = nil, flags: UInt32 = NL.IFF_UP,
                     family: UInt8 = 0, deleted: Bool = false, seq: UInt32 = 0, msgFlags: UInt16 = 0) -> [UInt8] {
        var body: [UInt8] = [family, 0] + u16(1) + i32(index) + u32(flags) + u32(0xffff_ffff)
        if let mac { body += attr(NL.IFLA_ADDRESS, mac) }
        if let name { body += attr(NL.IFLA_IFNAME, Array(name.utf8) + [0]) }
        if let mtu { body += attr(NL.IFLA_MTU, u32: mtu) }
        return message(type: deleted ? NL.RTM_DELLINK : NL.RTM_NEWLINK, flags: msgFlags, seq: seq, body: body)
    }

    static func address(index: UInt32, prefix: String, local: Bool = true, deleted: Bool = false, seq: UInt32 = 0) -> [UInt8] {
        let p = IPPrefix(prefix)!
        let family = p.isIPv4 ? NL.AF_INET : NL.AF_INET6
        var body: [UInt8] = [family, UInt8(p.length), 0, 0] + u32(index)
        body += attr(NL.IFA_ADDRESS, p.address.bytes)
        if local { body += attr(NL.IFA_LOCAL, p.address.bytes) }
        body += attr(NL.IFA_LABEL, Array("x".utf8) + [0])
        return message(type: deleted ? NL.RTM_DELADDR : NL.RTM_NEWADDR, seq: seq, body: body)
    }

    /// One rtnexthop of RTA_MULTIPATH: gateway via RTA_GATEWAY, or via RTA_VIA when `via` is set.
    static func nexthop(ifindex: Int32, gateway: String? = nil, via: String? = nil, flags: UInt8 = 0) -> [UInt8] {
        var attrs: [UInt8] = []
        if let gateway { attrs += attr(NL.RTA_GATEWAY, ip(gateway)) }
        if let via {
            let a = IPAddress(via)!
            attrs += attr(NL.RTA_VIA, u16(UInt16(a.isIPv4 ? NL.AF_INET : NL.AF_INET6)) + a.bytes)
        }
        return u16(UInt16(8 + attrs.count)) + [flags, 0] + i32(ifindex) + attrs
    }

    static func route(_ dst: String, gateway: String? = nil, via: String? = nil, oif: Int32? = nil, priority: UInt32? = nil,
                      table: UInt8 = 254, rtaTable: UInt32? = nil, type: UInt8 = NL.RTN_UNICAST, tos: UInt8 = 0,
                      rtmFlags: UInt32 = 0, multipath: [[UInt8]]? = nil, deleted: Bool = false,
                      seq: UInt32 = 0, msgFlags: UInt16 = 0) -> [UInt8] {
        let p = IPPrefix(dst)!
        let family = p.isIPv4 ? NL.AF_INET : NL.AF_INET6
        var body: [UInt8] = [family, UInt8(p.length), 0, tos, table, NL.RTPROT_BOOT, 0, type] + u32(rtmFlags)
        if let rtaTable { body += attr(NL.RTA_TABLE, u32: rtaTable) }
        if p.length > 0 { body += attr(NL.RTA_DST, p.address.bytes) }
        if let priority { body += attr(NL.RTA_PRIORITY, u32: priority) }
        if let gateway { body += attr(NL.RTA_GATEWAY, ip(gateway)) }
        if let via {
            let a = IPAddress(via)!
            body += attr(NL.RTA_VIA, u16(UInt16(a.isIPv4 ? NL.AF_INET : NL.AF_INET6)) + a.bytes)
        }
        if let oif { body += attr(NL.RTA_OIF, u32: UInt32(bitPattern: oif)) }
        if let multipath { body += attr(NL.RTA_MULTIPATH, multipath.flatMap { $0 }) }
        return message(type: deleted ? NL.RTM_DELROUTE : NL.RTM_NEWROUTE, flags: msgFlags, seq: seq, body: body)
    }

    static func neighbor(index: Int32, dst: String, lladdr: [UInt8]?, state: UInt16, flags: UInt8 = 0,
                         deleted: Bool = false) -> [UInt8] {
        let a = IPAddress(dst)!
        let family = a.isIPv4 ? NL.AF_INET : NL.AF_INET6
        var body: [UInt8] = [family, 0, 0, 0] + i32(index) + u16(state) + [flags, 1]
        body += attr(NL.NDA_DST, a.bytes)
        if let lladdr { body += attr(NL.NDA_LLADDR, lladdr) }
        return message(type: deleted ? NL.RTM_DELNEIGH : NL.RTM_NEWNEIGH, body: body)
    }

    static func done(seq: UInt32) -> [UInt8] {
        message(type: NL.NLMSG_DONE, flags: NL.NLM_F_MULTI, seq: seq, body: i32(0))
    }

    /// NLMSG_ERROR. Capped: only the request's header is echoed; otherwise `echoedPayload` follows it.
    static func error(seq: UInt32, code: Int32, capped: Bool = true, echoedPayload: [UInt8] = [],
                      extAckMessage: String? = nil) -> [UInt8] {
        var flags: UInt16 = capped ? NL.NLM_F_CAPPED : 0
        let echoed = capped ? [] : echoedPayload
        let echoedHeader = u32(UInt32(16 + echoedPayload.count)) + u16(NL.RTM_NEWROUTE) + u16(5) + u32(seq) + u32(0)
        var body = i32(code) + echoedHeader + pad(echoed)
        if let extAckMessage {
            flags |= NL.NLM_F_ACK_TLVS
            body += attr(NL.NLMSGERR_ATTR_MSG, Array(extAckMessage.utf8) + [0])
        }
        return message(type: NL.NLMSG_ERROR, flags: flags, seq: seq, body: body)
    }
}
