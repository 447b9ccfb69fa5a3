import StraitCore

/// Decodes the rtnetlink messages of a receive buffer. Pure: no I/O, never traps on bad input.
public enum NetlinkParser {
    /// All messages of `bytes`, in order. A message whose body is malformed is a `.failure` and the
    /// walk goes on with the next one; a broken nlmsghdr ends the walk with a `.failure` whose
    /// `lostFraming` is true.
    public static func parse(_ bytes: [UInt8]) -> [Result<NetlinkMessage, NetlinkParseError>] {
        var out: [Result<NetlinkMessage, NetlinkParseError>] = []
        forEachMessage(in: bytes) { out.append($0) }
        return out
    }

    /// Same as `parse`, without building an array (dumps can hold many thousands of routes).
    public static func forEachMessage(in bytes: [UInt8], _ body: (Result<NetlinkMessage, NetlinkParseError>) -> Void) {
        let r = ByteReader(bytes)
        var offset = 0
        while offset < r.count {
            guard r.count - offset >= NL.NLMSG_HDRLEN,
                  let len32 = r.u32(offset), let type = r.u16(offset + 4), let flags = r.u16(offset + 6),
                  let seq = r.u32(offset + 8), let pid = r.u32(offset + 12) else {
                body(.failure(NetlinkParseError(header: nil, offset: offset,
                                                reason: "truncated header: \(r.count - offset) bytes left, 16 needed",
                                                lostFraming: true)))
                return
            }
            let header = NetlinkHeader(length: len32, type: type, flags: flags, sequence: seq, portID: pid)
            let len = Int(len32)
            guard len >= NL.NLMSG_HDRLEN, len <= r.count - offset else {
                body(.failure(NetlinkParseError(header: header, offset: offset,
                                                reason: "bad nlmsg_len \(len) with \(r.count - offset) bytes left",
                                                lostFraming: true)))
                return
            }
            let payload = (offset + NL.NLMSG_HDRLEN)..<(offset + len)
            switch decodeBody(r, header: header, payload: payload) {
            case .success(let event):
                body(.success(NetlinkMessage(header: header, event: event)))
            case .failure(let reason):
                body(.failure(NetlinkParseError(header: header, offset: offset, reason: reason.text, lostFraming: false)))
            }
            offset += NL.align(len)
        }
    }

    struct Reason: Error { let text: String; init(_ t: String) { text = t } }

    static func decodeBody(_ r: ByteReader, header: NetlinkHeader, payload: Range<Int>) -> Result<NetlinkEvent, Reason> {
        switch header.type {
        case NL.NLMSG_DONE:
            // The payload is an int: 0, or a negative errno when the dump failed.
            if payload.count >= 4, let code = r.i32(payload.lowerBound), code < 0 {
                return .success(.error(errno: code == Int32.min ? Int32.max : -code, message: nil))
            }
            return .success(.done)
        case NL.NLMSG_ERROR:
            return decodeError(r, header: header, payload: payload)
        case NL.NLMSG_OVERRUN:
            return .success(.overrun)
        case NL.RTM_NEWLINK, NL.RTM_DELLINK:
            let deleted = header.type == NL.RTM_DELLINK
            return decodeLink(r, payload).map { info -> NetlinkEvent in info.map { NetlinkEvent.link($0, deleted: deleted) } ?? .other(type: header.type) }
        case NL.RTM_NEWADDR, NL.RTM_DELADDR:
            let deleted = header.type == NL.RTM_DELADDR
            return decodeAddress(r, payload).map { info -> NetlinkEvent in info.map { NetlinkEvent.address($0, deleted: deleted) } ?? .other(type: header.type) }
        case NL.RTM_NEWROUTE, NL.RTM_DELROUTE:
            let deleted = header.type == NL.RTM_DELROUTE
            return decodeRoute(r, payload).map { info -> NetlinkEvent in info.map { NetlinkEvent.route($0, deleted: deleted) } ?? .other(type: header.type) }
        case NL.RTM_NEWNEIGH, NL.RTM_DELNEIGH:
            let deleted = header.type == NL.RTM_DELNEIGH
            return decodeNeighbor(r, payload).map { info -> NetlinkEvent in info.map { NetlinkEvent.neighbor($0, deleted: deleted) } ?? .other(type: header.type) }
        default:
            return .success(.other(type: header.type))
        }
    }

