/// A control command: its words and, as a type parameter, the type of its result.
/// The daemon registers handlers with it (so it must return that type) and clients call it.
public struct ControlCommand<Result: Codable & Sendable>: Sendable, CustomStringConvertible {
    public let words: [String]
    public init(_ words: [String]) { self.words = words }
    public var description: String { words.joined(separator: " ") }
}

/// Every command of the control socket, in one place.
public enum ControlCommands {
    public static let showPorts = ControlCommand<[PortReport]>(["show", "ports"])
    public static let showLcores = ControlCommand<[LcoreReport]>(["show", "lcores"])
    public static let showStats = ControlCommand<StatsReport>(["show", "stats"])
    public static let showRoutes = ControlCommand<[RouteReport]>(["show", "routes"])
    public static let showNeighbors = ControlCommand<[NeighborReport]>(["show", "neighbors"])
    public static let showConfig = ControlCommand<ConfigReport>(["show", "config"])
    public static let showVersion = ControlCommand<VersionReport>(["show", "version"])
    public static let showIPsecSAs = ControlCommand<[SAReport]>(["show", "ipsec", "sa"])
    public static let showIPsecSPD = ControlCommand<[PolicyReport]>(["show", "ipsec", "spd"])
    /// Every IKE SA; with the argument `id` (`IKEArguments.id`), only that one (or `not-found`).
    public static let showIKESAs = ControlCommand<[IKESAStatus]>(["show", "ike", "sa"])
    public static let showIKEStats = ControlCommand<IKEStatsReport>(["show", "ike", "stats"])
    /// Every VRRP instance and group (empty without a `vrrp` section).
    public static let showVRRP = ControlCommand<VRRPReport>(["show", "vrrp"])
    /// This node's HA role and sync link (`configured` false without an `ha` section).
    public static let haStatus = ControlCommand<HAStatusReport>(["ha", "status"])
    /// Graceful failover: this node's HA group resigns (VRRP priority 0) and stays Backup,
    /// without preempting, until `ha resume` (`not-active` when this node is not the active).
    public static let haFailover = ControlCommand<HAActionResult>(["ha", "failover"])
    /// Ends a `ha failover`: this node may preempt again.
    public static let haResume = ControlCommand<HAActionResult>(["ha", "resume"])
    /// Arguments `vpn`, and `remote` (optional).
    public static let ikeInitiate = ControlCommand<IKEActionResult>(["ike", "initiate"])
    /// Argument `id`.
    public static let ikeTerminate = ControlCommand<IKEActionResult>(["ike", "terminate"])
    /// Re-read the config file the daemon started with and apply what may change live
    /// (`invalid-config` with every error, and nothing changed, otherwise).
    public static let reload = ControlCommand<ReloadResult>(["reload"])

    /// The words of every command above.
    public static let all: [[String]] = [
        showPorts.words, showLcores.words, showStats.words, showRoutes.words,
        showNeighbors.words, showConfig.words, showVersion.words, showIPsecSAs.words, showIPsecSPD.words,
        showIKESAs.words, showIKEStats.words, ikeInitiate.words, ikeTerminate.words, reload.words, showVRRP.words,
        haStatus.words, haFailover.words, haResume.words,
    ]
}
