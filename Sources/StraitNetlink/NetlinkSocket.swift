#if canImport(Glibc)
import Glibc
#endif

#if os(Linux)
/// An rtnetlink socket (AF_NETLINK, NETLINK_ROUTE). A socket belongs to the network namespace of
/// the thread that opened it. Not thread-safe: one thread uses it at a time.
public final class NetlinkSocket {
    public private(set) var fd: Int32
    /// The port id the kernel assigned (nl_pid).
    public private(set) var portID: UInt32 = 0
    private var sequence: UInt32
    private var buffer: [UInt8]

    /// Opens a socket; `groups` (RTMGRP_* bits) subscribes to notifications, 0 for a request socket.
    /// The receive buffer is raised to `receiveBufferSize` with SO_RCVBUFFORCE (needs CAP_NET_ADMIN),
    /// else SO_RCVBUF (capped by net.core.rmem_max).
    public init(groups: UInt32 = 0, receiveBufferSize: Int = 1 << 20) throws {
        fd = socket(NL.AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NL.NETLINK_ROUTE)
        guard fd >= 0 else { throw NetlinkError.system(call: "socket(AF_NETLINK)", errno: errno) }
        buffer = [UInt8](repeating: 0, count: 256 * 1024)
        sequence = UInt32(truncatingIfNeeded: time(nil))
        do {
            var size = Int32(clamping: receiveBufferSize)
            if setsockopt(fd, NL.SOL_SOCKET, NL.SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
                guard setsockopt(fd, NL.SOL_SOCKET, NL.SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                    throw NetlinkError.system(call: "setsockopt(SO_RCVBUF)", errno: errno)
                }
            }
            // Extended acks carry the kernel's error text; capped acks do not echo the request back.
            // Both are optional (older kernels): failures are ignored.
            var one: Int32 = 1
            _ = setsockopt(fd, NL.SOL_NETLINK, NL.NETLINK_EXT_ACK, &one, socklen_t(MemoryLayout<Int32>.size))
            _ = setsockopt(fd, NL.SOL_NETLINK, NL.NETLINK_CAP_ACK, &one, socklen_t(MemoryLayout<Int32>.size))

            var address = Self.address(groups: groups)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(Self.sockaddrNLSize)) }
            }
            guard bound == 0 else { throw NetlinkError.system(call: "bind(AF_NETLINK)", errno: errno) }
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard named == 0 else { throw NetlinkError.system(call: "getsockname(AF_NETLINK)", errno: errno) }
            portID = withUnsafeBytes(of: &address) { $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self) }
        } catch {
            Glibc.close(fd)
            fd = -1
            throw error
        }
    }

    deinit { close() }

    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    /// struct sockaddr_nl { sa_family_t nl_family; unsigned short nl_pad; u32 nl_pid; u32 nl_groups; }
    static let sockaddrNLSize = 12

    static func address(groups: UInt32) -> sockaddr_storage {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.storeBytes(of: UInt16(NL.AF_NETLINK), toByteOffset: 0, as: UInt16.self)
            raw.storeBytes(of: UInt32(0), toByteOffset: 4, as: UInt32.self)      // nl_pid: 0 = the kernel picks / the kernel as peer
            raw.storeBytes(of: groups, toByteOffset: 8, as: UInt32.self)
        }
        return storage
    }

    public func nextSequence() -> UInt32 {
        sequence &+= 1
        if sequence == 0 { sequence = 1 }
        return sequence
    }

    /// Sends one message to the kernel.
    public func send(_ message: [UInt8]) throws {
        var kernel = Self.address(groups: 0)
        while true {
            let n = message.withUnsafeBytes { raw in
                withUnsafePointer(to: &kernel) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(Self.sockaddrNLSize))
                    }
                }
            }
            if n >= 0 { return }
            if errno == EINTR { continue }
            throw NetlinkError.system(call: "sendto", errno: errno)
        }
    }

    /// Receives one datagram (possibly several messages); nil after `timeoutMilliseconds` without one
    /// (-1 waits forever). ENOBUFS (notifications were lost) is thrown as `.system(call: "recv", errno: ENOBUFS)`;
    /// a datagram larger than the buffer is thrown as EMSGSIZE, since its tail is lost.
    public func receive(timeoutMilliseconds: Int32) throws -> [UInt8]? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&pfd, 1, timeoutMilliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw NetlinkError.system(call: "poll", errno: errno)
            }
            if ready == 0 { return nil }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_TRUNC)) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw NetlinkError.system(call: "recv", errno: errno)
            }
            if n > buffer.count { throw NetlinkError.system(call: "recv", errno: EMSGSIZE) }
            return Array(buffer[0..<n])
        }
    }

    /// Reads and discards whatever is queued, until the queue is empty or `maxSeconds` pass;
    /// returns the number of datagrams dropped. After ENOBUFS the kernel reports further losses
    /// only once the queue has been emptied (it clears NETLINK_S_CONGESTED then), so a listener
    /// drains before it resyncs: anything drained is older than the dump that follows.
    @discardableResult
    public func drain(maxSeconds: Double = 2) -> Int {
        var dropped = 0
        let deadline = time(nil) + time_t(max(1, Int(maxSeconds.rounded(.up))))
        while time(nil) <= deadline {
            do {
                guard try receive(timeoutMilliseconds: 0) != nil else { return dropped }
                dropped += 1
            } catch {
                continue   // ENOBUFS again: still draining
            }
        }
        return dropped
    }

    // MARK: Requests

    /// Sends a request built for a fresh sequence number and waits for its ack.
    /// The kernel's refusal is thrown as `.kernel(request:errno:message:)`.
    public func request(_ description: String, timeout: Double = 5, _ build: (UInt32) -> [UInt8]) throws {
        let seq = nextSequence()
        try send(build(seq))
        try awaitReply(description, sequence: seq, timeout: timeout) { message in
            switch message.event {
            case .ack: return true
            case .error(let e, let text): throw NetlinkError.kernel(request: description, errno: e, message: text)
            default: return false
            }
        }
    }

    /// Sends a request whose answer is one object (e.g. RTM_GETLINK by name) and returns that message.
    public func query(_ description: String, timeout: Double = 5, _ build: (UInt32) -> [UInt8]) throws -> NetlinkMessage {
        let seq = nextSequence()
        try send(build(seq))
        var answer: NetlinkMessage?
        try awaitReply(description, sequence: seq, timeout: timeout) { message in
            switch message.event {
            case .error(let e, let text): throw NetlinkError.kernel(request: description, errno: e, message: text)
            case .ack, .done: return answer != nil
            default:
                answer = message
                return message.header.flags & NL.NLM_F_MULTI == 0
            }
        }
        guard let answer else { throw NetlinkError.malformedReply(request: description, reason: "no object in the answer") }
        return answer
    }

    /// What a dump delivered.
    public struct DumpResult: Sendable {
        public var messages = 0
        public var parseErrors: [NetlinkParseError] = []
        /// NLM_F_DUMP_INTR was set: the table changed during the dump, which may be inconsistent.
        public var interrupted = false
    }

    /// Dumps a table: each decoded message goes to `body`, in order, until NLMSG_DONE.
    /// Messages that fail to decode are collected in the result, not delivered.
    @discardableResult
    public func dump(_ kind: NetlinkRequest.DumpKind, timeout: Double = 5,
                     _ body: (NetlinkMessage) -> Void) throws -> DumpResult {
        let description = "dump \(kind)"
        let seq = nextSequence()
        try send(NetlinkRequest.dump(kind, sequence: seq))
        var result = DumpResult()
        try awaitReply(description, sequence: seq, timeout: timeout, parseErrors: { result.parseErrors.append($0) }) { message in
            if message.header.dumpInterrupted { result.interrupted = true }
            switch message.event {
            case .done: return true
            case .error(let e, let text): throw NetlinkError.kernel(request: description, errno: e, message: text)
            case .ack: return false
            default:
                result.messages += 1
                body(message)
                return false
            }
        }
        return result
    }

    /// Reads until `handle` returns true for a message of `sequence`; other sequences (late answers
    /// to earlier requests) are skipped. A broken frame or an undecodable message of this sequence
    /// ends the wait with `.malformedReply` unless `parseErrors` takes them.
    private func awaitReply(_ description: String, sequence: UInt32, timeout: Double,
                            parseErrors: ((NetlinkParseError) -> Void)? = nil,
                            _ handle: (NetlinkMessage) throws -> Bool) throws {
        let timeoutMs = Int32(clamping: Int(timeout * 1000))
        while true {
            guard let data = try receive(timeoutMilliseconds: timeoutMs) else {
                throw NetlinkError.timeout(request: description, seconds: timeout)
            }
            var finished = false
            var failure: Error?
            NetlinkParser.forEachMessage(in: data) { result in
                guard !finished, failure == nil else { return }
                switch result {
                case .success(let message):
                    guard message.header.sequence == sequence else { return }
                    do { finished = try handle(message) } catch { failure = error }
                case .failure(let parseError):
                    if parseError.header.map({ $0.sequence != sequence }) == true { return }
                    if let parseErrors, !parseError.lostFraming {
                        parseErrors(parseError)
                    } else {
                        failure = NetlinkError.malformedReply(request: description, reason: parseError.description)
                    }
                }
            }
            if let failure { throw failure }
            if finished { return }
        }
    }
}
#endif
