import Foundation
import XCTest
@testable import StraitConfig

/// IKE pre-shared keys never leave the config: not through `redactedText`, not through an
/// error message, not through printing the model.
final class IKERedactionTests: XCTestCase {
    static let secrets = [IKEConfigTests.psk, "dGVzdHRlc3R0ZXN0", IKEConfigTests.plainSecret, "0405060708090a0b", "testtesttest"]

    func assertNoSecret(_ text: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        for secret in Self.secrets where text.contains(secret) {
            XCTFail("\(what) holds the secret '\(secret)':\n\(text)", file: file, line: line)
        }
    }

    func testRedactedTextReplacesOnlyTheSecretsAndKeepsTheLines() throws {
        let config = try ConfigLoader.parse(text: IKEConfigTests.base, source: "t.yaml", facts: IKEConfigTests.facts)
        assertNoSecret(config.redactedText, "redactedText")
        let original = config.text.components(separatedBy: "\n"), redacted = config.redactedText.components(separatedBy: "\n")
        XCTAssertEqual(original.count, redacted.count)
        for (i, (o, r)) in zip(original, redacted).enumerated() {
            switch i + 1 {
            case 71: XCTAssertEqual(r, "      psk: <redacted>   # 71")
            case 99: XCTAssertEqual(r, "      secret: <redacted>   # 99")
            case 101: XCTAssertEqual(r, "      secret: <redacted>   # 101")
            default: XCTAssertEqual(o, r, "line \(i + 1)")
            }
        }
        XCTAssertEqual(Redaction.redact(config.text), config.redactedText, "re-parsing finds the same secrets")
        // Still YAML; loading it fails on the secrets only ("<redacted>" is a 10-byte PSK).
        let errors = loadErrors(config.redactedText, facts: IKEConfigTests.facts)
        XCTAssertEqual(errors.map(\.key), ["ike.vpns[0].psk", "ike.psks[0].secret", "ike.psks[1].secret"])
        XCTAssertEqual(errors.map(\.location.line), [71, 99, 101])
        XCTAssertEqual(Set(errors.map(\.code)), [.weak])
    }

    func testEveryFormOfASecretIsRedacted() throws {
        let s = "correct horse battery staple"
        let forms: [(String, String)] = [
            ("single quoted", "'\(s)'"), ("double quoted", "\"\(s)\"  # comment"), ("literal block", "|-\n        \(s)"),
            ("next line", "\n        \(s)"), ("folded", ">-\n        correct horse\n        battery staple"),
            ("base64", "0sY29ycmVjdCBob3JzZSBiYXR0ZXJ5IHN0YXBsZQ=="), ("tagged", "!!str \(s)"),
        ]
        for (name, value) in forms {
            let text = Self.oneVPN(psk: value, secret: value)
            let config: StraitConfig
            do {
                config = try ConfigLoader.parse(text: text, source: "t.yaml", facts: testFacts())
            } catch {
                XCTFail("\(name): does not load: \(error)")
                continue
            }
            XCTAssertNotNil(config.ike.vpns.first?.psk, name)
            for secret in [s, "correct horse", "battery staple", "Y29ycmVjdCBob3JzZSBiYXR0ZXJ5"] {
                XCTAssertFalse(config.redactedText.contains(secret), "\(name):\n\(config.redactedText)")
            }
            XCTAssertEqual(config.redactedText.components(separatedBy: "<redacted>").count, 3, "\(name):\n\(config.redactedText)")
            XCTAssertEqual(config.redactedText.components(separatedBy: "\n").count, text.components(separatedBy: "\n").count, name)
            XCTAssertEqual(Redaction.redact(text), config.redactedText, name)
        }
    }

    func testFlowMappingsAndTextThatIsNotYAML() throws {
        let flow = Self.oneVPN(psk: "correct horse battery staple", secret: "x")
            .replacingOccurrences(of: "    - ids: [a.example.net]\n      secret: x\n",
                                  with: "    - {ids: [a.example.net], secret: 0sY29ycmVjdCBob3JzZSBiYXR0ZXJ5IHN0YXBsZQ==}\n")
        let config = try ConfigLoader.parse(text: flow, source: "t.yaml", facts: testFacts())
        XCTAssertTrue(config.redactedText.contains("- {ids: [a.example.net], secret: <redacted>}"), config.redactedText)

        let broken = "ike:\n  vpns:\n    - psk: correct horse\n        battery staple\n    - name: [unclosed\n"
            + "  psks:\n    - {ids: [a], secret: hunter2hunter2hunter2}\n"
        let redacted = Redaction.redact(broken)
        for secret in ["correct", "battery", "hunter2"] { XCTAssertFalse(redacted.contains(secret), redacted) }
        XCTAssertEqual(redacted.components(separatedBy: "\n").count, broken.components(separatedBy: "\n").count)
    }

    func testTheModelPrintsSecretsAsRedacted() throws {
        let config = try ConfigLoader.parse(text: IKEConfigTests.base, source: "t.yaml", facts: IKEConfigTests.facts)
        let vpn = try XCTUnwrap(config.ike.vpns.first)
        var dumpedIKE = "", dumpedConfig = ""
        dump(config.ike, to: &dumpedIKE)
        dump(config, to: &dumpedConfig)
        for text in ["\(vpn)", String(reflecting: vpn), "\(config.ike)", "\(config.ike.psks)", dumpedIKE, dumpedConfig,
                     "\(config)", String(reflecting: config)] {
            assertNoSecret(text, "printed model")
        }
        XCTAssertTrue(dumpedIKE.contains("<redacted>"))
    }

    /// One PSK VPN and one psks entry, with `psk` and `secret` written as given (indented for their mappings).
    static func oneVPN(psk: String, secret: String) -> String {
        RedactionTests.header + """
        ike:
          vpns:
            - name: v
              ike-policy: i
              local-address: 192.0.2.1
              remote-address: any
              remote-id: "*.example.net"
              local-auth: {method: psk}
              remote-auth: {method: psk}
              psk: \(psk)
              security-policies:
                - {name: p, local-ts: [10.1.0.0/24], remote-ts: [10.2.0.0/24], ipsec-policy: e}
          ike-policy-templates:
            - {name: i, proposals: [aes128gcm16-prfsha256-x25519]}
          ipsec-policy-templates:
            - {name: e, proposals: [aes128gcm16]}
          psks:
            - ids: [a.example.net]
              secret: \(secret)

        """
    }
}
