import Foundation
import StraitConfig
import StraitIKECrypto
import X509

/// The certificates, private keys and CA certificates of the VPN definitions that authenticate
/// with certificates (`local-auth: certificate`, `remote-auth: certificate`), loaded once before
/// the engine runs. The engine itself does no I/O: `IKEEngine` loads them from the files the
/// configuration names when it is constructed without credentials, or the daemon loads them
/// (`IKECredentials.load(_:read:)`, e.g. before it drops privileges) and hands them over.
/// Every error names the file.
public struct IKECredentials: Sendable {
    /// A file that cannot be used, and why.
    public struct LoadError: Error, Sendable, Equatable, CustomStringConvertible {
        public var file: String
        public var message: String
        public var description: String { "\(file): \(message)" }
    }

    /// Our certificate and key, by VPN name.
    var locals: [String: LocalCredential] = [:]
    /// The CAs a peer's certificate must chain to, by VPN name.
    var anchors: [String: TrustAnchors] = [:]
    /// Things worth a warning at start (a local-id the certificate does not hold, an expired
    /// certificate); the engine logs them.
    public internal(set) var warnings: [String] = []

    /// No credentials: enough for configurations that only use PSKs.
    public init() {}

    /// Reads every certificate, key and CA file that `config` names, each file once. `read`
    /// returns a file's bytes (PEM; DER is accepted for certificates too).
    public static func load(_ config: IKEConfig, read: (String) throws -> [UInt8] = readFile,
                            now: Date = Date()) throws -> IKECredentials {
        var credentials = IKECredentials()
        var files: [String: [UInt8]] = [:]
        func bytes(_ path: String) throws -> [UInt8] {
            if let b = files[path] { return b }
            do {
                let b = try read(path)
                files[path] = b
                return b
            } catch let e as LoadError { throw e } catch {
                throw LoadError(file: path, message: "cannot read: \(error)")
            }
        }
        var anchorsByFile: [String: (certificates: [Certificate], hashes: [[UInt8]])] = [:]
        for vpn in config.vpns {
            if case .certificate(let certFile, let keyFile) = vpn.localAuth {
                let local = try LocalCredential.load(certificate: certFile, bytes(certFile), key: keyFile, bytes(keyFile))
                credentials.locals[vpn.name] = local
                if !CertificateIdentity.contains(local.certificate, subject: local.subjectAttributes, vpn.localID) {
                    credentials.warnings.append("VPN '\(vpn.name)': local-id \(vpn.localID) is neither the subject nor a subjectAltName of \(certFile) "
                                                + "(\(CertificateIdentity.describeNames(local.certificate))); peers will refuse it")
                }
                if local.certificate.notValidAfter < now {
                    credentials.warnings.append("VPN '\(vpn.name)': the certificate \(certFile) expired on \(local.certificate.notValidAfter)")
                }
            }
            if case .certificate(let caFiles) = vpn.remoteAuth {
                var anchors = TrustAnchors(files: caFiles, certificates: [], keyHashes: [])
                for file in caFiles {
                    if anchorsByFile[file] == nil {
                        let parsed = try PEMFile.certificates(bytes(file), file: file, what: "CA certificate")
                        anchorsByFile[file] = (parsed.map(\.certificate), try parsed.map { IKEDigest.sha1(try PEMFile.fields($0, file: file).spki) })
                    }
                    anchors.certificates += anchorsByFile[file]?.certificates ?? []
                    anchors.keyHashes += anchorsByFile[file]?.hashes ?? []
                }
                credentials.anchors[vpn.name] = anchors
            }
        }
        return credentials
    }

    /// The default reader: the whole file.
    public static func readFile(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else { throw LoadError(file: path, message: "does not exist") }
        guard let data = FileManager.default.contents(atPath: path) else { throw LoadError(file: path, message: "cannot be read") }
        return [UInt8](data)
    }

    /// Every VPN definition that needs credentials has them.
    func check(_ config: IKEConfig) throws {
        for vpn in config.vpns {
            if case .certificate(let file, _) = vpn.localAuth, locals[vpn.name] == nil {
                throw LoadError(file: file, message: "VPN '\(vpn.name)' authenticates with this certificate, but it was not loaded")
            }
            if case .certificate(let files) = vpn.remoteAuth, anchors[vpn.name] == nil {
                throw LoadError(file: files.first ?? "?", message: "VPN '\(vpn.name)' trusts these CAs, but they were not loaded")
            }
        }
    }
}

/// Our certificate (plus the intermediates in the same file, sent after it) and its key.
struct LocalCredential: Sendable {
    var file: String
    var certificate: Certificate
    var der: [UInt8]
    var subject: [UInt8]
    var subjectAttributes: [CertificateIdentity.DNAttribute]
    var intermediates: [[UInt8]]
    var key: SigningKey

