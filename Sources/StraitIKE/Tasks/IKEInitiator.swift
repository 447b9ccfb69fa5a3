import StraitConfig
import StraitCore
import StraitIKECrypto
import StraitIKEWire

/// An IKE SA we are starting, before IKE_SA_INIT's answer gives it keys.
struct InitiatingSA {
    var vpn: VPNDefinition
    var policy: SecurityPolicy
    var spiI: UInt64
    var local: IKEEndpoint
    var remote: IKEEndpoint
    var group: IKEDHGroup
    var dh: KeyExchange
    var nonceI: [UInt8]
    var cookie: [UInt8]?
    var request: [UInt8] = []
    var attempts = 0
    var nextSend: IKETime
    var retries = 0
}

/// What the IKE_AUTH request promised, to check the answer against.
struct AuthContext {
    var policy: SecurityPolicy
    var inboundSPI: UInt32
    var idi: IdentificationPayload
}

/// The initiator's side of IKE_SA_INIT and IKE_AUTH with a PSK or certificates (RFC 7296 1.2; Auth/):
///   HDR, SAi1, KEi, Ni, N(NAT_DETECTION_*), [N(SIGNATURE_HASH_ALGORITHMS)]  -->  <--  HDR, SAr1, KEr, Nr, [CERTREQ]
///   HDR, SK {IDi, [CERT+,] [CERTREQ,] [IDr,] AUTH, SAi2, TSi, TSr, N(INITIAL_CONTACT)}  -->
///                                                   <--  HDR, SK {IDr, [CERT+,] AUTH, SAr2, TSi, TSr}
struct IKEInitiator {
    let engine: IKEEngineContext

    static func wireProposals(_ proposals: [IKEProposal]) -> [Proposal] {
        proposals.enumerated().map { n, p in
            var t: [Transform] = p.encryption.map { .encryption(EncryptionAlgorithm($0.transformID), keyLength: UInt16($0.keyBits)) }
            if !p.isAEAD { t += p.integrity.map { .integrity(IntegrityAlgorithm($0.rawValue)) } }
            t += p.prf.map { .prf(PseudorandomFunction($0.rawValue)) }
            t += p.groups.map { .keyExchange(KeyExchangeMethod($0.rawValue)) }
            return .ike(number: UInt8(n + 1), transforms: t)
        }
    }

    static func wireESPProposals(_ proposals: [ESPProposal], spi: UInt32) -> [Proposal] {
        proposals.enumerated().map { n, p in
            var t: [Transform] = p.encryption.filter(\.isAEAD).map { .encryption(EncryptionAlgorithm($0.transformID), keyLength: UInt16($0.keyBits)) }
            t += p.esn.map { .extendedSequenceNumbers($0 == .esn ? .esn : .noESN) }
            return .esp(number: UInt8(n + 1), spi: spi, transforms: t)
        }
    }

    func initRequest(_ s: inout InitiatingSA) throws -> [UInt8] {
        guard let template = engine.config.ikePolicyTemplate(named: s.vpn.ikePolicy) else { throw IKEError.internal("no template") }
        var payloads: [IKEPayload] = s.cookie.map { [.notify(NotifyPayload(type: .cookie, data: $0))] } ?? []
        payloads += [
            .securityAssociation(SecurityAssociationPayload(proposals: Self.wireProposals(template.proposals))),
            .keyExchange(KeyExchangePayload(group: KeyExchangeMethod(s.group.rawValue), data: s.dh.publicValue)),
            .nonce(NoncePayload(data: s.nonceI)),
            .notify(NotifyPayload(type: .natDetectionSourceIP, data: try NATDetection.hash(
                spiI: s.spiI, spiR: 0, address: s.local.address.bytes, port: s.local.port))),
            .notify(NotifyPayload(type: .natDetectionDestinationIP, data: try NATDetection.hash(
                spiI: s.spiI, spiR: 0, address: s.remote.address.bytes, port: s.remote.port))),
        ] + CertificateNegotiation.initRequestPayloads(s.vpn)
        if template.fragmentation { payloads.append(.notify(NotifyPayload(type: .ikev2FragmentationSupported))) }
        let h = IKEHeader(initiatorSPI: s.spiI, responderSPI: 0, exchangeType: .ikeSAInit, flags: [.initiator], messageID: 0)
        s.request = IKEMessage(header: h, payloads: payloads).encode()
        return s.request
    }

