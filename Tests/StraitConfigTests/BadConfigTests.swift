import XCTest
@testable import StraitConfig

/// One mistake per case, made by editing a valid base config. Each case asserts the only
/// error's code, key path and line (and, where two rules could give the same, a piece of the message).
final class BadConfigTests: XCTestCase {
    /// Valid with `testFacts()`. The comments are the line numbers the cases refer to.
    static let base = """
    fast-path:                           # 1
      instance: lab                      # 2
      core-mask: "1-2"                   # 3
      control-core: 0                    # 4
      nb-mbuf: 8192                      # 5
      mbuf-cache: 256                    # 6
      nb-rxd: 512                        # 7
      nb-txd: 512                        # 8
      hugepages: false                   # 9
      memory-mb: 512                     # 10
      poll-mode: adaptive                # 11
      idle-sleep-us: 200                 # 12
    control:                             # 13
      socket: /run/strait/lab.sock       # 14
      log-level: info                    # 15
    ports:                               # 16
      - name: lan01                      # 17
        device: net_af_packet0,iface=eth1   # 18
        mtu: 1500                        # 19
        addresses:                       # 20
          - 10.1.0.1/24                  # 21
          - fd00:1::1/64                 # 22
      - name: wan01                      # 23
        device: "0000:00:04.0"           # 24
        nb-rxd: 1024                     # 25
        mac: 02:00:00:00:00:01           # 26
        addresses:                       # 27
          - 10.2.0.1/24                  # 28
    routes:                              # 29
      - prefix: 10.3.0.0/16              # 30
        via: 10.2.0.2                    # 31
      - prefix: 10.4.0.0/16              # 32
        port: lan01                      # 33

    """

    struct Case {
        var name: String
        var edits: [(String, String)] = []
        var text: String? = nil
        var code: ConfigError.Code
        var key: String
        var line: Int
        var column: Int? = nil
        var message: String? = nil

        /// The base with each `(old, new)` applied; `old` must occur exactly once.
        func configText(file: StaticString = #filePath, line: UInt = #line) -> String {
            if let text { return text }
            var result = BadConfigTests.base
            for (old, new) in edits {
                let parts = result.components(separatedBy: old)
                XCTAssertEqual(parts.count, 2, "\(name): '\(old)' must occur once in the base", file: file, line: line)
                result = parts.joined(separator: new)
            }
            return result
        }
    }