    // MARK: NLMSG_ERROR

    /// struct nlmsgerr { int error; struct nlmsghdr msg; } then, with NLM_F_ACK_TLVS, attributes.
    /// Without NLM_F_CAPPED the request's payload is echoed after the header.
    static func decodeError(_ r: ByteReader, header: NetlinkHeader, payload: Range<Int>) -> Result<NetlinkEvent, Reason> {
        guard payload.count >= 4, let code = r.i32(payload.lowerBound) else {
            return .failure(Reason("NLMSG_ERROR shorter than its error code (\(payload.count) bytes)"))
        }
        if code == 0 { return .success(.ack) }
        var message: String?
        if header.flags & NL.NLM_F_ACK_TLVS != 0, payload.count >= 4 + NL.NLMSG_HDRLEN,
           let echoed = r.u32(payload.lowerBound + 4) {
            let echoedLength = header.flags & NL.NLM_F_CAPPED != 0 ? NL.NLMSG_HDRLEN : Int(echoed)
            let tlvStart = payload.lowerBound + 4 + NL.align(max(echoedLength, NL.NLMSG_HDRLEN))
            if tlvStart <= payload.upperBound, let attrs = Attributes.parse(r, tlvStart..<payload.upperBound),
               let m = attrs[NL.NLMSGERR_ATTR_MSG], let text = r.string(m), !text.isEmpty {
                message = text
            }
        }
        // Errors are negative errnos; a positive value is not expected but is kept readable.
        let errno: Int32 = code == Int32.min ? Int32.max : abs(code)
        return .success(.error(errno: errno, message: message))
    }

    // MARK: Links

    /// struct ifinfomsg { u8 family; u8 pad; u16 type; s32 index; u32 flags; u32 change; }.
    /// Only AF_UNSPEC messages describe links; AF_BRIDGE ones are bridge-port details (nil).
    static func decodeLink(_ r: ByteReader, _ payload: Range<Int>) -> Result<LinkInfo?, Reason> {
        guard payload.count >= NL.IFINFOMSG_LEN, let family = r.u8(payload.lowerBound),
              let index = r.i32(payload.lowerBound + 4), let flags = r.u32(payload.lowerBound + 8) else {
            return .failure(Reason("link message shorter than ifinfomsg (\(payload.count) bytes)"))
        }
        guard family == NL.AF_UNSPEC else { return .success(nil) }
        guard let attrs = Attributes.parse(r, (payload.lowerBound + NL.IFINFOMSG_LEN)..<payload.upperBound) else {
            return .failure(Reason("link \(index): malformed attributes"))
        }
        var link = LinkInfo(index: index, flags: flags)
        if let p = attrs[NL.IFLA_IFNAME] { link.name = r.string(p) }
        if let p = attrs[NL.IFLA_ADDRESS], p.count == 6, let raw = r.slice(p) { link.mac = MACAddress(raw) }
        if let p = attrs[NL.IFLA_MTU] {
            guard p.count >= 4, let mtu = r.u32(p.lowerBound) else { return .failure(Reason("link \(index): short IFLA_MTU")) }
            link.mtu = mtu
        }
        return .success(link)
    }

    // MARK: Addresses

