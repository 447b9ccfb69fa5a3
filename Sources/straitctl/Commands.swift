import ArgumentParser
import Foundation
import StraitAPI

struct Straitctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "straitctl",
        abstract: "Query a running straitd over its control socket.",
        discussion: """
            The socket is --socket, else $STRAITCTL_SOCKET, else \(ControlProtocol.defaultSocketPath). \
            straitctl must run as root. Exit status: 0 ok, 1 the daemon answered with an error, \
            2 usage error or cannot connect.
            """,
        subcommands: [Show.self, IKE.self, HA.self, Reload.self]
    )

    /// `straitctl --socket X --json show ports`: the root accepts the options before the command
    /// words; ArgumentParser hands them to the leaf command's own `GlobalOptions` as well.
    @OptionGroup(title: "Global options") var global: GlobalOptions
}

/// Options every command accepts, before or after the command words.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The control socket.", valueName: "path"))
    var socket: String?

    @Flag(name: .long, help: "Print the result as JSON (pretty, sorted keys).")
    var json = false

    var socketPath: String {
        if let socket { return socket }
        if let env = ProcessInfo.processInfo.environment["STRAITCTL_SOCKET"], !env.isEmpty { return env }
        return ControlProtocol.defaultSocketPath
    }

    /// Runs `command`, prints its result as JSON or as `render` makes it, maps failures to exit codes.
    func run<R>(_ command: ControlCommand<R>, arguments: [String: String] = [:], render: (R) -> String) throws {
        let client = ControlClient(socketPath: socketPath)
        defer { client.close() }
        do {
            if json {
                let raw = try client.callRaw(command.words, arguments: arguments)
                FileHandle.standardOutput.write(try JSONValue.prettyPrinted(raw))
            } else {
                FileHandle.standardOutput.write(Data(render(try client.call(command, arguments: arguments)).utf8))
            }
        } catch let error as ControlClientError {
            FileHandle.standardError.write(Data("straitctl: \(error.message)\n".utf8))
            switch error.code {
            case .cannotConnect, .permissionDenied: throw ExitCode(2)
            default: throw ExitCode(1)
            }
        }
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the daemon's state.",
        subcommands: [Ports.self, Lcores.self, Stats.self, Routes.self, Neighbors.self, Config.self, Version.self,
                      IPsec.self, IKE.self, VRRP.self]
    )

    struct VRRP: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "VRRP virtual routers and groups: state, priority, the Master, counters and drops.")
        @OptionGroup var global: GlobalOptions
        func run() throws { try global.run(ControlCommands.showVRRP, render: ReportText.vrrp) }
    }

    struct Ports: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fast-path ports, link state and counters.")
        @OptionGroup var global: GlobalOptions
        func run() throws { try global.run(ControlCommands.showPorts, render: ReportText.ports) }
    }

    struct Lcores: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "DPDK lcores, their queues and load.")
        @OptionGroup var global: GlobalOptions
        func run() throws { try global.run(ControlCommands.showLcores, render: ReportText.lcores) }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forward, exception and drop counters (non-zero ones unless --all).")
        @OptionGroup var global: GlobalOptions
        @Flag(name: .long, help: "Show zero counters too.") var all = false
        @Flag(name: .long, help: "Add a column per lcore.") var perLcore = false
        func run() throws {
            try global.run(ControlCommands.showStats) { ReportText.stats($0, all: all, perLcore: perLcore) }
        }
    }

    struct Routes: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The fast-path routing table.")
        @OptionGroup var global: GlobalOptions
        func run() throws { try global.run(ControlCommands.showRoutes, render: ReportText.routes) }
    }

    struct Neighbors: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resolved neighbours (ARP/NDP).")
        @OptionGroup var global: GlobalOptions
        func run() throws { try global.run(ControlCommands.showNeighbors, render: ReportText.neighbors) }
    }

    struct Config: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The configuration the daemon runs with (ESP keys redacted).")
        @OptionGroup var global: GlobalOptions
        func run() throws { try global.run(ControlCommands.showConfig, render: ReportText.config) }
    }

    struct Version: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Daemon version, instance, uptime and DPDK version.")
        @OptionGroup var global: GlobalOptions
        func run() throws { try global.run(ControlCommands.showVersion, render: ReportText.version) }
    }

    struct IPsec: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ipsec", abstract: "IPsec ESP: security associations and policies.",
            subcommands: [SA.self, SPD.self])

        struct SA: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "sa", abstract: "ESP SAs: SPI, peers, selectors, state, packets, replay and auth failures.")
            @OptionGroup var global: GlobalOptions
            func run() throws { try global.run(ControlCommands.showIPsecSAs, render: ReportText.ipsecSAs) }
        }

        struct SPD: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "spd", abstract: "Outbound policies (SPD), their SAs and matches.")
            @OptionGroup var global: GlobalOptions
            func run() throws { try global.run(ControlCommands.showIPsecSPD, render: ReportText.ipsecPolicies) }
        }
    }

    struct IKE: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ike", abstract: "IKEv2: IKE SAs with their CHILD SAs, and counters.",
            subcommands: [SA.self, Stats.self])

        struct SA: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "sa",
                abstract: "IKE SAs (a table), or one in detail with its CHILD SAs.",
                discussion: "With --json, the result is a list: every IKE SA, or the one asked for.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: ArgumentHelp("An IKE SA's id (the table's ID column).", valueName: "id")) var id: UInt64?

            func run() throws {
                guard let id else { return try global.run(ControlCommands.showIKESAs, render: ReportText.ikeSAs) }
                try global.run(ControlCommands.showIKESAs, arguments: [IKEArguments.id: String(id)]) {
                    $0.map(ReportText.ikeSA).joined(separator: "\n")
                }
            }
        }

        struct Stats: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "stats", abstract: "IKE counters: messages, refusals, the UDP queue.")
            @OptionGroup var global: GlobalOptions
            func run() throws { try global.run(ControlCommands.showIKEStats, render: ReportText.ikeStats) }
        }
    }
}