    static let cases: [Case] = [
        // YAML and structure
        Case(name: "YAML syntax error", edits: [("  log-level: info", "  log-level: info: x")],
             code: .syntax, key: "", line: 15, message: "mapping values are not allowed"),
        Case(name: "top level is a list", text: "- fast-path\n- ports\n", code: .wrongType, key: "", line: 1),
        Case(name: "empty file", text: "# nothing here\n", code: .wrongType, key: "", line: 1, message: "empty file"),
        Case(name: "unknown top-level key", edits: [("    port: lan01                      # 33\n",
                                                     "    port: lan01\nextras: 1\n")],
             code: .unknownKey, key: "extras", line: 34, column: 1),
        Case(name: "unknown section", edits: [("    port: lan01                      # 33\n", "    port: lan01\ncluster: {}\n")],
             code: .unknownKey, key: "cluster", line: 34),
        Case(name: "misspelt key gets a suggestion", edits: [("  mbuf-cache: 256", "  mbuf-cach: 256")],
             code: .unknownKey, key: "fast-path.mbuf-cach", line: 6, column: 3, message: "did you mean 'mbuf-cache'?"),
        Case(name: "misspelt port key", edits: [("    mtu: 1500", "    mut: 1500")],
             code: .unknownKey, key: "ports[0].mut", line: 19, message: "did you mean 'mtu'?"),
        Case(name: "duplicate key", edits: [("  nb-txd: 512                        # 8\n", "  nb-txd: 512\n  nb-rxd: 256\n")],
             code: .duplicateKey, key: "fast-path.nb-rxd", line: 9, message: "first given on line 7"),
        Case(name: "quoted number for an int", edits: [("    mtu: 1500", "    mtu: \"1500\"")],
             code: .wrongType, key: "ports[0].mtu", line: 19, column: 10),
        Case(name: "hex number for an int", edits: [("  nb-mbuf: 8192", "  nb-mbuf: 0x2000")],
             code: .wrongType, key: "fast-path.nb-mbuf", line: 5),
        Case(name: "float for an int", edits: [("  idle-sleep-us: 200", "  idle-sleep-us: 2.5")],
             code: .wrongType, key: "fast-path.idle-sleep-us", line: 12),
        Case(name: "yes for a bool", edits: [("  hugepages: false", "  hugepages: yes")],
             code: .wrongType, key: "fast-path.hugepages", line: 9, message: "write true or false"),
        Case(name: "scalar where a list is expected",
             edits: [("    addresses:                       # 27\n      - 10.2.0.1/24", "    addresses: 10.2.0.1/24")],
             code: .wrongType, key: "ports[1].addresses", line: 27),
        Case(name: "mapping where a string is expected", edits: [("    via: 10.2.0.2", "    via: {a: 1}")],
             code: .wrongType, key: "routes[0].via", line: 31),
        Case(name: "unclosed flow list", edits: [("  nb-txd: 512", "  nb-txd: [512")],
             code: .syntax, key: "", line: 9),
        Case(name: "section that is not a mapping",
             edits: [("control:                             # 13\n  socket: /run/strait/lab.sock       # 14\n"
                      + "  log-level: info                    # 15\n", "control: info\n")],
             code: .wrongType, key: "control", line: 13, column: 10, message: "expected a mapping"),
        Case(name: "list item that is not a mapping", edits: [("  - name: wan01                      # 23\n    device: \"0000:00:04.0\"           # 24\n    nb-rxd: 1024                     # 25\n    mac: 02:00:00:00:00:01           # 26\n    addresses:                       # 27\n      - 10.2.0.1/24                  # 28\n", "  - wan01\n")],
             code: .wrongType, key: "ports[1]", line: 23, column: 5),
        // Required keys
        Case(name: "missing fast-path", text: "ports:\n  - name: p0\n    device: net_ring0\n",
             code: .missingKey, key: "fast-path", line: 1),
        Case(name: "missing ports", text: "fast-path:\n  core-mask: \"1\"\n",
             code: .missingKey, key: "ports", line: 1),
        Case(name: "missing core-mask", edits: [("  core-mask: \"1-2\"                   # 3\n", "")],
             code: .missingKey, key: "fast-path.core-mask", line: 1, column: 1),
        Case(name: "missing port name", edits: [("  - name: wan01                      # 23\n    device", "  - device")],
             code: .missingKey, key: "ports[1].name", line: 23, column: 5),
        Case(name: "missing port device", edits: [("    device: net_af_packet0,iface=eth1   # 18\n", "")],
             code: .missingKey, key: "ports[0].device", line: 17),
        Case(name: "empty ports list", text: "fast-path:\n  core-mask: \"1\"\nports: []\n",
             code: .invalidValue, key: "ports", line: 3),
        // fast-path values
        Case(name: "invalid instance name", edits: [("  instance: lab", "  instance: Lab_1")],
             code: .invalidValue, key: "fast-path.instance", line: 2),
        Case(name: "empty core-mask", edits: [("  core-mask: \"1-2\"", "  core-mask: \"\"")],
             code: .invalidValue, key: "fast-path.core-mask", line: 3, message: "names no CPU"),
        Case(name: "unparsable core-mask", edits: [("  core-mask: \"1-2\"", "  core-mask: \"1-x\"")],
             code: .invalidValue, key: "fast-path.core-mask", line: 3),
        Case(name: "core-mask CPU not online", edits: [("  core-mask: \"1-2\"", "  core-mask: \"0x30\"")],
             code: .notFound, key: "fast-path.core-mask", line: 3, message: "CPUs 4-5 are not online"),
        Case(name: "control-core not online", edits: [("  control-core: 0", "  control-core: 9")],
             code: .notFound, key: "fast-path.control-core", line: 4),
        Case(name: "control-core inside core-mask", edits: [("  control-core: 0", "  control-core: 2")],
             code: .conflict, key: "fast-path.control-core", line: 4),
        Case(name: "default control-core inside core-mask",
             edits: [("  core-mask: \"1-2\"", "  core-mask: \"0-1\""), ("  control-core: 0                    # 4\n", "")],
             code: .conflict, key: "fast-path.core-mask", line: 3, message: "default control-core"),
        Case(name: "nb-rxd not a power of two", edits: [("  nb-rxd: 512", "  nb-rxd: 500")],
             code: .invalidValue, key: "fast-path.nb-rxd", line: 7, message: "power of two"),
        Case(name: "nb-txd too large", edits: [("  nb-txd: 512", "  nb-txd: 32768")],
             code: .outOfRange, key: "fast-path.nb-txd", line: 8),
        Case(name: "port nb-rxd too small", edits: [("    nb-rxd: 1024", "    nb-rxd: 32")],
             code: .outOfRange, key: "ports[1].nb-rxd", line: 25),
        Case(name: "mbuf-cache above 512", edits: [("  mbuf-cache: 256", "  mbuf-cache: 1024")],
             code: .outOfRange, key: "fast-path.mbuf-cache", line: 6),
        // (512+512 + 1024+512) x 2 workers + 256 x 3 + 1024 = 6912
        Case(name: "nb-mbuf below what the ports need", edits: [("  nb-mbuf: 8192", "  nb-mbuf: 4096")],
             code: .outOfRange, key: "fast-path.nb-mbuf", line: 5, message: "at least 6912"),
        // (512+512 + 4096+512) x 2 + 768 + 1024 = 13056
        Case(name: "nb-mbuf counts port ring overrides", edits: [("    nb-rxd: 1024", "    nb-rxd: 4096")],
             code: .outOfRange, key: "fast-path.nb-mbuf", line: 5, message: "at least 13056"),
        Case(name: "memory-mb below 64", edits: [("  memory-mb: 512", "  memory-mb: 32")],
             code: .outOfRange, key: "fast-path.memory-mb", line: 10, message: "minimum of 64"),
        // 8192 x 2.5 KiB = 20 MiB, + 160 MiB
        Case(name: "memory-mb too small for the pool", edits: [("  memory-mb: 512", "  memory-mb: 100")],
             code: .outOfRange, key: "fast-path.memory-mb", line: 10, message: "at least 180 MiB"),
        Case(name: "poll-mode unknown", edits: [("  poll-mode: adaptive", "  poll-mode: lazy")],
             code: .invalidValue, key: "fast-path.poll-mode", line: 11),
        Case(name: "idle-sleep-us zero", edits: [("  idle-sleep-us: 200", "  idle-sleep-us: 0")],
             code: .outOfRange, key: "fast-path.idle-sleep-us", line: 12),
        // control values
        Case(name: "relative socket path", edits: [("  socket: /run/strait/lab.sock", "  socket: lab.sock")],
             code: .invalidValue, key: "control.socket", line: 14),
        Case(name: "log-level unknown", edits: [("  log-level: info", "  log-level: verbose")],
             code: .invalidValue, key: "control.log-level", line: 15),
        // ports
        Case(name: "invalid port name", edits: [("  - name: wan01", "  - name: wan-01")],
             code: .invalidValue, key: "ports[1].name", line: 23),
        // The route naming lan01 stays quiet: the port's name already has an error.
        Case(name: "invalid port name used by a route", edits: [("  - name: lan01", "  - name: LAN01")],
             code: .invalidValue, key: "ports[0].name", line: 17),
        Case(name: "port name longer than 15", edits: [("  - name: wan01", "  - name: wan0123456789abc")],
             code: .invalidValue, key: "ports[1].name", line: 23),
        Case(name: "duplicate port name", edits: [("  - name: wan01", "  - name: lan01")],
             code: .duplicateValue, key: "ports[1].name", line: 23, message: "ports[0] (line 17)"),
        Case(name: "duplicate device", edits: [("    device: \"0000:00:04.0\"", "    device: net_af_packet0,iface=eth2")],
             code: .duplicateValue, key: "ports[1].device", line: 24, message: "device 'net_af_packet0'"),
        Case(name: "two af_packet ports on one interface",
             edits: [("    device: \"0000:00:04.0\"", "    device: net_af_packet1,iface=eth1")],
             code: .duplicateValue, key: "ports[1].device", line: 24, message: "interface 'eth1'"),
        Case(name: "device neither PCI nor vdev", edits: [("    device: \"0000:00:04.0\"", "    device: eth0")],
             code: .invalidValue, key: "ports[1].device", line: 24),
        Case(name: "unknown vdev driver", edits: [("    device: \"0000:00:04.0\"", "    device: net_afpacket0")],
             code: .invalidValue, key: "ports[1].device", line: 24, message: "did you mean 'af_packet'?"),
        Case(name: "af_packet without iface", edits: [("    device: net_af_packet0,iface=eth1", "    device: net_af_packet0")],
             code: .invalidValue, key: "ports[0].device", line: 18, message: "cannot be opened"),
        Case(name: "af_packet interface missing", edits: [("iface=eth1", "iface=eth9")],
             code: .notFound, key: "ports[0].device", line: 18, message: "interface 'eth9' does not exist"),
        Case(name: "PCI device missing", edits: [("    device: \"0000:00:04.0\"", "    device: \"0000:00:09.0\"")],
             code: .notFound, key: "ports[1].device", line: 24),
        Case(name: "mtu out of range", edits: [("    mtu: 1500", "    mtu: 70000")],
             code: .outOfRange, key: "ports[0].mtu", line: 19, message: "70000 is out of range 68...9600"),
        Case(name: "mtu too small for IPv6", edits: [("    mtu: 1500", "    mtu: 1200")],
             code: .outOfRange, key: "ports[0].mtu", line: 19, message: "IPv6"),
        Case(name: "multicast MAC", edits: [("    mac: 02:00:00:00:00:01", "    mac: 01:00:5e:00:00:01")],
             code: .invalidValue, key: "ports[1].mac", line: 26, message: "multicast"),
        Case(name: "zero MAC", edits: [("    mac: 02:00:00:00:00:01", "    mac: 00:00:00:00:00:00")],
             code: .invalidValue, key: "ports[1].mac", line: 26, message: "zeros"),
        Case(name: "address without prefix length", edits: [("      - 10.2.0.1/24", "      - 10.2.0.1")],
             code: .invalidValue, key: "ports[1].addresses[0]", line: 28, column: 9, message: "needs a prefix length"),
        Case(name: "same address on two ports", edits: [("      - 10.2.0.1/24", "      - 10.1.0.1/24")],
             code: .duplicateValue, key: "ports[1].addresses[0]", line: 28),
        Case(name: "same address twice on one port", edits: [("      - fd00:1::1/64", "      - 10.1.0.1/25")],
             code: .duplicateValue, key: "ports[0].addresses[1]", line: 22),
        Case(name: "overlapping subnets on two ports", edits: [("      - 10.2.0.1/24", "      - 10.1.7.1/16")],
             code: .conflict, key: "ports[1].addresses[0]", line: 28, message: "overlaps 10.1.0.0/24"),
        // routes
        Case(name: "route prefix with host bits", edits: [("  - prefix: 10.3.0.0/16", "  - prefix: 10.3.0.1/16")],
             code: .invalidValue, key: "routes[0].prefix", line: 30, message: "the network is 10.3.0.0/16"),
        Case(name: "route prefix without length", edits: [("  - prefix: 10.3.0.0/16", "  - prefix: 10.3.0.0")],
             code: .invalidValue, key: "routes[0].prefix", line: 30),
        Case(name: "route via of the other family", edits: [("    via: 10.2.0.2", "    via: fd00:1::2")],
             code: .conflict, key: "routes[0].via", line: 31),
        Case(name: "route with neither via nor port", edits: [("    port: lan01                      # 33\n", "")],
             code: .missingKey, key: "routes[1]", line: 32, column: 5),
        Case(name: "route port names no port", edits: [("    port: lan01", "    port: lan02")],
             code: .notFound, key: "routes[1].port", line: 33, message: "did you mean 'lan01'?"),
        Case(name: "route via outside every connected subnet", edits: [("    via: 10.2.0.2", "    via: 10.9.0.2")],
             code: .notFound, key: "routes[0].via", line: 31, message: "of any port"),
        Case(name: "route via outside the named port's subnets",
             edits: [("    via: 10.2.0.2                    # 31\n", "    via: 10.2.0.2\n    port: lan01\n")],
             code: .notFound, key: "routes[0].via", line: 31, message: "of port lan01"),
        Case(name: "route via is our own address", edits: [("    via: 10.2.0.2", "    via: 10.2.0.1")],
             code: .conflict, key: "routes[0].via", line: 31),
        Case(name: "duplicate route prefix", edits: [("  - prefix: 10.4.0.0/16", "  - prefix: 10.3.0.0/16")],
             code: .duplicateValue, key: "routes[1].prefix", line: 32),
    ]

