#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Failures of netlink I/O and of kernel requests; each names what failed and the errno's text.
public enum NetlinkError: Error, Equatable, CustomStringConvertible {
    /// A system call on a netlink socket failed.
    case system(call: String, errno: Int32)
    /// The kernel refused a request; `message` is its extended ack text when it gave one.
    case kernel(request: String, errno: Int32, message: String?)
    /// No reply to a request in time.
    case timeout(request: String, seconds: Double)
    /// A reply could not be decoded.
    case malformedReply(request: String, reason: String)
    /// A dump was interrupted by changes several times in a row (NLM_F_DUMP_INTR).
    case dumpInconsistent(request: String)
    /// No interface of that name.
    case noSuchInterface(String)

    /// The errno, for the cases that carry one.
    public var errno: Int32? {
        switch self {
        case .system(_, let e), .kernel(_, let e, _): return e
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .system(let call, let e):
            return "netlink \(call) failed: \(Self.text(e))"
        case .kernel(let request, let e, let message):
            let detail = message.map { " (\($0))" } ?? ""
            return "\(request): \(Self.text(e))\(detail)"
        case .timeout(let request, let seconds):
            return "\(request): no answer from the kernel within \(seconds) s"
        case .malformedReply(let request, let reason):
            return "\(request): malformed netlink reply: \(reason)"
        case .dumpInconsistent(let request):
            return "\(request): dump kept being interrupted by changes"
        case .noSuchInterface(let name):
            return "no interface named \(name)"
        }
    }

    /// strerror text with the symbolic-free number, e.g. "Network is unreachable (errno 101)".
    static func text(_ e: Int32) -> String {
        "\(String(cString: strerror(e))) (errno \(e))"
    }
}
