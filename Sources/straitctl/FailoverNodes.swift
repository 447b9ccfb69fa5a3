import Foundation
import StraitAPI

/// One node of the pair, through its control socket (a file: it works from any network
/// namespace, and a remote node's socket can be forwarded with ssh -L).
struct FailoverNode {
    let socket: String

    func call<R>(_ command: ControlCommand<R>) throws -> R {
        let client = ControlClient(socketPath: socket, connectTimeout: 1, readTimeout: 3)
        defer { client.close() }
        return try client.call(command)
    }

    func haStatus() -> HAStatusReport? { try? call(ControlCommands.haStatus) }

    /// What the report compares: role, pid, tunnels, IKE and ESP counters. Unreachable: only `node`.
    func snapshot() -> FailoverNodeSnapshot {
        guard let ha = haStatus() else { return FailoverNodeSnapshot(node: socket) }
        var s = FailoverNodeSnapshot(node: socket, reachable: true, nodeID: ha.nodeID, role: ha.role,
                                     takeovers: ha.counters["takeovers"], roleChangedMs: ha.roleChangedMs,
                                     lastTakeoverMs: ha.lastTakeoverMs)
        s.pid = (try? call(ControlCommands.showVersion))?.pid
        if let sas = try? call(ControlCommands.showIKESAs) {
            let up = sas.filter { $0.state == "established" }
            s.ikeSAs = up.count
            s.childSAs = up.map(\.children.count).reduce(0, +)
        }
        if let esp = try? call(ControlCommands.showIPsecSAs) {
            s.activeOutboundSAs = esp.filter { $0.direction == "out" && $0.active && !$0.expired }.count
        }
        if let ike = try? call(ControlCommands.showIKEStats) {
            s.ikeSAsEstablished = ike.ikeSAsEstablished
            s.childSAsInstalled = ike.childSAsInstalled
        }
        if let stats = try? call(ControlCommands.showStats) {
            func counter(_ name: String) -> UInt64 { stats.counters.first { $0.name == name }?.total ?? 0 }
            s.espReplayDrops = counter("esp-replay")
            s.espAuthFailures = counter("esp-auth-failed")
        }
        return s
    }
}

/// How `ha failover-test` makes the active fail.
enum FailoverTrigger {
    case graceful
    case kill(pid: Int32)
    case linkDown(interface: String, netns: String?)
    case command(String)

    var name: String {
        switch self {
        case .graceful: return "graceful"
        case .kill: return "kill"
        case .linkDown: return "link-down"
        case .command: return "command"
        }
    }

    var detail: String {
        switch self {
        case .graceful: return "ha failover on the active"
        case .kill(let pid): return "SIGKILL to straitd pid \(pid)"
        case .linkDown(let interface, let netns): return "ip link set \(interface) down" + (netns.map { " in netns \($0)" } ?? "")
        case .command(let text): return "/bin/sh -c '\(text)'"
        }
    }

    /// Fires the trigger; returns why it failed, or nil. A command runs in the background
    /// (`background` gets it, to wait for at the end).
    func fire(active: FailoverNode, background: inout Process?) -> String? {
        switch self {
        case .graceful:
            do { _ = try active.call(ControlCommands.haFailover); return nil } catch { return "\(error)" }
        case .kill(let pid):
            return Glibc.kill(pid, SIGKILL) == 0 ? nil : "kill \(pid): \(String(cString: strerror(errno)))"
        case .linkDown(let interface, let netns):
            return Self.ip(netns, ["link", "set", "dev", interface, "down"])
        case .command(let text):
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", text]
            do { try p.run(); background = p; return nil } catch { return "/bin/sh: \(error)" }
        }
    }

    /// Undoes what can be undone after the test (the link comes back up).
    func restore() -> String? {
        if case .linkDown(let interface, let netns) = self { return Self.ip(netns, ["link", "set", "dev", interface, "up"]) }
        return nil
    }

    static func ip(_ netns: String?, _ arguments: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip")
        p.arguments = (netns.map { ["-n", $0] } ?? []) + arguments
        do { try p.run() } catch { return "ip: \(error)" }
        p.waitUntilExit()
        return p.terminationStatus == 0 ? nil : "ip \(p.arguments!.joined(separator: " ")): exit status \(p.terminationStatus)"
    }
}
