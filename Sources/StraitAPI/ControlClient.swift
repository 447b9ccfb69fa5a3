import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a control call failed.
public struct ControlClientError: Error, CustomStringConvertible, Equatable, Sendable {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Nothing listens on the socket, or the path is missing or not a socket.
        public static let cannotConnect = Code("cannot-connect")
        /// The socket refused us (not root).
        public static let permissionDenied = Code("permission-denied")
        /// The connect or the answer took too long.
        public static let timeout = Code("timeout")
        /// The daemon closed the connection before answering.
        public static let connectionClosed = Code("connection-closed")
        /// The answer is not a valid response (or not the expected result type).
        public static let badResponse = Code("bad-response")
        /// The request is over `ControlProtocol.maxRequestBytes`; it was not sent.
        public static let requestTooLarge = Code("request-too-large")
        /// The daemon answered with an error response; `daemonError` holds it.
        public static let daemonError = Code("daemon-error")
    }

    public var code: Code
    public var message: String
    /// The daemon's error, when `code == .daemonError`.
    public var daemonError: ControlError?

    public init(_ code: Code, _ message: String, daemonError: ControlError? = nil) {
        self.code = code
        self.message = message
        self.daemonError = daemonError
    }

    public var description: String { message }
}

/// What answers on a socket path (used by the server before it binds, and by tests).
public enum SocketProbe: Equatable, Sendable {
    /// No file at the path.
    case absent
    /// A socket file that nobody listens on (a daemon died without removing it).
    case stale
    /// A listener accepted the connection.
    case live
    /// Something else is in the way: a file that is not a socket, or an error; the text says which.
    case unusable(String)

    /// Looks at `path` and tries to connect to it once.
    public static func probe(_ path: String) -> SocketProbe {
        var st = stat()
        if lstat(path, &st) != 0 {
            let e = errno
            return e == ENOENT ? .absent : .unusable("\(path): \(errnoText(e))")
        }
        if (st.st_mode & S_IFMT) != S_IFSOCK {
            return .unusable("\(path) exists and is not a socket")
        }
        do {
            let fd = try UnixSocket.connect(path: path, timeout: 1)
            sysClose(fd)
            return .live
        } catch let e as UnixSocket.ConnectError {
            switch e.errno {
            case ECONNREFUSED: return .stale
            case ENOENT: return .absent
            default: return .unusable("\(path): \(errnoText(e.errno))")
            }
        } catch {
            return .unusable("\(path): \(error)")
        }
    }
}

func errnoText(_ e: Int32) -> String { String(cString: strerror(e)) }

func sysClose(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}

/// Small blocking helpers over a non-blocking AF_UNIX stream socket.
enum UnixSocket {
    struct ConnectError: Error {
        var errno: Int32          // ETIMEDOUT for a timeout
        var pathTooLong = false
    }

    static func milliseconds(until deadline: Date) -> Int32 {
        let ms = deadline.timeIntervalSinceNow * 1000
        return ms <= 0 ? 0 : Int32(min(ms.rounded(.up), Double(Int32.max)))
    }

    /// A connected, non-blocking, close-on-exec socket.
    static func connect(path: String, timeout: TimeInterval) throws -> Int32 {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard !pathBytes.isEmpty, pathBytes.count < capacity else {
            throw ConnectError(errno: ENAMETOOLONG, pathTooLong: true)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        if fd < 0 { throw ConnectError(errno: errno) }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            if rc == 0 { return fd }
            let e = errno
            switch e {
            case EINTR:
                continue
            case EAGAIN:
                // AF_UNIX: the listener's backlog is full. Retry until the deadline.
                if deadline.timeIntervalSinceNow <= 0 { sysClose(fd); throw ConnectError(errno: ETIMEDOUT) }
                usleep(10_000)
            case EINPROGRESS:
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let n = poll(&p, 1, milliseconds(until: deadline))
                if n == 0 { sysClose(fd); throw ConnectError(errno: ETIMEDOUT) }
                var soError: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len)
                if soError == 0 { return fd }
                sysClose(fd)
                throw ConnectError(errno: soError)
            default:
                sysClose(fd)
                throw ConnectError(errno: e)
            }
        }
    }
}

/// A blocking client of straitd's control socket. One connection, opened on the first call
/// and reused by the next ones; calls are serialised. Not for use on an event loop.
public final class ControlClient: @unchecked Sendable {
    public let socketPath: String
    /// How long to wait for the connection to be accepted.
    public var connectTimeout: TimeInterval
    /// How long to wait for the next bytes of an answer.
    public var readTimeout: TimeInterval
    /// The largest response line accepted.
    public var maxResponseBytes = 256 * 1024 * 1024

    private let lock = NSLock()
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []
    private var nextID: UInt64 = 1

    public init(socketPath: String = ControlProtocol.defaultSocketPath,
                connectTimeout: TimeInterval = 2, readTimeout: TimeInterval = 10) {
        self.socketPath = socketPath
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
    }

    deinit { closeLocked() }

    /// Closes the connection; the next call opens a new one.
    public func close() {
        lock.lock(); defer { lock.unlock() }
        closeLocked()
    }

    /// Runs `command` and decodes its result as `R`.
    public func call<R: Decodable>(_ command: [String], arguments: [String: String] = [:], as type: R.Type) throws -> R {
        let line = try exchange(command, arguments: arguments)
        return try Self.decodeResult(line.data, id: line.id, as: R.self, command: command)
    }

    /// Runs a command of `ControlCommands`; the result type comes with it.
    public func call<R>(_ command: ControlCommand<R>, arguments: [String: String] = [:]) throws -> R {
        try call(command.words, arguments: arguments, as: R.self)
    }

