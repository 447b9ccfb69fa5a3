import Foundation
import StraitAPI
#if canImport(Glibc)
import Glibc
#endif

/// Why the control server could not start.
public struct ControlServerError: Error, CustomStringConvertible, Equatable, Sendable {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A live daemon answers on the socket path.
        public static let alreadyRunning = Code("already-running")
        /// The path or its directory cannot be used (not a socket, permissions, too long).
        public static let badPath = Code("bad-path")
        /// bind(2) or listen(2) failed.
        public static let bindFailed = Code("bind-failed")
        /// start() was called twice.
        public static let alreadyStarted = Code("already-started")
    }

    public var code: Code
    public var message: String
    public init(_ code: Code, _ message: String) { self.code = code; self.message = message }
    public var description: String { message }
}

/// File-system side of the control socket: its directory, a stale file, its mode and owner.
enum SocketFile {
    static func errnoText(_ e: Int32 = errno) -> String { String(cString: strerror(e)) }

    /// Creates the missing directories above `path` with mode 0755.
    static func makeParentDirectory(of path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if dir.isEmpty || dir == "/" { return }
        var st = stat()
        if stat(dir, &st) == 0 {
            if (st.st_mode & S_IFMT) != S_IFDIR { throw ControlServerError(.badPath, "\(dir) is not a directory") }
            return
        }
        try makeParentDirectory(of: dir)
        if mkdir(dir, 0o755) != 0 && errno != EEXIST {
            throw ControlServerError(.badPath, "cannot create \(dir): \(errnoText())")
        }
        // mkdir's mode is masked by the umask; the directory must be searchable by everyone.
        _ = chmod(dir, 0o755)
    }

    /// Makes the path free for bind(2): nothing there, or a stale socket that is removed.
    /// A live listener, or a file that is not a socket, is an error.
    static func clearStale(_ path: String, logger: (String) -> Void) throws {
        switch SocketProbe.probe(path) {
        case .absent:
            return
        case .live:
            throw ControlServerError(.alreadyRunning,
                                     "another straitd is already listening on \(path); stop it first or choose another instance")
        case .stale:
            if unlink(path) != 0 && errno != ENOENT {
                throw ControlServerError(.badPath, "cannot remove the stale socket \(path): \(errnoText())")
            }
            logger("removed the stale control socket \(path)")
        case .unusable(let why):
            throw ControlServerError(.badPath, "cannot use \(path) as the control socket: \(why)")
        }
    }

    /// What tells our socket file from a successor's: the inode number alone is not enough
    /// (tmpfs hands a freed one out again at once), so the change time comes with it.
    struct Identity: Equatable {
        var dev: UInt64, ino: UInt64, ctimeSec: Int, ctimeNsec: Int
        init(_ st: stat) {
            dev = UInt64(st.st_dev); ino = UInt64(st.st_ino)
            ctimeSec = Int(st.st_ctim.tv_sec); ctimeNsec = Int(st.st_ctim.tv_nsec)
        }
    }

    /// A bound (not yet listening) AF_UNIX stream socket at `path`, whose file is already mode
    /// 0600 and owned by root (when we are root), so that no one else can ever connect to it.
    /// NIO listens on it; the file is ours to remove (`remove`).
    static func bind(_ path: String) throws -> (fd: Int32, identity: Identity) {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw ControlServerError(.badPath, "the socket path \(path) is too long (\(bytes.count) bytes)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw ControlServerError(.bindFailed, "socket(AF_UNIX): \(errnoText())") }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if rc != 0 {
            let e = errno
            _ = close(fd)
            if e == EADDRINUSE {
                throw ControlServerError(.alreadyRunning, "\(path) appeared while starting: is another straitd starting?")
            }
            throw ControlServerError(.bindFailed, "cannot bind \(path): \(errnoText(e))")
        }
        do {
            if chmod(path, 0o600) != 0 {
                throw ControlServerError(.badPath, "cannot chmod 0600 \(path): \(errnoText())")
            }
            if geteuid() == 0 && chown(path, 0, 0) != 0 {
                throw ControlServerError(.badPath, "cannot chown root \(path): \(errnoText())")
            }
            var st = stat()
            if lstat(path, &st) != 0 {
                throw ControlServerError(.badPath, "cannot stat \(path): \(errnoText())")
            }
            return (fd, Identity(st))
        } catch {
            _ = close(fd)
            _ = unlink(path)
            throw error
        }
    }

    /// Removes the socket file if it is still the one we bound, not a successor's. Call it after
    /// our listener is closed: a file that still answers is someone else's (tmpfs may give the
    /// successor's file our inode number and, within a clock tick, our change time).
    static func remove(_ path: String, identity: Identity) {
        var st = stat()
        guard lstat(path, &st) == 0, Identity(st) == identity else { return }
        guard SocketProbe.probe(path) != .live else { return }
        _ = unlink(path)
    }
}