    func testBaseConfigLoads() throws {
        let config = try ConfigLoader.parse(text: Self.base, source: "t.yaml", facts: testFacts())
        XCTAssertEqual(config.ports.count, 2)
        XCTAssertEqual(config.ports[1].rxDescriptors, 1024)
        XCTAssertEqual(config.ports[1].txDescriptors, 512)
        XCTAssertEqual(config.routes.map(\.port), [nil, "lan01"])
    }

    func testEachBadConfigReportsItsError() {
        XCTAssertGreaterThanOrEqual(Self.cases.count, 30)
        for c in Self.cases {
            let errors = loadErrors(c.configText(), source: "t.yaml")
            guard errors.count == 1, let error = errors.first else {
                XCTFail("\(c.name): expected one error, got \(errors.count):\n\(ConfigErrors(errors: errors))")
                continue
            }
            XCTAssertEqual(error.code, c.code, "\(c.name): \(error)")
            XCTAssertEqual(error.key, c.key, "\(c.name): \(error)")
            XCTAssertEqual(error.location.line, c.line, "\(c.name): \(error)")
            XCTAssertEqual(error.location.file, "t.yaml", c.name)
            if let column = c.column { XCTAssertEqual(error.location.column, column, "\(c.name): \(error)") }
            if let message = c.message { XCTAssertTrue(error.message.contains(message), "\(c.name): \(error)") }
        }
    }

