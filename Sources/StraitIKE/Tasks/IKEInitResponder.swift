import StraitConfig
import StraitCore
import StraitIKECrypto
import StraitIKEWire

/// IKE_SA_INIT as the responder (RFC 7296 1.2, 2.6, 2.23):
///   HDR, SAi1, KEi, Ni, [N(NAT_DETECTION_*)], [N(SIGNATURE_HASH_ALGORITHMS)]  -->
///                 <--  HDR, SAr1, KEr, Nr, N(NAT_DETECTION_*), [CERTREQ], [N(SIGNATURE_HASH_ALGORITHMS)]
/// or a stateless answer: N(COOKIE), N(INVALID_KE_PAYLOAD), N(NO_PROPOSAL_CHOSEN).
struct IKEInitResponder {
    enum Outcome {
        /// A new half-open SA and the response that made it.
        case created(IKESA, [UInt8])
        /// A stateless reply (cookie request, KE or proposal refusal).
        case reply([UInt8], reason: String)
        case drop(String)
    }

    let engine: IKEEngineContext

    func process(_ message: IKEMessage, bytes: [UInt8], datagram: IKEDatagram, candidates: [VPNDefinition],
                 halfOpen: Int, now: IKETime) -> Outcome {
        let h = message.header
        let payloads = message.payloads
        guard let sa = payloads.securityAssociation, let ke = payloads.keyExchange, let ni = payloads.nonce else {
            return .drop("IKE_SA_INIT without SA, KE or Nonce")
        }
        // Cookies (2.6): past the threshold, only initiators that echo our cookie get state.
        if halfOpen >= engine.config.limits.cookieThreshold {
            let ip = datagram.remote.address.bytes
            if let c = payloads.notify(.cookie), engine.cookies.isValid(c.data, nonceI: ni.data, initiatorAddress: ip, spiI: h.initiatorSPI) {
                // go on
            } else {
                let cookie = engine.cookies.cookie(nonceI: ni.data, initiatorAddress: ip, spiI: h.initiatorSPI)
                return .reply(plainReply(h, [.notify(NotifyPayload(type: .cookie, data: cookie))]), reason: "cookie")
            }
        }
        let configured = candidates.flatMap { engine.config.ikePolicyTemplate(named: $0.ikePolicy)?.proposals ?? [] }
        guard let chosen = ProposalSelection.selectIKE(offered: sa.proposals, configured: configured) else {
            return .reply(plainReply(h, [.notify(NotifyPayload(type: .noProposalChosen))]), reason: "no proposal chosen")
        }
        guard ke.group.rawValue == chosen.group.rawValue else {
            // The peer guessed another group: tell it ours (2.7); it retries with the same SPI.
            return .reply(plainReply(h, [.notify(.invalidKEPayload(accepted: KeyExchangeMethod(chosen.group.rawValue)))]),
                          reason: "INVALID_KE_PAYLOAD (want \(chosen.group))")
        }
        do {
            let dh = try KeyExchange(group: DHGroup(rawValue: chosen.group.rawValue)!)
            let shared = try dh.sharedSecret(peerPublicValue: ke.data)
            let nonceR = secureRandomBytes(32)
            let spiR = engine.newSPI()
            let keys = try IKEKeyDerivation.initialIKESAKeys(suite: try chosen.suite(), sharedSecret: shared, nonceI: ni.data,
                                                             nonceR: nonceR, spiI: h.initiatorSPI, spiR: spiR)
            // NAT detection (2.23): the hashes the peer computed with SPIr = 0.
            let localIP = effectiveLocal(datagram, candidates)
            let srcHashes = payloads.notifies.filter { $0.type == .natDetectionSourceIP }.map(\.data)
            let dstHashes = payloads.notifies.filter { $0.type == .natDetectionDestinationIP }.map(\.data)
            let natRemote = !srcHashes.isEmpty && !srcHashes.contains {
                NATDetection.matches($0, spiI: h.initiatorSPI, spiR: 0, address: datagram.remote.address.bytes, port: datagram.remote.port)
            }
            let natLocal = !dstHashes.isEmpty && !dstHashes.contains {
                NATDetection.matches($0, spiI: h.initiatorSPI, spiR: 0, address: localIP.bytes, port: datagram.local.port)
            }
            var out: [IKEPayload] = [
                .securityAssociation(SecurityAssociationPayload(proposals: [chosen.wireProposal()])),
                .keyExchange(KeyExchangePayload(group: ke.group, data: dh.publicValue)),
                .nonce(NoncePayload(data: nonceR)),
            ]
            // Fragmentation (RFC 7383 2.3): announced back when the peer offers it and a
            // candidate VPN's template allows it.
            let fragmentation = payloads.notify(.ikev2FragmentationSupported) != nil && candidates.contains {
                engine.config.ikePolicyTemplate(named: $0.ikePolicy)?.fragmentation ?? false
            }
            if fragmentation { out.append(.notify(NotifyPayload(type: .ikev2FragmentationSupported))) }
            if !srcHashes.isEmpty || !dstHashes.isEmpty {
                out.append(.notify(NotifyPayload(type: .natDetectionSourceIP, data: try NATDetection.hash(
                    spiI: h.initiatorSPI, spiR: spiR, address: localIP.bytes, port: datagram.local.port))))
                out.append(.notify(NotifyPayload(type: .natDetectionDestinationIP, data: try NATDetection.hash(
                    spiI: h.initiatorSPI, spiR: spiR, address: datagram.remote.address.bytes, port: datagram.remote.port))))
            }
            // Certificates: CERTREQ for our CAs, SIGNATURE_HASH_ALGORITHMS (RFC 7427 4).
            out += CertificateNegotiation.initResponsePayloads(request: payloads, candidates: candidates, engine.credentials)
            let header = IKEHeader(initiatorSPI: h.initiatorSPI, responderSPI: spiR, exchangeType: .ikeSAInit,
                                   flags: [.response], messageID: 0)
            let response = IKEMessage(header: header, payloads: out).encode()
            let ike = try IKESA(id: spiR, role: .responder, spiI: h.initiatorSPI, spiR: spiR,
                                local: IKEEndpoint(localIP, datagram.local.port), remote: datagram.remote, proposal: chosen,
                                keys: keys, nonceI: ni.data, nonceR: nonceR, initRequest: bytes, initResponse: response,
                                candidates: candidates, now: now)
            ike.natLocal = natLocal
            ike.natRemote = natRemote
            ike.lastResponse = (0, [response])
            ike.fragmentation = fragmentation
            return .created(ike, response)
        } catch {
            return .drop("IKE_SA_INIT: \(error)")
        }
    }

    /// An unencrypted answer that makes no state (SPIr stays 0 for cookie/KE/proposal refusals).
    private func plainReply(_ h: IKEHeader, _ payloads: [IKEPayload]) -> [UInt8] {
        IKEMessage(header: IKEHeader(initiatorSPI: h.initiatorSPI, responderSPI: 0, exchangeType: .ikeSAInit,
                                     flags: [.response], messageID: h.messageID), payloads: payloads).encode()
    }

    /// The address the peer sent to: the datagram's, or the VPN's when the socket could not tell.
    private func effectiveLocal(_ d: IKEDatagram, _ candidates: [VPNDefinition]) -> IPAddress {
        if SelectorNarrowing.value(d.local.address) != 0 { return d.local.address }
        return candidates.first?.localAddress ?? d.local.address
    }
}
