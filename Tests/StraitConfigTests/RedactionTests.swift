import Foundation
import XCTest
@testable import StraitConfig

/// ESP keys never leave the config: not through `redactedText` (what `show config` prints),
/// not through an error message, not through printing the model.
final class RedactionTests: XCTestCase {
    static let keys = [IPsecConfigTests.key128, IPsecConfigTests.key256]

    /// Fails when any 12 consecutive hex digits of a test key appear in `text` (either case).
    func assertNoKey(_ text: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let lower = text.lowercased()
        for key in Self.keys {
            let hex = Array(key.dropFirst(2))
            for start in stride(from: 0, through: hex.count - 12, by: 2) {
                let window = String(hex[start..<(start + 12)])
                if lower.contains(window) {
                    XCTFail("\(what) holds key material '\(window)...':\n\(text)", file: file, line: line)
                    return
                }
            }
        }
    }

    func testRedactedTextReplacesOnlyTheKeysAndKeepsTheLines() throws {
        let config = try ConfigLoader.parse(text: IPsecConfigTests.base, source: "t.yaml", facts: testFacts())
        assertNoKey(config.redactedText, "redactedText")
        let original = config.text.components(separatedBy: "\n"), redacted = config.redactedText.components(separatedBy: "\n")
        XCTAssertEqual(original.count, redacted.count)
        for (i, (o, r)) in zip(original, redacted).enumerated() {
            switch i + 1 {
            case 23: XCTAssertEqual(r, "      key: <redacted>   # 23")
            case 38: XCTAssertEqual(r, "      key: <redacted>   # 38")
            default: XCTAssertEqual(o, r, "line \(i + 1)")
            }
        }
        // The redacted text is still YAML; loading it fails on the keys only.
        let errors = loadErrors(config.redactedText)
        XCTAssertEqual(errors.map(\.key), ["ipsec.sas[0].key", "ipsec.sas[1].key"])
        XCTAssertEqual(errors.map(\.location.line), [23, 38])
    }

    /// Every way YAML can write a scalar, in a file that loads.
    func testEveryFormOfAKeyIsRedacted() throws {
        let k = IPsecConfigTests.key128
        let hex = String(k.dropFirst(2))
        let forms: [(String, String)] = [
            ("plain", "key: \(k)"),
            ("single quoted", "key: '\(k)'"),
            ("double quoted", "key: \"\(k)\"  # comment"),
            ("on the next line", "key:\n        \(k)"),
            ("literal block", "key: |-\n        \(k)"),
            ("folded block", "key: >-\n        \(k)\n\n"),
            ("no 0x, upper case", "key: \(hex.uppercased())"),
            ("with a tag", "key: !!str \(k)"),
            ("split double quoted", "key: \"\(k.prefix(20))\\\n        \(k.dropFirst(20))\""),
        ]
        for (name, form) in forms {
            let text = Self.oneSA(keyLines: form)
            let config: StraitConfig
            do {
                config = try ConfigLoader.parse(text: text, source: "t.yaml", facts: testFacts())
            } catch {
                XCTFail("\(name): does not load: \(error)")
                continue
            }
            XCTAssertEqual(config.ipsec.sas.first?.key.bytes.count, 20, name)
            assertNoKey(config.redactedText, name)
            XCTAssertTrue(config.redactedText.contains("<redacted>"), name)
            XCTAssertEqual(config.redactedText.components(separatedBy: "\n").count, text.components(separatedBy: "\n").count, name)
            // Still YAML, and only the key fails to load.
            let errors = ConfigLoader.check(text: config.redactedText, source: "r.yaml", facts: testFacts())
            XCTAssertEqual(errors.map(\.key), ["ipsec.sas[0].key"], "\(name): \(ConfigErrors(errors: errors))")
            XCTAssertEqual(Redaction.redact(text), config.redactedText, "\(name): re-parsing finds the same keys")
        }
    }

    func testFlowMappingsAnchorsAndCRLF() throws {
        let k = IPsecConfigTests.key128
        let sa = "{name: a, direction: out, spi: 300, algorithm: aes128-gcm16, key: \(k), local: 192.0.2.1, "
            + "remote: 192.0.2.2, local-ts: 10.1.0.0/24, remote-ts: 10.2.0.0/24}"
        let flow = Self.header + "ipsec:\n  sas:\n    - \(sa)\n"
        let config = try ConfigLoader.parse(text: flow, source: "t.yaml", facts: testFacts())
        assertNoKey(config.redactedText, "flow")
        XCTAssertTrue(config.redactedText.contains("key: <redacted>, local: 192.0.2.1"), config.redactedText)

        let anchored = Self.oneSA(keyLines: "key: &k \(k)") + """
            - name: b
              direction: in
              spi: 301
              algorithm: aes128-gcm16
              key: *k
              local: 192.0.2.1
              remote: 192.0.2.2
              local-ts: 10.1.0.0/24
              remote-ts: 10.2.0.0/24

        """
        let a = try ConfigLoader.parse(text: anchored, source: "t.yaml", facts: testFacts())
        XCTAssertEqual(a.ipsec.sas.map(\.key.bytes.count), [20, 20])
        assertNoKey(a.redactedText, "anchor")
        XCTAssertTrue(a.redactedText.contains("key: &k <redacted>"), a.redactedText)
        XCTAssertTrue(a.redactedText.contains("key: *k"), a.redactedText)

        let crlf = Self.oneSA(keyLines: "key: \(k)").replacingOccurrences(of: "\n", with: "\r\n")
        let c = try ConfigLoader.parse(text: crlf, source: "t.yaml", facts: testFacts())
        assertNoKey(c.redactedText, "CRLF")
        XCTAssertTrue(c.redactedText.contains("key: <redacted>\r\n"), c.redactedText)
    }