    enum InitOutcome {
        case retry(String)              // cookie or another group: send the new request
        case established(IKESA)         // keys derived: send IKE_AUTH next
        case failed(String)
    }

    func processInitResponse(_ s: inout InitiatingSA, _ message: IKEMessage, bytes: [UInt8], now: IKETime) -> InitOutcome {
        let p = message.payloads
        if let c = p.notify(.cookie) {
            s.cookie = c.data
            return .retry("cookie")
        }
        if let n = p.notify(.invalidKEPayload), n.data.count == 2 {
            let wanted = UInt16(n.data[0]) << 8 | UInt16(n.data[1])
            guard let template = engine.config.ikePolicyTemplate(named: s.vpn.ikePolicy),
                  let g = IKEDHGroup(rawValue: wanted), template.proposals.contains(where: { $0.groups.contains(g) }),
                  let dh = try? KeyExchange(group: DHGroup(rawValue: wanted)!), s.retries < 3
            else { return .failed("the responder wants group \(wanted), which we do not offer") }
            s.group = g
            s.dh = dh
            s.retries += 1
            return .retry("INVALID_KE_PAYLOAD: group \(g)")
        }
        if let err = p.firstErrorNotify { return .failed("the responder refused: \(err.type)") }
        guard let sa = p.securityAssociation, sa.proposals.count == 1, let ke = p.keyExchange, let nr = p.nonce,
              let template = engine.config.ikePolicyTemplate(named: s.vpn.ikePolicy),
              let chosen = ProposalSelection.selectIKE(offered: sa.proposals, configured: template.proposals),
              chosen.group.rawValue == ke.group.rawValue, chosen.group == s.group
        else { return .failed("IKE_SA_INIT answer without an acceptable SA, KE or nonce") }
        do {
            let shared = try s.dh.sharedSecret(peerPublicValue: ke.data)
            let spiR = message.header.responderSPI
            let keys = try IKEKeyDerivation.initialIKESAKeys(suite: try chosen.suite(), sharedSecret: shared, nonceI: s.nonceI,
                                                             nonceR: nr.data, spiI: s.spiI, spiR: spiR)
            let ike = try IKESA(id: s.spiI, role: .initiator, spiI: s.spiI, spiR: spiR, local: s.local, remote: s.remote,
                                proposal: chosen, keys: keys, nonceI: s.nonceI, nonceR: nr.data, initRequest: s.request,
                                initResponse: bytes, candidates: [s.vpn], now: now)
            let src = p.notifies.filter { $0.type == .natDetectionSourceIP }.map(\.data)
            let dst = p.notifies.filter { $0.type == .natDetectionDestinationIP }.map(\.data)
            ike.natRemote = !src.isEmpty && !src.contains {
                NATDetection.matches($0, spiI: s.spiI, spiR: spiR, address: s.remote.address.bytes, port: s.remote.port)
            }
            ike.natLocal = !dst.isEmpty && !dst.contains {
                NATDetection.matches($0, spiI: s.spiI, spiR: spiR, address: s.local.address.bytes, port: s.local.port)
            }
            ike.vpn = s.vpn
            ike.fragmentation = template.fragmentation && p.notify(.ikev2FragmentationSupported) != nil
            if ike.natLocal || ike.natRemote {
                // Behind a NAT: IKE moves to 4500 from IKE_AUTH on (RFC 7296 2.23).
                ike.local.port = 4500
                ike.remote.port = 4500
            }
            return .established(ike)
        } catch {
            return .failed("IKE_SA_INIT answer: \(error)")
        }
    }

