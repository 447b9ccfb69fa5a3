#if os(Linux)
import Foundation
import Glibc
import StraitNetlink

/// setns(2); declared here in case Glibc's module does not export it (it is a _GNU_SOURCE function).
@_silgen_name("setns")
private func c_setns(_ fd: Int32, _ nstype: Int32) -> Int32

/// A throw-away network namespace for live tests, so the host's interfaces are never touched.
/// `ip` runs inside it with `ip netns exec`; Swift code runs inside it on a dedicated thread that
/// joined it with setns() (namespaces are per thread; a netlink socket stays in the namespace of the
/// thread that opened it).
final class NetnsHarness {
    static let CLONE_NEWNET: Int32 = 0x4000_0000   // <linux/sched.h>

    let name: String
    private var deleted = false

    init() throws {
        struct Counter { nonisolated(unsafe) static var n = 0 }
        Counter.n += 1
        name = "strait-nltest-\(getpid())-\(Counter.n)"
        _ = try? Self.run(["ip", "netns", "del", name])
        try Self.run(["ip", "netns", "add", name])
    }

    deinit { destroy() }

    func destroy() {
        guard !deleted else { return }
        deleted = true
        _ = try? Self.run(["ip", "netns", "del", name])
    }

    /// Runs `ip <args>` in the namespace; throws with its stderr when it fails.
    @discardableResult
    func ip(_ args: String) throws -> String {
        try Self.run(["ip", "netns", "exec", name, "ip"] + args.split(separator: " ").map(String.init))
    }

    /// Runs `body` on a fresh thread that joined the namespace; waits at most `timeout` seconds.
    func inside<T>(timeout: Double = 20, _ body: @escaping () throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        let path = "/var/run/netns/\(name)"
        let thread = Thread {
            defer { done.signal() }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { box.result = .failure(HarnessError("open \(path): errno \(errno)")); return }
            defer { close(fd) }
            guard c_setns(fd, Self.CLONE_NEWNET) == 0 else { box.result = .failure(HarnessError("setns: errno \(errno)")); return }
            box.result = Result { try body() }
        }
        thread.start()
        guard done.wait(timeout: .now() + timeout) == .success else {
            throw HarnessError("namespace thread did not finish in \(timeout) s")
        }
        // The semaphore orders the thread's write before this read.
        return try box.result.get()
    }

    private final class ResultBox<T>: @unchecked Sendable {
        var result: Result<T, Error> = .failure(HarnessError("namespace thread gave no result"))
    }

    @discardableResult
    static func run(_ argv: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw HarnessError("\(argv.joined(separator: " ")): \(String(decoding: e, as: UTF8.self))")
        }
        return String(decoding: o, as: UTF8.self)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Collects what a sink receives, for polling from the test thread.
final class OperationLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [FibOperation] = []

    func append(_ batch: [FibOperation]) { lock.withLock { items += batch } }
    func contains(_ op: FibOperation) -> Bool { lock.withLock { items.contains(op) } }
    var all: [FibOperation] { lock.withLock { items } }
    var count: Int { lock.withLock { items.count } }
}

/// Polls `condition` every 10 ms until it holds or `timeout` seconds pass; returns whether it held.
func eventually(within timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
#endif