    /// Text that is not YAML, or keys where no key belongs: the line rule and the hex-run rule.
    func testTextThatIsNotYAMLAndStrayKeys() {
        let k = IPsecConfigTests.key128
        let broken = "ipsec:\n  sas:\n    - key: \(k.prefix(22))\n        \(k.dropFirst(22))\n    - name: [unclosed\n"
        let redacted = Redaction.redact(broken)
        assertNoKey(redacted, "broken YAML")
        XCTAssertEqual(redacted, "ipsec:\n  sas:\n    - key: <redacted>\n\n    - name: [unclosed\n")

        let strays = Self.oneSA(keyLines: "key: \(k)") + "# old key: \(IPsecConfigTests.key256)\n"
        assertNoKey(Redaction.redact(strays), "comment")
        let multiLine = Self.oneSA(keyLines: "key: \(k.prefix(22))\n        \(k.dropFirst(22))")
        let plain = Redaction.redact(multiLine)
        assertNoKey(plain, "plain scalar over two lines")
        XCTAssertTrue(plain.contains("      key: <redacted>\n\n      local: 192.0.2.1"), plain)
    }

    func testKeysNeverAppearInErrors() {
        let k = IPsecConfigTests.key128
        let bad = [
            "key: \(k.dropLast(2))zz",                       // not hex
            "key: \(k)00",                                   // 21 bytes
            "key: \(k.dropLast(2))",                         // 19 bytes
            "key: \(IPsecConfigTests.key256)",               // aes256 material for aes128
            "key: \(k)\n      \(k): 1",                      // a key as a mapping key
            "key: \(k)\n      kye: \(k)",                    // misspelt key name
            "key: [\(k)]",                                   // a list
        ]
        for lines in bad {
            let errors = loadErrors(Self.oneSA(keyLines: lines))
            XCTAssertFalse(errors.isEmpty, lines)
            for error in errors { assertNoKey(error.description, "error for '\(lines.prefix(12))'") }
            assertNoKey(ConfigErrors(errors: errors).description, "errors")
        }
        // Key material pasted into other values and places.
        for (old, new) in [("    - name: a", "    - name: \(k)"), ("      spi: 300", "      spi: \(k)"),
                           ("      remote: 192.0.2.2", "      remote: \(k)"),
                           ("  sas:\n", "  sas:\n    - \(k)\n")] {
            let text = Self.oneSA(keyLines: "key: \(k)").replacingOccurrences(of: old, with: new)
            let errors = loadErrors(text)
            XCTAssertFalse(errors.isEmpty, old)
            for error in errors { assertNoKey(error.description, "error for '\(old)'") }
        }
    }

    func testTheModelPrintsKeysAsRedacted() throws {
        let config = try ConfigLoader.parse(text: IPsecConfigTests.base, source: "t.yaml", facts: testFacts())
        let sa = try XCTUnwrap(config.ipsec.sas.first)
        XCTAssertEqual("\(sa.key)", "<redacted>")
        XCTAssertEqual(String(reflecting: sa.key), "<redacted>")
        var dumped = "", dumpedConfig = ""
        dump(config.ipsec, to: &dumped)
        dump(config, to: &dumpedConfig)
        for text in ["\(sa)", String(reflecting: sa), "\(config.ipsec)", dumped, dumpedConfig] {
            assertNoKey(text, "printed model")
            XCTAssertTrue(text.contains("<redacted>"), text)
        }
        for text in ["\(config)", String(reflecting: config)] { assertNoKey(text, "printed config") }
        XCTAssertEqual(config.ipsec.withoutKeys.sas.map(\.key.bytes), [[], []])
        XCTAssertEqual(config.ipsec.withoutKeys.sas.map(\.name), ["site1-out", "site1-in"])
    }

    // MARK: Texts

    static let header = """
    fast-path:
      core-mask: "1"
    ports:
      - name: wan01
        device: net_null0
        addresses: [192.0.2.1/24]

    """

    /// One outbound SA whose `key` is written as `keyLines` (indented for the SA's mapping).
    static func oneSA(keyLines: String) -> String {
        header + """
        ipsec:
          sas:
            - name: a
              direction: out
              spi: 300
              algorithm: aes128-gcm16
              \(keyLines)
              local: 192.0.2.1
              remote: 192.0.2.2
              local-ts: 10.1.0.0/24
              remote-ts: 10.2.0.0/24

        """
    }
}