    static func load(certificate certFile: String, _ certBytes: [UInt8], key keyFile: String, _ keyBytes: [UInt8]) throws -> LocalCredential {
        let certs = try PEMFile.certificates(certBytes, file: certFile, what: "certificate")
        let key = try PEMFile.privateKey(keyBytes, file: keyFile)
        let leaf = certs[0]
        let (subject, spki) = try PEMFile.fields(leaf, file: certFile)
        // The key must be the certificate's: sign something and check it with the certificate's key.
        let probe = Array("strait: does this key belong to the certificate?".utf8)
        let scheme: SignatureScheme = key.keyType == .p384 ? .ecdsaSHA384 : key.keyType == .p256 ? .ecdsaSHA256 : .rsaPKCS1SHA256
        let matches: Bool
        do {
            let signature = try IKESignature.sign(probe, with: key, method: .digitalSignature, scheme: scheme)
            matches = (try? IKESignature.verify(signature, method: .digitalSignature, octets: probe,
                                                key: VerificationKey(subjectPublicKeyInfoDER: spki))) == true
        } catch {
            throw LoadError(file: keyFile, message: "cannot sign with this key: \(error)")
        }
        guard matches else {
            throw LoadError(file: keyFile, message: "is not the private key of the certificate \(certFile)")
        }
        return LocalCredential(file: certFile, certificate: leaf.certificate, der: leaf.der, subject: subject,
                               subjectAttributes: (try? CertificateIdentity.attributes(ofName: subject)) ?? [],
                               intermediates: certs.dropFirst().map(\.der), key: key)
    }
}

/// The CA certificates of a VPN definition's `remote-auth.ca`.
struct TrustAnchors: Sendable {
    var files: [String]
    var certificates: [Certificate]
    /// SHA-1 of each CA's SubjectPublicKeyInfo: what a CERTREQ names (RFC 7296 3.7).
    var keyHashes: [[UInt8]]
}

typealias LoadError = IKECredentials.LoadError

/// PEM files (RFC 7468): certificates and private keys.
enum PEMFile {
    struct Block {
        var label: String
        var headers: [String]
        var der: [UInt8]
    }

    static func blocks(_ bytes: [UInt8]) -> [Block] {
        var out: [Block] = []
        var label: String?
        var headers: [String] = []
        var body = ""
        for raw in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                label = String(line.dropFirst(11).dropLast(5))
                headers = []
                body = ""
            } else if line.hasPrefix("-----END "), let l = label {
                out.append(Block(label: l, headers: headers, der: [UInt8](Data(base64Encoded: body) ?? Data())))
                label = nil
            } else if label != nil {
                if line.contains(":") { headers.append(line) } else { body += line }
            }
        }
        return out
    }

    struct ParsedCertificate {
        var certificate: Certificate
        var der: [UInt8]
    }

    /// All certificates in a file (PEM blocks CERTIFICATE, or one DER certificate).
    static func certificates(_ bytes: [UInt8], file: String, what: String) throws -> [ParsedCertificate] {
        let ders: [[UInt8]]
        if bytes.starts(with: [0x30]) {
            ders = [bytes]
        } else {
            ders = blocks(bytes).filter { $0.label == "CERTIFICATE" || $0.label == "X509 CERTIFICATE" }.map(\.der)
        }
        guard !ders.isEmpty else { throw LoadError(file: file, message: "has no \(what) (no PEM CERTIFICATE block)") }
        return try ders.enumerated().map { n, der in
            do {
                return ParsedCertificate(certificate: try Certificate(derEncoded: der), der: der)
            } catch {
                throw LoadError(file: file, message: "\(what) \(n + 1) in the file does not parse as X.509: \(error)")
            }
        }
    }

    /// The private key (the first PEM block whose label ends in PRIVATE KEY).
    static func privateKey(_ bytes: [UInt8], file: String) throws -> SigningKey {
        guard let block = blocks(bytes).first(where: { $0.label.hasSuffix("PRIVATE KEY") }) else {
            throw LoadError(file: file, message: "has no private key (no PEM ... PRIVATE KEY block)")
        }
        guard block.label != "ENCRYPTED PRIVATE KEY", !block.headers.contains(where: { $0.contains("ENCRYPTED") }) else {
            throw LoadError(file: file, message: "is an encrypted private key; straitd needs it unencrypted (readable by straitd only)")
        }
        let base64 = Data(block.der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        do {
            return try SigningKey(pemRepresentation: "-----BEGIN \(block.label)-----\n\(base64)\n-----END \(block.label)-----\n")
        } catch {
            throw LoadError(file: file, message: "\(error) (Strait signs with RSA of 2048 bits or more, ECDSA P-256 or P-384)")
        }
    }

    /// The subject Name and SubjectPublicKeyInfo (DER) of a certificate.
    static func fields(_ cert: ParsedCertificate, file: String) throws -> (subject: [UInt8], spki: [UInt8]) {
        do { return try DERNode.subjectAndKey(ofTBS: Array(cert.certificate.tbsCertificateBytes)) } catch {
            throw LoadError(file: file, message: "certificate: \(error)")
        }
    }
}
