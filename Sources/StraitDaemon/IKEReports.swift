import StraitAPI
import StraitConfig
import StraitCore
import StraitIKE
import StraitIKEService

/// The IKE commands of the control socket: `show ike sa [id]`, `show ike stats`,
/// `ike initiate <vpn> [--remote]`, `ike terminate <id>`, answered through the IKE service
/// (which asks the engine on its loop). Without an `ike` section they answer `not-configured`.
struct IKECommands: Sendable {
    var service: IKEService?
    /// The VPNs as they are now (a reload replaces them).
    var current: RunningConfig
    var config: IKEConfig { current.value.ike }

    static let notConfigured = ControlError(.notConfigured, "IKE is not configured: the config has no ike section")

    private func running() throws -> IKEService {
        guard let service else { throw Self.notConfigured }
        return service
    }

    func showSAs(_ request: ControlRequest) throws -> [IKESAStatus] {
        let reports = try call { try running().reports() }
        guard let text = request.arguments[IKEArguments.id] else { return reports.map(Self.status) }
        let id = try Self.id(text)
        guard let sa = reports.first(where: { $0.id == id }) else { throw ControlError(.notFound, "no IKE SA \(id)") }
        return [Self.status(sa)]
    }

    func stats(_ request: ControlRequest) throws -> IKEStatsReport {
        let service = try running()
        let (engine, udp) = try call { try service.counters() }
        return IKEStatsReport(
            ports: service.boundPorts, received: engine.received, sent: engine.sent, malformed: engine.malformed,
            unknownSPI: engine.unknownSPI, retransmitsAnswered: engine.retransmitsAnswered,
            retransmitsSent: engine.retransmitsSent, cookiesSent: engine.cookiesSent, halfOpenRefused: engine.halfOpenRefused,
            authFailures: engine.authFailures, noProposal: engine.noProposal, tsUnacceptable: engine.tsUnacceptable,
            ikeSAsEstablished: engine.ikeSAsEstablished, childSAsInstalled: engine.childSAsInstalled,
            queueDrops: engine.queueDrops, datagrams: udp.datagrams, delivered: udp.delivered,
            natKeepalives: udp.natKeepalives, nonIKE: udp.nonIKE, short: udp.short,
            unsupportedAddress: udp.unsupportedAddress, sendErrors: udp.sendErrors + udp.sendNoSocket,
            queueDepth: udp.queueDepth, queueHighWater: udp.queueHighWater, queueLimit: service.settings.queueLimit)
    }

    func initiate(_ request: ControlRequest) throws -> IKEActionResult {
        let service = try running()
        let name = try request.requiredArgument(IKEArguments.vpn)
        guard let vpn = config.vpn(named: name) else {
            let known = config.vpns.map(\.name).joined(separator: ", ")
            throw ControlError(.notFound, "no VPN named '\(name)' (the config has: \(known.isEmpty ? "none" : known))")
        }
        var remote: IPAddress?
        if let text = request.arguments[IKEArguments.remote] {
            guard let address = IPAddress(text) else { throw ControlError(.badRequest, "remote: '\(text)' is not an IP address") }
            remote = address
        }
        guard let target = remote ?? vpn.remoteAddress.initiatorTarget else {
            throw ControlError(.badRequest, "VPN '\(name)' has remote-address \(vpn.remoteAddress): say where with --remote")
        }
        do {
            try service.initiate(vpn: name, remote: remote)
        } catch let e as IKEService.ServiceError {
            throw ControlError(.unavailable, "\(e)")
        } catch {
            throw ControlError(.badRequest, "cannot initiate VPN '\(name)' to \(target): \(error)")
        }
        return IKEActionResult(message: "initiating VPN '\(name)' to \(target)")
    }

    func terminate(_ request: ControlRequest) throws -> IKEActionResult {
        let service = try running()
        let id = try Self.id(try request.requiredArgument(IKEArguments.id))
        guard try call({ try service.terminate(ikeSA: id) }) else { throw ControlError(.notFound, "no IKE SA \(id)") }
        return IKEActionResult(message: "deleting IKE SA \(id)")
    }

    /// A service that is stopping answers `unavailable`.
    private func call<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as IKEService.ServiceError { throw ControlError(.unavailable, "\(e)") }
    }

    static func id(_ text: String) throws -> UInt64 {
        guard let id = UInt64(text) else { throw ControlError(.badRequest, "id: '\(text)' is not an IKE SA id") }
        return id
    }

    static func status(_ sa: IKESAReport) -> IKESAStatus {
        IKESAStatus(id: sa.id, vpn: sa.vpn, state: sa.state, role: sa.role.rawValue, local: sa.local.description,
                    remote: sa.remote.description, localID: sa.localID, remoteID: sa.remoteID,
                    initiatorSPI: IKEEventLog.spi64(sa.initiatorSPI), responderSPI: IKEEventLog.spi64(sa.responderSPI),
                    proposal: sa.proposal, natLocal: sa.natLocal, natRemote: sa.natRemote, ageSeconds: sa.ageSeconds,
                    nextMessageID: sa.nextMessageID, children: sa.children.map(status))
    }

    static func status(_ child: ChildSAReport) -> ChildSAStatus {
        ChildSAStatus(name: child.name, inboundSPI: IPsecDefaults.spiText(child.inboundSPI),
                      outboundSPI: IPsecDefaults.spiText(child.outboundSPI), proposal: child.proposal,
                      localTS: child.localTS.map(\.description), remoteTS: child.remoteTS.map(\.description),
                      encapsulated: child.encapsulated, ageSeconds: child.ageSeconds,
                      usage: child.usage.map {
                          ChildSAUsageStatus(inboundPackets: $0.inboundPackets, inboundBytes: $0.inboundBytes,
                                             outboundPackets: $0.outboundPackets, outboundBytes: $0.outboundBytes,
                                             replayDrops: $0.replayDrops, authFailures: $0.authFailures,
                                             outboundSeq: $0.outboundSeq)
                      })
    }
}