    /// The IKE_AUTH request payloads; allocates our inbound SPI.
    func authPayloads(_ ike: IKESA, policy: SecurityPolicy) throws -> ([IKEPayload], AuthContext) {
        guard let vpn = ike.vpn, let template = engine.config.ipsecPolicyTemplate(named: policy.ipsecPolicy)
        else { throw IKEError.internal("no ESP template for '\(ike.vpn?.name ?? "?")'") }
        let local = LocalAuthentication(engine: engine)
        let idi = local.idPayload(vpn)
        ike.localID = idi
        // [CERT+] AUTH (Auth/LocalAuthentication), and a CERTREQ for the CAs we take the responder's certificate from.
        var ours = try local.payloads(ike: ike, vpn: vpn, id: idi, peerIdentity: nil)
        let auth = ours.removeLast()
        let spi = try engine.dataPlane.allocateInboundSPI()
        var payloads: [IKEPayload] = [.identificationInitiator(idi)] + ours
        if let certreq = CertificateNegotiation.certificateRequest([vpn], engine.credentials) { payloads.append(certreq) }
        if !vpn.remoteID.isPattern, vpn.remoteID != .any { payloads.append(.identificationResponder(Identities.payload(vpn.remoteID))) }
        payloads += [
            .notify(NotifyPayload(type: .initialContact)),
            auth,
            .securityAssociation(SecurityAssociationPayload(proposals: Self.wireESPProposals(template.proposals, spi: spi))),
            .trafficSelectorsInitiator(TrafficSelectorsPayload(selectors: policy.localTS.map { selector($0) })),
            .trafficSelectorsResponder(TrafficSelectorsPayload(selectors: policy.remoteTS.map { selector($0) })),
        ]
        if engine.messageIDSync { payloads.append(.notify(NotifyPayload(type: .ikev2MessageIDSyncSupported))) }
        return (payloads, AuthContext(policy: policy, inboundSPI: spi, idi: idi))
    }

    private func selector(_ ts: ConfigTrafficSelector) -> StraitIKEWire.TrafficSelector {
        var r = AddressRangeSelector(prefix: ts.prefix.network)
        r.ipProtocol = ts.proto.number
        r.startPort = UInt16(ts.ports.lowerBound)
        r.endPort = UInt16(ts.ports.upperBound)
        return .addressRange(r)
    }

    /// Check the IKE_AUTH answer and install the CHILD SA. Returns the child, or why not.
    func processAuthResponse(_ ike: IKESA, _ ctx: AuthContext, _ p: [IKEPayload], now: IKETime) -> Result<ChildSA?, IKEError> {
        guard let vpn = ike.vpn else { return .failure(.internal("no VPN")) }
        if let err = p.notify(.authenticationFailed) {
            return .failure(.protocolError("the responder says \(err.type)"))
        }
        guard case .identificationResponder(let idr)? = p.first(where: { $0.type == .identificationResponder }),
              case .authentication(let auth)? = p.first(where: { $0.type == .authentication }),
              let peerID = Identities.identity(idr), vpn.remoteID.matches(peerID)
        else { return .failure(.protocolError("IKE_AUTH answer without an acceptable IDr and AUTH")) }
        switch PeerAuthentication(engine: engine).verify(ike: ike, vpn: vpn, id: idr, identity: peerID, auth: auth, payloads: p) {
        case .failure(let f):
            engine.counters.authFailures += 1
            return .failure(.protocolError("the responder's authentication fails: \(f.reason)"))
        case .success(let how):
            engine.logger.debug("ike \(ike.remote): responder \(peerID) authenticated by \(how)")
        }
        ike.remoteID = idr
        ike.remoteIdentity = peerID
        ike.midSync.enabled = engine.messageIDSync && p.notify(.ikev2MessageIDSyncSupported) != nil
        guard let sa = p.securityAssociation, let template = engine.config.ipsecPolicyTemplate(named: ctx.policy.ipsecPolicy),
              let chosen = ProposalSelection.selectESP(offered: sa.proposals, configured: template.proposals, withKE: false),
              case .trafficSelectorsInitiator(let tsi)? = p.first(where: { $0.type == .trafficSelectorsInitiator }),
              case .trafficSelectorsResponder(let tsr)? = p.first(where: { $0.type == .trafficSelectorsResponder })
        else {
            engine.dataPlane.releaseInboundSPI(ctx.inboundSPI)
            return .success(nil)   // IKE SA up, CHILD refused (the notify says why)
        }
        do {
            return .success(try ChildInstall(engine: engine).install(
                ike: ike, name: "\(vpn.name)/\(ctx.policy.name)#\(ike.id & 0xffff_ffff)", policyName: ctx.policy.name,
                template: template, chosen: chosen, inboundSPI: ctx.inboundSPI, weInitiated: true, sharedSecret: nil,
                nonceI: ike.nonceI, nonceR: ike.nonceR, localTS: tsi.addressRanges.flatMap(SelectorNarrowing.prefixes),
                remoteTS: tsr.addressRanges.flatMap(SelectorNarrowing.prefixes), now: now))
        } catch {
            engine.dataPlane.releaseInboundSPI(ctx.inboundSPI)
            return .failure(.internal("installing the CHILD SA: \(error)"))
        }
    }
}
