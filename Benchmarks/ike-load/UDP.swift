#if canImport(Glibc)
import Glibc
#endif
import StraitCore
import StraitIKE

/// IKE's two UDP ports on the wildcard address, with IP_PKTINFO: one socket per port serves
/// every local address (10k source addresses need no 10k sockets, no RLIMIT_NOFILE change and
/// no epoll set); a datagram's destination address comes with it, and a send names its source
/// address. Port 4500 carries IKE behind the non-ESP marker (RFC 3948 2.2).
final class IKESockets {
    struct Failure: Error, CustomStringConvertible { var description: String }

    let fd500: Int32
    let fd4500: Int32
    private var buffer = [UInt8](repeating: 0, count: 65536)
    private var control = [UInt64](repeating: 0, count: 16)
    private(set) var sendErrors = 0
    private(set) var sent = 0
    private(set) var received = 0
    private(set) var keepalives = 0

    init() throws {
        fd500 = try Self.bind(port: 500)
        fd4500 = try Self.bind(port: 4500)
    }

    deinit {
        close(fd500)
        close(fd4500)
    }

    static func bind(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_IP), IP_PKTINFO, &on, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        // Bursts of a whole window of answers: large buffers (FORCE as root, past rmem_max).
        var size: Int32 = 16 << 20
        if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        let rc = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw Failure(description: "cannot bind UDP 0.0.0.0:\(port): \(String(cString: strerror(e)))")
        }
        return fd
    }

    /// One datagram from `fd` (nil when none is waiting), as the engine takes it.
    func receive(_ fd: Int32) -> IKEDatagram? {
        let port: UInt16 = fd == fd500 ? 500 : 4500
        while true {
            var from = sockaddr_in()
            var local = IPv4Address(0)
            let n: Int = buffer.withUnsafeMutableBytes { buf in
                control.withUnsafeMutableBytes { ctl in
                    withUnsafeMutablePointer(to: &from) { fromPointer in
                        var iov = iovec(iov_base: buf.baseAddress, iov_len: buf.count)
                        return withUnsafeMutablePointer(to: &iov) { iovPointer in
                            var msg = msghdr()
                            msg.msg_name = UnsafeMutableRawPointer(fromPointer)
                            msg.msg_namelen = socklen_t(MemoryLayout<sockaddr_in>.size)
                            msg.msg_iov = iovPointer
                            msg.msg_iovlen = 1
                            msg.msg_control = ctl.baseAddress
                            msg.msg_controllen = ctl.count
                            let n = recvmsg(fd, &msg, Int32(MSG_DONTWAIT))
                            if n >= 0 { local = Self.destination(ctl.baseAddress!, Int(msg.msg_controllen)) }
                            return n
                        }
                    }
                }
            }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            received += 1
            var bytes = Array(buffer[0..<n])
            if port == 4500 {
                if n == 1 && bytes[0] == 0xff { keepalives += 1; continue }
                guard n > 4, bytes[0] == 0, bytes[1] == 0, bytes[2] == 0, bytes[3] == 0 else { continue }
                bytes.removeFirst(4)
            }
            let remote = IKEEndpoint(.v4(IPv4Address(UInt32(bigEndian: from.sin_addr.s_addr))), UInt16(bigEndian: from.sin_port))
            return IKEDatagram(local: IKEEndpoint(.v4(local), port), remote: remote, bytes: bytes)
        }
    }

    /// The header's destination address from the IP_PKTINFO control message.
    private static func destination(_ control: UnsafeMutableRawPointer, _ length: Int) -> IPv4Address {
        let header = MemoryLayout<cmsghdr>.size
        var offset = 0
        while offset + header <= length {
            let cmsg = (control + offset).assumingMemoryBound(to: cmsghdr.self).pointee
            if cmsg.cmsg_level == Int32(IPPROTO_IP) && cmsg.cmsg_type == Int32(IP_PKTINFO) {
                // in_pktinfo: ipi_ifindex (4), ipi_spec_dst (4), ipi_addr (4): the header's destination.
                let raw = (control + offset + align(header)).load(fromByteOffset: 8, as: UInt32.self)
                return IPv4Address(UInt32(bigEndian: raw))
            }
            let step = align(Int(cmsg.cmsg_len))
            if step == 0 { break }
            offset += step
        }
        return IPv4Address(0)
    }

    private static func align(_ n: Int) -> Int { (n + MemoryLayout<Int>.size - 1) & ~(MemoryLayout<Int>.size - 1) }

    /// Send what the engine returned, from its local address and port.
    func send(_ d: IKEDatagram) {
        guard case .v4(let source) = d.local.address, case .v4(let dest) = d.remote.address else { return }
        let natT = d.local.port != 500
        let fd = natT ? fd4500 : fd500
        var dst = sockaddr_in()
        dst.sin_family = sa_family_t(AF_INET)
        dst.sin_port = d.remote.port.bigEndian
        dst.sin_addr.s_addr = dest.value.bigEndian
        let header = MemoryLayout<cmsghdr>.size
        let controlLength = Self.align(header) + Self.align(12)
        let withSource = source.value != 0
        control.withUnsafeMutableBytes { raw in
            let cmsg = raw.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
            cmsg.pointee.cmsg_len = Self.align(header) + 12
            cmsg.pointee.cmsg_level = Int32(IPPROTO_IP)
            cmsg.pointee.cmsg_type = Int32(IP_PKTINFO)
            let data = raw.baseAddress! + Self.align(header)
            data.storeBytes(of: Int32(0), toByteOffset: 0, as: Int32.self)               // ipi_ifindex
            data.storeBytes(of: source.value.bigEndian, toByteOffset: 4, as: UInt32.self)  // ipi_spec_dst: the source
            data.storeBytes(of: UInt32(0), toByteOffset: 8, as: UInt32.self)
        }
        let payload = natT ? [0, 0, 0, 0] + d.bytes : d.bytes
        let rc: Int = payload.withUnsafeBytes { p in
            var iov = iovec(iov_base: UnsafeMutableRawPointer(mutating: p.baseAddress), iov_len: p.count)
            return withUnsafeMutablePointer(to: &dst) { dstPointer in
                withUnsafeMutablePointer(to: &iov) { iovPointer in
                    control.withUnsafeMutableBytes { ctl in
                        var msg = msghdr()
                        msg.msg_name = UnsafeMutableRawPointer(dstPointer)
                        msg.msg_namelen = socklen_t(MemoryLayout<sockaddr_in>.size)
                        msg.msg_iov = iovPointer
                        msg.msg_iovlen = 1
                        msg.msg_control = withSource ? ctl.baseAddress : nil
                        msg.msg_controllen = withSource ? controlLength : 0
                        while true {
                            let n = sendmsg(fd, &msg, Int32(MSG_DONTWAIT))
                            if n >= 0 || errno != EINTR { return n }
                        }
                    }
                }
            }
        }
        if rc < 0 { sendErrors += 1 } else { sent += 1 }
    }

    /// Wait until a socket is readable or `timeoutMs` passes; returns the readable ones.
    func wait(timeoutMs: Int32) -> (Bool, Bool) {
        var fds = [pollfd(fd: fd500, events: Int16(POLLIN), revents: 0), pollfd(fd: fd4500, events: Int16(POLLIN), revents: 0)]
        let rc = poll(&fds, 2, max(0, timeoutMs))
        guard rc > 0 else { return (false, false) }
        return (fds[0].revents & Int16(POLLIN) != 0, fds[1].revents & Int16(POLLIN) != 0)
    }
}
