import Logging
import StraitConfig
import StraitCore
import StraitFastPath

/// What the daemon installed from the `ipsec` section: the handles the fast path gave each SA
/// and policy, so reports and events can name them.
struct IPsecState: Sendable {
    /// SA handle -> the SA's config (its key already dropped).
    var sas: [Int: SAConfig] = [:]
    /// SA name -> handle.
    var saHandles: [String: Int] = [:]
    /// Policy handle -> its index in `ipsec.policies`.
    var policyIndexes: [Int: Int] = [:]
    /// SA handle -> its index in `ipsec.sas` (report order).
    var saIndexes: [Int: Int] = [:]

    func name(ofSA handle: Int) -> String { sas[handle]?.name ?? "sa\(handle)" }
}

/// Installs the `ipsec` section into a running fast path, in dependency order: the extra
/// ESP-in-UDP port, the SAs (config order), the policies (which name SAs), the tunnel routes.
/// Any refusal stops the start, naming the config line of what was refused.
enum IPsecInstaller {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func install(_ ipsec: IPsecConfig, on fastPath: FastPath, logger: Logger) throws -> IPsecState {
        var state = IPsecState()
        do {
            try fastPath.setESPUDPPort(ipsec.udpPort)
        } catch {
            throw Failure(description: "ipsec.udp-port: \(message(of: error))")
        }
        for (index, sa) in ipsec.sas.enumerated() {
            do {
                // The cookie is the SA's place in the config, plus one (0 means none).
                let handle = try fastPath.addSA(sa, cookie: UInt64(index + 1))
                var kept = sa
                kept.key = .removed
                state.sas[handle] = kept
                state.saHandles[sa.name] = handle
                state.saIndexes[handle] = index
            } catch {
                throw Failure(description: "\(sa.location): ipsec.sas[\(index)]: the fast path refused SA '\(sa.name)' "
                              + "(SPI \(sa.spiText)): \(message(of: error))")
            }
        }
        for (index, policy) in ipsec.policies.enumerated() {
            let sa = policy.sa.flatMap { state.saHandles[$0] }
            do {
                let handle = try fastPath.addPolicy(policy, sa: sa, key: "ipsec.policies[\(index)]")
                state.policyIndexes[handle] = index
            } catch {
                throw Failure(description: "\(policy.location): ipsec.policies[\(index)]: the fast path refused the policy "
                              + "\(policy.localTS) -> \(policy.remoteTS): \(message(of: error))")
            }
        }
        for (index, route) in ipsec.tunnelRoutes.enumerated() {
            do {
                guard let sa = state.saHandles[route.sa] else {
                    throw Failure(description: "SA '\(route.sa)' is not installed")
                }
                try fastPath.addTunnelRoute(route.prefix, sa: sa)
            } catch {
                throw Failure(description: "\(route.location): ipsec.tunnel-routes[\(index)]: the fast path refused the "
                              + "tunnel route \(route.prefix) into SA '\(route.sa)': \(message(of: error))")
            }
        }
        if !ipsec.isEmpty {
            let port = ipsec.udpPort.map { "; ESP-in-UDP on 4500 and \($0)" } ?? ""
            logger.info("ipsec: \(ipsec.sas.count) SA(s), \(ipsec.policies.count) policy(ies), \(ipsec.tunnelRoutes.count) tunnel route(s) installed\(port)")
        }
        return state
    }

    /// The fast path's own sentence, without the location FastPath.Error adds (we add ours).
    private static func message(of error: Error) -> String {
        if let e = error as? FastPath.Error { return e.message }
        return "\(error)"
    }
}
