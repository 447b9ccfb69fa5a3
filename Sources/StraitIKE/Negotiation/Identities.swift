import StraitConfig
import StraitCore
import StraitIKEWire

/// Identities between the config's model and the ID payload (RFC 7296 3.5).
enum Identities {
    static func payload(_ id: IKEIdentity) -> IdentificationPayload {
        switch id {
        case .ipv4(let a): return .address(.v4(a))
        case .ipv6(let a): return .address(.v6(a))
        case .fqdn(let n): return .fqdn(n)
        case .rfc822(let n): return .rfc822(n)
        case .keyID(let k): return IdentificationPayload(idType: .keyID, data: k)
        case .distinguishedName(let rdns): return IdentificationPayload(idType: .derASN1DN, data: CertificateIdentity.der(of: rdns))
        case .any:
            // Our own identity is never %any (config rule).
            return .fqdn(id.description)
        }
    }

    /// The peer's identity, or nil for types we cannot match (ID_DER_ASN1_GN, a DN that does not decode).
    static func identity(_ p: IdentificationPayload) -> IKEIdentity? {
        switch p.idType {
        case .ipv4Address, .ipv6Address:
            guard let a = p.address else { return nil }
            switch a { case .v4(let v): return .ipv4(v); case .v6(let v): return .ipv6(v) }
        case .fqdn: return .fqdn(String(decoding: p.data, as: UTF8.self))
        case .rfc822Address: return .rfc822(String(decoding: p.data, as: UTF8.self))
        case .keyID: return .keyID(p.data)
        case .derASN1DN: return CertificateIdentity.identity(ofName: p.data)
        default: return nil
        }
    }

    /// For reports and logs.
    static func text(_ p: IdentificationPayload) -> String {
        identity(p)?.description ?? "type \(p.idType.rawValue), \(p.data.count) bytes"
    }
}