    /// struct ifaddrmsg { u8 family; u8 prefixlen; u8 flags; u8 scope; u32 index; }.
    static func decodeAddress(_ r: ByteReader, _ payload: Range<Int>) -> Result<AddressInfo?, Reason> {
        guard payload.count >= NL.IFADDRMSG_LEN, let family = r.u8(payload.lowerBound),
              let plen = r.u8(payload.lowerBound + 1), let scope = r.u8(payload.lowerBound + 3),
              let index = r.u32(payload.lowerBound + 4) else {
            return .failure(Reason("address message shorter than ifaddrmsg (\(payload.count) bytes)"))
        }
        guard family == NL.AF_INET || family == NL.AF_INET6 else { return .success(nil) }
        guard Int(plen) <= (family == NL.AF_INET ? 32 : 128) else {
            return .failure(Reason("address prefix length \(plen) too long for the family"))
        }
        guard let attrs = Attributes.parse(r, (payload.lowerBound + NL.IFADDRMSG_LEN)..<payload.upperBound) else {
            return .failure(Reason("address on ifindex \(index): malformed attributes"))
        }
        var info = AddressInfo(family: family, index: Int32(bitPattern: index), prefixLength: Int(plen), scope: scope)
        if let p = attrs[NL.IFA_LOCAL] {
            guard let a = r.address(p, family: family) else { return .failure(Reason("IFA_LOCAL of \(p.count) bytes for family \(family)")) }
            info.local = a
        }
        if let p = attrs[NL.IFA_ADDRESS] {
            guard let a = r.address(p, family: family) else { return .failure(Reason("IFA_ADDRESS of \(p.count) bytes for family \(family)")) }
            info.address = a
        }
        guard info.ownAddress != nil else { return .failure(Reason("address message without IFA_LOCAL or IFA_ADDRESS")) }
        return .success(info)
    }

    // MARK: Routes

    /// struct rtmsg { u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags; }.
    /// Families other than IPv4/IPv6 (MPLS, multicast routing) give nil.
    static func decodeRoute(_ r: ByteReader, _ payload: Range<Int>) -> Result<RouteInfo?, Reason> {
        let b = payload.lowerBound
        guard payload.count >= NL.RTMSG_LEN, let family = r.u8(b), let dstLen = r.u8(b + 1), let tos = r.u8(b + 3),
              let table = r.u8(b + 4), let proto = r.u8(b + 5), let scope = r.u8(b + 6), let type = r.u8(b + 7),
              let flags = r.u32(b + 8) else {
            return .failure(Reason("route message shorter than rtmsg (\(payload.count) bytes)"))
        }
        guard family == NL.AF_INET || family == NL.AF_INET6 else { return .success(nil) }
        guard Int(dstLen) <= (family == NL.AF_INET ? 32 : 128) else {
            return .failure(Reason("route destination length \(dstLen) too long for the family"))
        }
        guard let attrs = Attributes.parse(r, (b + NL.RTMSG_LEN)..<payload.upperBound) else {
            return .failure(Reason("route: malformed attributes"))
        }
        var route = RouteInfo(family: family, destinationLength: Int(dstLen), tos: tos, table: UInt32(table),
                              proto: proto, scope: scope, type: type, flags: flags)
        if let p = attrs[NL.RTA_TABLE] {
            guard p.count >= 4, let t = r.u32(p.lowerBound) else { return .failure(Reason("short RTA_TABLE")) }
            route.table = t
        }
        if let p = attrs[NL.RTA_DST] {
            guard let a = r.address(p, family: family) else { return .failure(Reason("RTA_DST of \(p.count) bytes for family \(family)")) }
            route.destination = a
        }
        if let p = attrs[NL.RTA_PRIORITY] {
            guard p.count >= 4, let v = r.u32(p.lowerBound) else { return .failure(Reason("short RTA_PRIORITY")) }
            route.priority = v
        }
        if let p = attrs[NL.RTA_PREFSRC] { route.preferredSource = r.address(p, family: family) }
        if let p = attrs[NL.RTA_NH_ID] {
            guard p.count >= 4, let v = r.u32(p.lowerBound) else { return .failure(Reason("short RTA_NH_ID")) }
            route.nextHopID = v
        }
        var oif: Int32?
        if let p = attrs[NL.RTA_OIF] {
            guard p.count >= 4, let v = r.i32(p.lowerBound) else { return .failure(Reason("short RTA_OIF")) }
            oif = v
        }
        let gateway: IPAddress?
        switch decodeGateway(r, attrs, family: family) {
        case .success(let g): gateway = g
        case .failure(let e): return .failure(e)
        }
        if let p = attrs[NL.RTA_MULTIPATH] {
            switch decodeMultipath(r, p, family: family) {
            case .success(let hops): route.nextHops = hops
            case .failure(let e): return .failure(e)
            }
        } else if oif != nil || gateway != nil {
            route.nextHops = [RouteNextHop(ifindex: oif, gateway: gateway)]
        }
        return .success(route)
    }