    func testAllErrorsOfAFileAreReportedInFileOrder() {
        let text = Self.base
            .replacingOccurrences(of: "  instance: lab", with: "  instance: LAB")          // line 2
            .replacingOccurrences(of: "  nb-mbuf: 8192", with: "  nb-mbuf: 2048")          // line 5, found last
            .replacingOccurrences(of: "  log-level: info", with: "  log-levl: info")       // line 15
            .replacingOccurrences(of: "    mtu: 1500", with: "    mtu: 70000")             // line 19
            .replacingOccurrences(of: "    mac: 02:00:00:00:00:01", with: "    mac: yes")  // line 26
            .replacingOccurrences(of: "    port: lan01", with: "    port: lan9")           // line 33
        let errors = loadErrors(text, source: "conf/x.yaml")
        XCTAssertEqual(errors.map(\.location.line), [2, 5, 15, 19, 26, 33])
        XCTAssertEqual(errors.map(\.key), ["fast-path.instance", "fast-path.nb-mbuf", "control.log-levl",
                                           "ports[0].mtu", "ports[1].mac", "routes[1].port"])
        XCTAssertEqual(errors.map(\.code), [.invalidValue, .outOfRange, .unknownKey, .outOfRange, .invalidValue, .notFound])
        XCTAssertEqual(errors[3].description, "conf/x.yaml:19:10: ports[0].mtu: 70000 is out of range 68...9600")
        XCTAssertEqual(errors[2].description,
                       "conf/x.yaml:15:3: control.log-levl: unknown key 'log-levl'; did you mean 'log-level'?")
        let all = ConfigErrors(errors: errors).description
        XCTAssertEqual(all.split(separator: "\n").count, 6)
        XCTAssertTrue(all.hasPrefix("conf/x.yaml:2:13: fast-path.instance: "), all)
    }
}