    /// Runs `command` and returns its `result` as JSON text (sorted keys, compact).
    public func callRaw(_ command: [String], arguments: [String: String] = [:]) throws -> Data {
        let line = try exchange(command, arguments: arguments)
        let value = try Self.decodeResult(line.data, id: line.id, as: JSONValue.self, command: command)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    // MARK: - Response decoding

    private struct Envelope<R: Decodable>: Decodable {
        var id: UInt64?
        var ok: Bool
        var result: R?
        var error: ControlError?
    }

    /// The result of a response line, or the error it carries. A missing or null `result` is
    /// `JSONValue.null` for `JSONValue`, and a bad response for any other type.
    static func decodeResult<R: Decodable>(_ data: Data, id: UInt64, as: R.Type, command: [String]) throws -> R {
        let decoder = JSONDecoder()
        let commandText = command.joined(separator: " ")
        let envelope: Envelope<R>
        do {
            envelope = try decoder.decode(Envelope<R>.self, from: data)
        } catch {
            // A valid response whose result is of another type, or no valid response at all?
            if (try? decoder.decode(Envelope<JSONValue>.self, from: data)) != nil {
                throw ControlClientError(.badResponse, "straitd's answer to '\(commandText)' is not a \(R.self): \(error)")
            }
            throw ControlClientError(.badResponse, "straitd sent an invalid response: \(error)")
        }
        if let got = envelope.id, got != id {
            throw ControlClientError(.badResponse, "straitd answered request \(got) while \(id) was expected")
        }
        guard envelope.ok else {
            let e = envelope.error ?? ControlError(.internal, "error response without an error")
            throw ControlClientError(.daemonError, "straitd: \(e.code): \(e.message)", daemonError: e)
        }
        if let result = envelope.result { return result }
        if let null = JSONValue.null as? R { return null }
        throw ControlClientError(.badResponse, "straitd's answer to '\(commandText)' has no result")
    }

    // MARK: - Transport

    private func exchange(_ command: [String], arguments: [String: String]) throws -> (id: UInt64, data: Data) {
        lock.lock(); defer { lock.unlock() }
        let id = nextID
        nextID += 1
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var request = try encoder.encode(ControlRequest(id: id, command: command, arguments: arguments))
        if request.count > ControlProtocol.maxRequestBytes {
            throw ControlClientError(.requestTooLarge,
                                     "request of \(request.count) bytes is over the limit of \(ControlProtocol.maxRequestBytes)")
        }
        request.append(UInt8(ascii: "\n"))
        do {
            if fd < 0 { try openLocked() }
            try writeAll(request)
            return (id, try readLine())
        } catch {
            closeLocked()
            throw error
        }
    }

    private func openLocked() throws {
        do {
            fd = try UnixSocket.connect(path: socketPath, timeout: connectTimeout)
            buffer.removeAll(keepingCapacity: true)
        } catch let e as UnixSocket.ConnectError {
            switch e.errno {
            case EACCES, EPERM:
                throw ControlClientError(.permissionDenied, "permission denied — straitctl must run as root")
            case ETIMEDOUT:
                throw ControlClientError(.timeout, "timed out connecting to \(socketPath) — is straitd stuck?")
            case ENAMETOOLONG where e.pathTooLong:
                throw ControlClientError(.cannotConnect, "cannot connect to \(socketPath): socket path too long")
            default:
                throw ControlClientError(.cannotConnect,
                                         "cannot connect to \(socketPath): \(errnoText(e.errno)) — is straitd running?")
            }
        }
    }

    private func closeLocked() {
        if fd >= 0 { sysClose(fd) }
        fd = -1
        buffer.removeAll()
    }

    private func waitFor(_ events: Int32, deadline: Date) throws {
        var p = pollfd(fd: fd, events: Int16(events), revents: 0)
        while true {
            let n = poll(&p, 1, UnixSocket.milliseconds(until: deadline))
            if n > 0 { return }
            if n == 0 {
                throw ControlClientError(.timeout,
                                         "no answer from straitd on \(socketPath) within \(formatSeconds(readTimeout)) s")
            }
            if errno != EINTR { throw ControlClientError(.connectionClosed, "poll: \(errnoText(errno))") }
        }
    }

    private func writeAll(_ data: Data) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < raw.count {
                let n = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n > 0 { offset += n; continue }
                let e = errno
                if n < 0 && e == EINTR { continue }
                if n < 0 && (e == EAGAIN || e == EWOULDBLOCK) {
                    try waitFor(POLLOUT, deadline: Date(timeIntervalSinceNow: readTimeout))
                    continue
                }
                throw ControlClientError(.connectionClosed,
                                         "straitd closed the connection on \(socketPath): \(errnoText(e))")
            }
        }
    }

    private func readLine() throws -> Data {
        var scanned = 0
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if let nl = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(buffer[..<nl])
                buffer.removeSubrange(...nl)
                return line
            }
            scanned = buffer.count
            if buffer.count > maxResponseBytes {
                throw ControlClientError(.badResponse, "straitd's response is over \(maxResponseBytes) bytes")
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { buffer.append(contentsOf: chunk[..<n]); continue }
            if n == 0 {
                throw ControlClientError(.connectionClosed, "straitd closed the connection on \(socketPath) without answering")
            }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK {
                try waitFor(POLLIN, deadline: Date(timeIntervalSinceNow: readTimeout))
                continue
            }
            throw ControlClientError(.connectionClosed, "reading from \(socketPath): \(errnoText(e))")
        }
    }
}

func formatSeconds(_ t: TimeInterval) -> String {
    t == t.rounded() ? String(Int(t)) : String(t)
}
