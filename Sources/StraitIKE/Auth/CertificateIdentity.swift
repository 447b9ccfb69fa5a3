import StraitConfig
import StraitCore
import X509

/// Identities and certificates (RFC 7296 3.5, RFC 4945 3.1): which identity a certificate
/// vouches for, and distinguished names between DER (ID_DER_ASN1_DN, a certificate's subject)
/// and the config's `IKEIdentity.distinguishedName`.
///
/// An identity is in a certificate when
///   - FQDN: a subjectAltName dNSName is the name (case-insensitive; no wildcard names);
///   - RFC 822: a subjectAltName rfc822Name is the address (case-insensitive);
///   - IPv4 / IPv6: a subjectAltName iPAddress is the address;
///   - DN: the subject has the same attributes in the same order, values equal ignoring case.
/// A name in the subject's CN alone does not count (as with strongSwan); key IDs never match.
enum CertificateIdentity {
    static func contains(_ cert: Certificate, subject: [DNAttribute], _ id: IKEIdentity) -> Bool {
        switch id {
        case .fqdn(let name):
            return sans(cert).contains { if case .dnsName(let n) = $0 { return n.lowercased() == name.lowercased() }; return false }
        case .rfc822(let address):
            return sans(cert).contains { if case .rfc822Name(let a) = $0 { return a.lowercased() == address.lowercased() }; return false }
        case .ipv4, .ipv6:
            let bytes: [UInt8]
            switch id {
            case .ipv4(let a): bytes = IPAddress.v4(a).bytes
            case .ipv6(let a): bytes = IPAddress.v6(a).bytes
            default: return false
            }
            return sans(cert).contains { if case .ipAddress(let o) = $0 { return Array(o.bytes) == bytes }; return false }
        case .distinguishedName(let rdns):
            return rdns.count == subject.count && zip(rdns, subject).allSatisfy { want, have in
                want.attribute == have.name && want.value.lowercased() == have.value.lowercased()
            }
        case .keyID, .any:
            return false
        }
    }

    /// The subjectAltNames, or none when the extension is absent or does not decode.
    static func sans(_ cert: Certificate) -> [GeneralName] {
        guard let names = try? cert.extensions.subjectAlternativeNames else { return [] }
        return Array(names)
    }

    /// The names a certificate holds, for log lines ("DNS:gw.example.net, IP:192.0.2.1").
    static func describeNames(_ cert: Certificate) -> String {
        let names = sans(cert).compactMap { name -> String? in
            switch name {
            case .dnsName(let n): return "DNS:\(n)"
            case .rfc822Name(let a): return "email:\(a)"
            case .ipAddress(let o): return IPAddress(bytes: Array(o.bytes)).map { "IP:\($0)" }
            default: return nil
            }
        }
        return names.isEmpty ? "no subjectAltName" : names.joined(separator: ", ")
    }

    // MARK: Distinguished names

    /// One attribute of a DER Name, with Strait's short name (`CN`) or the dotted OID.
    struct DNAttribute: Equatable, Sendable {
        var name: String
        var value: String
    }

    /// Strait's DN attribute names (IKEIdentity.dnAttributes) and their OIDs.
    static let attributeOIDs: [(name: String, oid: String)] = [
        ("C", "2.5.4.6"), ("ST", "2.5.4.8"), ("L", "2.5.4.7"), ("O", "2.5.4.10"), ("OU", "2.5.4.11"),
        ("CN", "2.5.4.3"), ("DC", "0.9.2342.19200300.100.1.25"), ("E", "1.2.840.113549.1.9.1"), ("SN", "2.5.4.4"),
        ("GN", "2.5.4.42"), ("T", "2.5.4.12"), ("UID", "0.9.2342.19200300.100.1.1"), ("serialNumber", "2.5.4.5"),
    ]

    /// The attributes of a DER Name (SEQUENCE OF SET OF AttributeTypeAndValue), in order.
    static func attributes(ofName der: [UInt8]) throws -> [DNAttribute] {
        let name = try DERNode.parse(der)
        guard name.tag == 0x30 else { throw DERNode.Error.unexpected("a Name is a SEQUENCE") }
        var out: [DNAttribute] = []
        for set in try name.children(der) {
            guard set.tag == 0x31 else { throw DERNode.Error.unexpected("an RDN is a SET") }
            for atv in try set.children(der) {
                let parts = try atv.children(der)
                guard atv.tag == 0x30, parts.count == 2, parts[0].tag == 0x06 else {
                    throw DERNode.Error.unexpected("an attribute is SEQUENCE { OID, value }")
                }
                let oid = DERNode.oidString(Array(der[parts[0].content]))
                let name = attributeOIDs.first { $0.oid == oid }?.name ?? oid
                out.append(DNAttribute(name: name, value: DERNode.string(tag: parts[1].tag, Array(der[parts[1].content]))))
            }
        }
        return out
    }

    /// The config's form of a DER Name.
    static func identity(ofName der: [UInt8]) -> IKEIdentity? {
        guard let attributes = try? attributes(ofName: der) else { return nil }
        return .distinguishedName(attributes.map { IKEIdentity.RDN(attribute: $0.name, value: $0.value) })
    }