/// `straitctl ike initiate|terminate`: act on IKE SAs.
struct IKE: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ike", abstract: "Start or delete IKE SAs.", subcommands: [Initiate.self, Terminate.self])

    struct Initiate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a tunnel of a VPN: an IKE SA with its CHILD SAs.",
            discussion: "A VPN whose remote-address is a network or any needs --remote.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The VPN's name (ike.vpns[].name).", valueName: "vpn")) var vpn: String
        @Option(name: .long, help: ArgumentHelp("The peer's address, instead of the VPN's remote-address.", valueName: "address"))
        var remote: String?

        func validate() throws {
            if let remote, !Self.isIPAddress(remote) { throw ValidationError("--remote: '\(remote)' is not an IP address") }
        }

        static func isIPAddress(_ text: String) -> Bool {
            var buffer = [UInt8](repeating: 0, count: 16)
            return inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1
        }

        func run() throws {
            var arguments = [IKEArguments.vpn: vpn]
            arguments[IKEArguments.remote] = remote
            try global.run(ControlCommands.ikeInitiate, arguments: arguments) { $0.message + "\n" }
        }
    }

    struct Terminate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an IKE SA and its CHILD SAs (the peer is told with an INFORMATIONAL Delete).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The IKE SA's id (straitctl show ike sa).", valueName: "id")) var id: UInt64

        func run() throws {
            try global.run(ControlCommands.ikeTerminate, arguments: [IKEArguments.id: String(id)]) { $0.message + "\n" }
        }
    }
}

/// `straitctl reload`: the daemon re-reads its config file (as on SIGHUP).
struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-read the config file straitd started with and apply it (as SIGHUP does).",
        discussion: """
            The ike section applies live: tunnels of VPNs that did not change keep running. A file \
            with errors, or one that changes a key that needs a restart, is refused as a whole: \
            the errors are printed (file:line:column: key: message), exit status 1, nothing changed.
            """)
    @OptionGroup var global: GlobalOptions

    func run() throws { try global.run(ControlCommands.reload) { $0.text } }
}

struct HA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ha", abstract: "High availability: this node's role and the state sync.",
        subcommands: [Status.self, Failover.self, Resume.self, FailoverTest.self])

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Role, sync link, last message ages, SAs synced, whether a resync is needed.")
        @OptionGroup var global: GlobalOptions
        func run() throws { try global.run(ControlCommands.haStatus, render: ReportText.haStatus) }
    }

    struct Failover: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Graceful failover: the active's VRRP group resigns (priority 0) and the standby takes over.",
            discussion: """
            Runs on the active node (exit status 1 with `not-active` elsewhere, or when the sync link is \
            down). Its last sequence numbers go to the standby first; the node becomes standby without a \
            restart and does not preempt until `ha resume`.
            """)
        @OptionGroup var global: GlobalOptions
        func run() throws { try global.run(ControlCommands.haFailover) { $0.message + "\n" } }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ends a failover (or a split-brain hold): this node may preempt again.")
        @OptionGroup var global: GlobalOptions
        func run() throws { try global.run(ControlCommands.haResume) { $0.message + "\n" } }
    }
}
