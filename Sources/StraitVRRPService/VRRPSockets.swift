import Foundation
import StraitCore
#if canImport(Glibc)
import Glibc
#endif

/// The raw sockets of the shell: IP protocol 112 per interface and family (bound to the
/// mirror, in the VRRP multicast group, TTL/Hop Limit 255, the received TTL reported), and
/// AF_PACKET for gratuitous ARP / unsolicited NA. Thin: every decision is VRRPCore's.
enum VRRPSockets {
    struct Failure: Error, CustomStringConvertible {
        var what: String
        var errno: Int32
        var description: String { "\(what): \(String(cString: strerror(errno)))" }
    }

    static func check(_ rc: Int32, _ what: String, closing fd: Int32 = -1) throws {
        guard rc >= 0 else {
            let e = errno
            if fd >= 0 { close(fd) }
            throw Failure(what: what, errno: e)
        }
    }

    static func setInt(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32, _ what: String) throws {
        var v = value
        try check(setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)), what, closing: fd)
    }

    /// A non-blocking raw socket for protocol 112 on `interface` (index `index`) for
    /// `source`'s family. Not bound to an address: a raw socket bound to one receives only
    /// what is sent to it, not the group's packets; `send` names the source instead.
    static func openRaw(interface: String, index: Int32, source: IPAddress) throws -> Int32 {
        let v4 = source.isIPv4
        let fd = socket(v4 ? AF_INET : AF_INET6, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 112)
        try check(fd, "socket(IPPROTO 112) on \(interface)")
        let rc = interface.withCString { setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, $0, socklen_t(strlen($0) + 1)) }
        try check(rc, "SO_BINDTODEVICE \(interface)", closing: fd)
        if v4 {
            let ip = Int32(IPPROTO_IP)
            try setInt(fd, ip, IP_TTL, 255, "IP_TTL")
            try setInt(fd, ip, IP_MULTICAST_TTL, 255, "IP_MULTICAST_TTL")
            try setInt(fd, ip, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP")
            var mreq = ip_mreqn()
            mreq.imr_multiaddr.s_addr = inet_addr("224.0.0.18")
            mreq.imr_ifindex = index
            try check(setsockopt(fd, ip, IP_ADD_MEMBERSHIP, &mreq, socklen_t(MemoryLayout<ip_mreqn>.size)), "join 224.0.0.18 on \(interface)", closing: fd)
            mreq.imr_multiaddr.s_addr = 0
            try check(setsockopt(fd, ip, IP_MULTICAST_IF, &mreq, socklen_t(MemoryLayout<ip_mreqn>.size)), "IP_MULTICAST_IF", closing: fd)
        } else {
            let ip6 = Int32(IPPROTO_IPV6)
            try setInt(fd, ip6, IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS")
            try setInt(fd, ip6, IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS")
            try setInt(fd, ip6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP")
            try setInt(fd, ip6, IPV6_MULTICAST_IF, index, "IPV6_MULTICAST_IF")
            try setInt(fd, ip6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT")
            try setInt(fd, ip6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO")
            var mreq = ipv6_mreq()
            mreq.ipv6mr_multiaddr = in6(VRRPAdvertisementGroup.v6)
            mreq.ipv6mr_interface = UInt32(index)
            try check(setsockopt(fd, ip6, IPV6_ADD_MEMBERSHIP, &mreq, socklen_t(MemoryLayout<ipv6_mreq>.size)), "join ff02::12 on \(interface)", closing: fd)
        }
        return fd
    }

    static func in6(_ a: IPAddress) -> in6_addr {
        var out = in6_addr()
        withUnsafeMutableBytes(of: &out) { raw in for (i, b) in a.bytes.enumerated() { raw[i] = b } }
        return out
    }

    /// Fills a sockaddr for `address` (port 0) and returns its length.
    static func fill(_ storage: inout sockaddr_storage, _ address: IPAddress, scope: UInt32) -> socklen_t {
        withUnsafeMutableBytes(of: &storage) { raw in
            if address.isIPv4 {
                var sin = sockaddr_in()
                sin.sin_family = sa_family_t(AF_INET)
                withUnsafeMutableBytes(of: &sin.sin_addr) { for (i, b) in address.bytes.enumerated() { $0[i] = b } }
                withUnsafeBytes(of: sin) { raw.copyMemory(from: $0) }
                return socklen_t(MemoryLayout<sockaddr_in>.size)
            }
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_addr = in6(address)
            // Link-local and multicast link-scope addresses need the interface.
            if address.bytes[0] == 0xfe || address.bytes[0] == 0xff { sin6.sin6_scope_id = scope }
            withUnsafeBytes(of: sin6) { raw.copyMemory(from: $0) }
            return socklen_t(MemoryLayout<sockaddr_in6>.size)
        }
    }

    /// Sends from `source` (IP_PKTINFO / IPV6_PKTINFO, so the kernel uses the address the
    /// checksum covers, not a virtual address it may prefer) out of interface `index`.
    /// Returns true when the kernel took the datagram.
    static func send(fd: Int32, _ payload: [UInt8], from source: IPAddress, to destination: IPAddress, index: Int32) -> Bool {
        var storage = sockaddr_storage()
        let length = fill(&storage, destination, scope: UInt32(index))
        let header = MemoryLayout<cmsghdr>.size   // 16 on LP64, already aligned
        let v4 = source.isIPv4
        let dataLength = v4 ? 12 : 20             // in_pktinfo / in6_pktinfo
        var control = [UInt64](repeating: 0, count: (header + dataLength + 7) / 8)
        control.withUnsafeMutableBytes { raw in
            let c = raw.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
            c.pointee.cmsg_len = header + dataLength
            c.pointee.cmsg_level = v4 ? Int32(IPPROTO_IP) : Int32(IPPROTO_IPV6)
            c.pointee.cmsg_type = v4 ? Int32(IP_PKTINFO) : Int32(IPV6_PKTINFO)
            let d = raw.baseAddress! + header
            if v4 {
                d.storeBytes(of: index, toByteOffset: 0, as: Int32.self)                         // ipi_ifindex
                for (i, b) in source.bytes.enumerated() { d.storeBytes(of: b, toByteOffset: 4 + i, as: UInt8.self) }  // ipi_spec_dst
            } else {
                for (i, b) in source.bytes.enumerated() { d.storeBytes(of: b, toByteOffset: i, as: UInt8.self) }      // ipi6_addr
                d.storeBytes(of: UInt32(index), toByteOffset: 16, as: UInt32.self)               // ipi6_ifindex
            }
        }
        let n = payload.withUnsafeBytes { p -> Int in
            var iov = iovec(iov_base: UnsafeMutableRawPointer(mutating: p.baseAddress), iov_len: p.count)
            return withUnsafeMutablePointer(to: &storage) { dst in
                withUnsafeMutablePointer(to: &iov) { iovPointer in
                    control.withUnsafeMutableBytes { ctl in
                        var msg = msghdr()
                        msg.msg_name = UnsafeMutableRawPointer(dst)
                        msg.msg_namelen = length
                        msg.msg_iov = iovPointer
                        msg.msg_iovlen = 1
                        msg.msg_control = ctl.baseAddress
                        msg.msg_controllen = header + dataLength
                        return sendmsg(fd, &msg, Int32(MSG_DONTWAIT))
                    }
                }
            }
        }
        return n == payload.count
    }

    struct Received {
        var payload: [UInt8]
        var source: IPAddress
        var destination: IPAddress
        var ttl: Int
    }

    enum ReadResult { case packet(Received), malformed, none }

    /// Reads one packet. IPv4 raw sockets return the IP header (TTL and destination are in it);
    /// IPv6 ones the payload, with Hop Limit and destination as control messages.
    static func receive(fd: Int32, v4: Bool) -> ReadResult {
        var buffer = [UInt8](repeating: 0, count: 2048)
        var control = [UInt64](repeating: 0, count: 16)
        var from = sockaddr_storage()
        var parsed6: (Int, IPAddress)?
        let n: Int = buffer.withUnsafeMutableBytes { buf in
            withUnsafeMutablePointer(to: &from) { fromPointer in
                control.withUnsafeMutableBytes { ctl in
                    var iov = iovec(iov_base: buf.baseAddress, iov_len: buf.count)
                    return withUnsafeMutablePointer(to: &iov) { iovPointer in
                        var msg = msghdr()
                        msg.msg_name = UnsafeMutableRawPointer(fromPointer)
                        msg.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
                        msg.msg_iov = iovPointer
                        msg.msg_iovlen = 1
                        msg.msg_control = ctl.baseAddress
                        msg.msg_controllen = ctl.count
                        let n = recvmsg(fd, &msg, Int32(MSG_DONTWAIT))
                        if n >= 0, !v4 { parsed6 = parseControl(ctl.baseAddress!, length: Int(msg.msg_controllen)) }
                        return n
                    }
                }
            }
        }
        guard n >= 0 else { return .none }
        let bytes = Array(buffer[0..<n])
        if v4 {
            guard let p = VRRPFrames.parseIPv4(bytes) else { return .malformed }
            return .packet(Received(payload: p.payload, source: p.source, destination: p.destination, ttl: p.ttl))
        }
        let source = withUnsafeBytes(of: from) { raw -> IPAddress in
            IPAddress(bytes: Array(raw[8..<24]))!   // sockaddr_in6.sin6_addr
        }
        guard let (hops, dst) = parsed6 else { return .malformed }
        return .packet(Received(payload: bytes, source: source, destination: dst, ttl: hops))
    }

    /// IPV6_HOPLIMIT and IPV6_PKTINFO out of a control buffer.
    static func parseControl(_ base: UnsafeMutableRawPointer, length: Int) -> (Int, IPAddress)? {
        var hops: Int?, dst: IPAddress?
        var offset = 0
        let header = MemoryLayout<cmsghdr>.size
        while offset + header <= length {
            let c = base.load(fromByteOffset: offset, as: cmsghdr.self)
            let data = offset + header
            if c.cmsg_level == Int32(IPPROTO_IPV6) && c.cmsg_type == IPV6_HOPLIMIT {
                hops = Int(base.load(fromByteOffset: data, as: Int32.self))
            } else if c.cmsg_level == Int32(IPPROTO_IPV6) && c.cmsg_type == IPV6_PKTINFO {
                dst = IPAddress(bytes: (0..<16).map { base.load(fromByteOffset: data + $0, as: UInt8.self) })
            }
            guard c.cmsg_len > 0 else { break }
            offset += (Int(c.cmsg_len) + 7) & ~7
        }
        guard let hops, let dst else { return nil }
        return (hops, dst)
    }

    // MARK: AF_PACKET

    static func openPacket(index: Int32, interface: String) throws -> Int32 {
        let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try check(fd, "AF_PACKET socket on \(interface)")
        return fd
    }

    /// Sends a whole Ethernet frame out of interface `index`.
    static func sendFrame(fd: Int32, index: Int32, _ frame: [UInt8]) -> Bool {
        // struct sockaddr_ll (Glibc's module does not export it): family, protocol, ifindex,
        // hatype, pkttype, halen, addr[8]: 20 bytes.
        var ll = [UInt8](repeating: 0, count: 20)
        withUnsafeBytes(of: UInt16(AF_PACKET)) { ll.replaceSubrange(0..<2, with: $0) }
        withUnsafeBytes(of: index) { ll.replaceSubrange(4..<8, with: $0) }
        ll[11] = 6
        ll.replaceSubrange(12..<18, with: frame[0..<6])
        let n = frame.withUnsafeBytes { p in
            ll.withUnsafeBytes { a in
                sendto(fd, p.baseAddress, p.count, Int32(MSG_DONTWAIT), a.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(20))
            }
        }
        return n == frame.count
    }

    // MARK: interface facts

    static func index(_ interface: String) -> Int32 { Int32(if_nametoindex(interface)) }

    static func mac(_ interface: String) -> [UInt8]? {
        (try? String(contentsOfFile: "/sys/class/net/\(interface)/address", encoding: .utf8)).flatMap(VRRPFrames.mac)
    }

    /// The interface's IPv6 link-local address (fe80::/10), if it has one yet.
    static func linkLocal(_ interface: String) -> IPAddress? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var p = list
        while let entry = p {
            defer { p = entry.pointee.ifa_next }
            guard let sa = entry.pointee.ifa_addr, sa.pointee.sa_family == sa_family_t(AF_INET6),
                  String(cString: entry.pointee.ifa_name) == interface else { continue }
            let bytes = UnsafeRawPointer(sa).withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { s in
                withUnsafeBytes(of: s.pointee.sin6_addr) { Array($0) }
            }
            if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return IPAddress(bytes: bytes) }
        }
        return nil
    }
}

enum VRRPAdvertisementGroup {
    static let v6 = IPAddress("ff02::12")!
}
