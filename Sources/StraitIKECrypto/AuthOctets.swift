// The AUTH payload's input and the shared-key MIC (RFC 7296 2.15).
//
//   InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI
//   ResponderSignedOctets = RealMessage2 | NonceIData | MACedIDForR
//   MACedIDForI = prf(SK_pi, RestOfInitIDPayload), MACedIDForR = prf(SK_pr, RestOfRespIDPayload)
//
// RealMessage is our own IKE_SA_INIT message as sent (all of it, from the IKE header), the nonce
// is the peer's Nonce Data (no payload header), and RestOf...IDPayload is the ID payload after its
// 4-octet generic header: ID Type, 3 reserved octets, identification data.
//
//   AUTH (shared key) = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)

import Foundation

public enum IKEAuthentication {
    /// The 17 ASCII octets of the key pad, no terminating NUL (RFC 7296 2.15).
    static let keyPad = Array("Key Pad for IKEv2".utf8)

    /// The octets a party signs or MACs for its own AUTH payload, and the peer rebuilds to check it.
    /// - Parameters:
    ///   - realMessage: the signer's IKE_SA_INIT message (or, with RFC 9242 IKE_INTERMEDIATE, the
    ///     caller appends IntAuth itself after these octets).
    ///   - peerNonce: the other party's Nonce Data from IKE_SA_INIT.
    ///   - prf: the IKE SA's PRF; `skP` SK_pi for the initiator's AUTH, SK_pr for the responder's.
    ///   - idPayloadBody: the signer's IDi/IDr payload without its generic payload header.
    public static func signedOctets(realMessage: [UInt8], peerNonce: [UInt8], prf: PRFAlgorithm,
                                    skP: SecretBytes, idPayloadBody: [UInt8]) -> [UInt8] {
        let macedID = PRF(prf).compute(key: skP, idPayloadBody)
        return macedID.withUnsafeBytes { realMessage + peerNonce + Array($0) }
    }

    /// AUTH data for method 2 (Shared Key Message Integrity Code).
    public static func sharedKeyAuth(prf: PRFAlgorithm, sharedSecret: SecretBytes, signedOctets: [UInt8]) -> [UInt8] {
        let function = PRF(prf)
        let padded = function.compute(key: sharedSecret, keyPad)
        return function.compute(key: padded, signedOctets).withUnsafeBytes { Array($0) }
    }

    /// Checks a received method-2 AUTH value in constant time.
    public static func verifySharedKeyAuth(_ received: [UInt8], prf: PRFAlgorithm, sharedSecret: SecretBytes,
                                           signedOctets: [UInt8]) -> Bool {
        let expected = sharedKeyAuth(prf: prf, sharedSecret: sharedSecret, signedOctets: signedOctets)
        return constantTimeEqual(expected, received)
    }
}
