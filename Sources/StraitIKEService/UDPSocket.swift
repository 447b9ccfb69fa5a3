import StraitCore
#if canImport(Glibc)
import Glibc
#endif

/// The IPv4 UDP sockets IKE listens on, made here rather than by NIO so that a bind failure
/// is reported with its port and errno before anything starts, and so that replies can name
/// their source address (IP_PKTINFO on sendmsg, which NIO's datagram writes do not offer).
/// NIO reads them (DatagramBootstrap.withBoundSocket); the service writes with `send`.
enum UDPSocket {
    struct BindError: Error, CustomStringConvertible {
        var address: IPv4Address
        var port: Int
        var errno: Int32
        var step: String

        var description: String {
            let what = "cannot listen on UDP \(address):\(port)"
            switch errno {
            case EADDRINUSE:
                return "\(what): the port is in use (another IKE daemon, such as strongSwan's charon, or a second straitd?)"
            case EACCES:
                return "\(what): permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
            case EADDRNOTAVAIL:
                return "\(what): \(address) is not an address of this namespace"
            default:
                return "\(what): \(step): \(String(cString: strerror(errno)))"
            }
        }
    }

    /// A bound, non-blocking, close-on-exec IPv4 UDP socket with IP_PKTINFO enabled.
    static func bind(address: IPv4Address, port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw BindError(address: address, port: port, errno: errno, step: "socket") }
        var on: Int32 = 1
        if setsockopt(fd, Int32(IPPROTO_IP), IP_PKTINFO, &on, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            let e = errno
            close(fd)
            throw BindError(address: address, port: port, errno: e, step: "IP_PKTINFO")
        }
        var sin = sockaddrIn(address, UInt16(truncatingIfNeeded: port))
        let rc = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            let e = errno
            close(fd)
            throw BindError(address: address, port: port, errno: e, step: "bind")
        }
        return fd
    }

    /// The port a socket is bound to (for port 0: the one the kernel chose).
    static func localPort(_ fd: Int32) -> Int? {
        var sin = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return rc == 0 ? Int(UInt16(bigEndian: sin.sin_port)) : nil
    }

    static func sockaddrIn(_ address: IPv4Address, _ port: UInt16) -> sockaddr_in {
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        sin.sin_addr.s_addr = address.value.bigEndian
        return sin
    }

    /// Sends one datagram to `remote` from source address `source` (IP_PKTINFO's ipi_spec_dst;
    /// the kernel chooses when nil or 0.0.0.0). Returns 0 or an errno. Never blocks: a full
    /// send buffer is EAGAIN, and IKE retransmits.
    static func send(fd: Int32, _ bytes: [UInt8], to remote: IPv4Address, port: UInt16, from source: IPv4Address?) -> Int32 {
        var dst = sockaddrIn(remote, port)
        // cmsghdr (16 bytes on LP64) + in_pktinfo (ifindex, spec_dst, addr: 12 bytes), aligned to 8.
        let header = MemoryLayout<cmsghdr>.size
        let align = { (n: Int) in (n + MemoryLayout<Int>.size - 1) & ~(MemoryLayout<Int>.size - 1) }
        let dataLength = 12
        var control = [UInt64](repeating: 0, count: (align(header) + align(dataLength)) / 8)
        let withSource = source.map { $0.value != 0 } ?? false
        if withSource, let source {
            control.withUnsafeMutableBytes { raw in
                let cmsg = raw.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
                cmsg.pointee.cmsg_len = align(header) + dataLength
                cmsg.pointee.cmsg_level = Int32(IPPROTO_IP)
                cmsg.pointee.cmsg_type = Int32(IP_PKTINFO)
                let data = raw.baseAddress! + align(header)
                data.storeBytes(of: Int32(0), toByteOffset: 0, as: Int32.self)               // ipi_ifindex
                data.storeBytes(of: source.value.bigEndian, toByteOffset: 4, as: UInt32.self)  // ipi_spec_dst
                data.storeBytes(of: UInt32(0), toByteOffset: 8, as: UInt32.self)               // ipi_addr
            }
        }
        let controlLength = withSource ? control.count * 8 : 0
        return bytes.withUnsafeBytes { payload -> Int32 in
            var iov = iovec(iov_base: UnsafeMutableRawPointer(mutating: payload.baseAddress), iov_len: payload.count)
            return withUnsafeMutablePointer(to: &dst) { dstPointer in
                withUnsafeMutablePointer(to: &iov) { iovPointer in
                    control.withUnsafeMutableBytes { controlBytes in
                        var msg = msghdr()
                        msg.msg_name = UnsafeMutableRawPointer(dstPointer)
                        msg.msg_namelen = socklen_t(MemoryLayout<sockaddr_in>.size)
                        msg.msg_iov = iovPointer
                        msg.msg_iovlen = 1
                        msg.msg_control = controlLength > 0 ? controlBytes.baseAddress : nil
                        msg.msg_controllen = controlLength
                        while true {
                            if sendmsg(fd, &msg, Int32(MSG_DONTWAIT)) >= 0 { return 0 }
                            if errno != EINTR { return errno }
                        }
                    }
                }
            }
        }
    }
}