    /// RTA_GATEWAY (same family as the route), else RTA_VIA (struct rtvia { u16 family; u8 addr[]; }).
    static func decodeGateway(_ r: ByteReader, _ attrs: Attributes, family: UInt8) -> Result<IPAddress?, Reason> {
        if let p = attrs[NL.RTA_GATEWAY] {
            guard let a = r.address(p, family: family) else { return .failure(Reason("RTA_GATEWAY of \(p.count) bytes for family \(family)")) }
            return .success(a)
        }
        if let p = attrs[NL.RTA_VIA] {
            guard p.count >= 2, let viaFamily = r.u16(p.lowerBound), viaFamily <= UInt16(UInt8.max),
                  let a = r.address((p.lowerBound + 2)..<p.upperBound, family: UInt8(viaFamily)) else {
                return .failure(Reason("malformed RTA_VIA (\(p.count) bytes)"))
            }
            return .success(a)
        }
        return .success(nil)
    }

    /// RTA_MULTIPATH: struct rtnexthop { u16 len; u8 flags; u8 hops; s32 ifindex; } each followed by
    /// its own attributes (RTA_GATEWAY / RTA_VIA), aligned with RTNH_ALIGN (4).
    static func decodeMultipath(_ r: ByteReader, _ range: Range<Int>, family: UInt8) -> Result<[RouteNextHop], Reason> {
        var hops: [RouteNextHop] = []
        var offset = range.lowerBound
        while range.upperBound - offset >= NL.RTNEXTHOP_LEN {
            guard let len16 = r.u16(offset), let flags = r.u8(offset + 2), let ifindex = r.i32(offset + 4) else {
                return .failure(Reason("truncated rtnexthop"))
            }
            let len = Int(len16)
            guard len >= NL.RTNEXTHOP_LEN, len <= range.upperBound - offset else {
                return .failure(Reason("rtnexthop length \(len) with \(range.upperBound - offset) bytes left"))
            }
            guard let attrs = Attributes.parse(r, (offset + NL.RTNEXTHOP_LEN)..<(offset + len)) else {
                return .failure(Reason("rtnexthop: malformed attributes"))
            }
            switch decodeGateway(r, attrs, family: family) {
            case .success(let gw): hops.append(RouteNextHop(ifindex: ifindex, gateway: gw, flags: flags))
            case .failure(let e): return .failure(e)
            }
            offset += NL.align(len)
        }
        if hops.isEmpty { return .failure(Reason("empty RTA_MULTIPATH")) }
        return .success(hops)
    }

    // MARK: Neighbours

    /// struct ndmsg { u8 family; u8 pad1; u16 pad2; s32 ifindex; u16 state; u8 flags; u8 type; }.
    /// Families other than IPv4/IPv6 (bridge FDB entries) give nil.
    static func decodeNeighbor(_ r: ByteReader, _ payload: Range<Int>) -> Result<NeighborInfo?, Reason> {
        let b = payload.lowerBound
        guard payload.count >= NL.NDMSG_LEN, let family = r.u8(b), let index = r.i32(b + 4),
              let state = r.u16(b + 8), let flags = r.u8(b + 10) else {
            return .failure(Reason("neighbour message shorter than ndmsg (\(payload.count) bytes)"))
        }
        guard family == NL.AF_INET || family == NL.AF_INET6 else { return .success(nil) }
        guard let attrs = Attributes.parse(r, (b + NL.NDMSG_LEN)..<payload.upperBound) else {
            return .failure(Reason("neighbour on ifindex \(index): malformed attributes"))
        }
        var info = NeighborInfo(family: family, index: index, state: state, flags: flags)
        if let p = attrs[NL.NDA_DST] {
            guard let a = r.address(p, family: family) else { return .failure(Reason("NDA_DST of \(p.count) bytes for family \(family)")) }
            info.destination = a
        } else {
            return .failure(Reason("neighbour message without NDA_DST"))
        }
        // Only Ethernet link-layer addresses are usable by the fast path; others (tunnels) stay nil.
        if let p = attrs[NL.NDA_LLADDR], p.count == 6, let raw = r.slice(p) { info.lladdr = MACAddress(raw) }
        return .success(info)
    }
}