    /// DER for a DN written in the config (one attribute per RDN; C and serialNumber as
    /// PrintableString, DC and E as IA5String, the rest UTF8String, as OpenSSL writes them).
    static func der(of rdns: [IKEIdentity.RDN]) -> [UInt8] {
        var sets: [UInt8] = []
        for rdn in rdns {
            let oid = attributeOIDs.first { $0.name == rdn.attribute }?.oid ?? rdn.attribute
            let tag: UInt8
            switch rdn.attribute {
            case "C", "serialNumber": tag = 0x13
            case "DC", "E": tag = 0x16
            default: tag = 0x0c
            }
            let atv = DERNode.tlv(0x30, DERNode.tlv(0x06, DERNode.oidBytes(oid)) + DERNode.tlv(tag, Array(rdn.value.utf8)))
            sets += DERNode.tlv(0x31, atv)
        }
        return DERNode.tlv(0x30, sets)
    }
}

/// Just enough DER to walk a certificate's TBSCertificate and a Name (X.690): definite lengths,
/// single-octet tags.
struct DERNode {
    enum Error: Swift.Error, CustomStringConvertible {
        case truncated, unexpected(String)
        var description: String {
            switch self {
            case .truncated: return "truncated DER"
            case .unexpected(let s): return "unexpected DER: \(s)"
            }
        }
    }

    var tag: UInt8
    /// Where the whole element and its contents lie in the bytes it was parsed from.
    var whole: Range<Int>
    var content: Range<Int>

    static func parse(_ bytes: [UInt8], at start: Int = 0, end: Int? = nil) throws -> DERNode {
        let end = end ?? bytes.count
        guard start + 2 <= end else { throw Error.truncated }
        let tag = bytes[start]
        guard tag & 0x1f != 0x1f else { throw Error.unexpected("multi-octet tag") }
        var i = start + 1
        var length = Int(bytes[i]); i += 1
        if length & 0x80 != 0 {
            let n = length & 0x7f
            guard n >= 1, n <= 3, i + n <= end else { throw Error.unexpected("length of \(n) octets") }
            length = 0
            for _ in 0..<n { length = length << 8 | Int(bytes[i]); i += 1 }
        }
        guard i + length <= end else { throw Error.truncated }
        return DERNode(tag: tag, whole: start..<(i + length), content: i..<(i + length))
    }

    func children(_ bytes: [UInt8]) throws -> [DERNode] {
        var out: [DERNode] = []
        var i = content.lowerBound
        while i < content.upperBound {
            let child = try DERNode.parse(bytes, at: i, end: content.upperBound)
            out.append(child)
            i = child.whole.upperBound
        }
        return out
    }

    /// The subject Name and SubjectPublicKeyInfo of a DER TBSCertificate (RFC 5280 4.1).
    static func subjectAndKey(ofTBS tbs: [UInt8]) throws -> (subject: [UInt8], spki: [UInt8]) {
        let top = try parse(tbs)
        var fields = try top.children(tbs)
        if fields.first?.tag == 0xa0 { fields.removeFirst() }   // [0] version
        // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
        guard top.tag == 0x30, fields.count >= 6 else { throw Error.unexpected("TBSCertificate") }
        return (Array(tbs[fields[4].whole]), Array(tbs[fields[5].whole]))
    }

    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        let n = content.count
        if n < 0x80 { return [tag, UInt8(n)] + content }
        if n < 0x100 { return [tag, 0x81, UInt8(n)] + content }
        if n < 0x10000 { return [tag, 0x82, UInt8(n >> 8), UInt8(n & 0xff)] + content }
        return [tag, 0x83, UInt8(n >> 16), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + content
    }

    static func oidString(_ content: [UInt8]) -> String {
        var arcs: [UInt64] = []
        var value: UInt64 = 0
        for b in content {
            value = value << 7 | UInt64(b & 0x7f)
            if b & 0x80 == 0 {
                if arcs.isEmpty {
                    let first = min(value / 40, 2)
                    arcs += [first, value - first * 40]
                } else {
                    arcs.append(value)
                }
                value = 0
            }
        }
        return arcs.map(String.init).joined(separator: ".")
    }

    static func oidBytes(_ dotted: String) -> [UInt8] {
        let arcs = dotted.split(separator: ".").compactMap { UInt64($0) }
        guard arcs.count >= 2 else { return [] }
        var out: [UInt8] = []
        for arc in [arcs[0] * 40 + arcs[1]] + arcs.dropFirst(2) {
            var chunk: [UInt8] = [UInt8(arc & 0x7f)]
            var v = arc >> 7
            while v > 0 { chunk.insert(UInt8(v & 0x7f) | 0x80, at: 0); v >>= 7 }
            out += chunk
        }
        return out
    }

    /// A directory string's text: UTF-8 for the 8-bit string types, UTF-16 for BMPString.
    static func string(tag: UInt8, _ content: [UInt8]) -> String {
        if tag == 0x1e {   // BMPString
            var units: [UInt16] = []
            var i = 0
            while i + 1 < content.count { units.append(UInt16(content[i]) << 8 | UInt16(content[i + 1])); i += 2 }
            return String(decoding: units, as: UTF16.self)
        }
        return String(decoding: content, as: UTF8.self)
    }

    /// Contents of an ECDSA-Sig-Value (SEQUENCE { r INTEGER, s INTEGER }) from r | s.
    static func ecdsaSignature(rawRS: [UInt8]) -> [UInt8] {
        func integer(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            var v = Array(bytes.drop { $0 == 0 })
            if v.isEmpty { v = [0] }
            if v[0] & 0x80 != 0 { v.insert(0, at: 0) }
            return tlv(0x02, v)
        }
        let half = rawRS.count / 2
        return tlv(0x30, integer(rawRS[..<half]) + integer(rawRS[half...]))
    }
}
