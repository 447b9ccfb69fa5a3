import XCTest
@testable import StraitConfig

/// The pieces under the sections: device strings, suggestions, the reader's notion of types.
final class PartsTests: XCTestCase {
    func testDeviceSpecs() {
        XCTAssertEqual(try? DeviceSpec.parse("0000:00:04.0").get(), .pci(address: "0000:00:04.0"))
        XCTAssertEqual(try? DeviceSpec.parse("0000:AF:1f.7").get(), .pci(address: "0000:af:1f.7"))
        XCTAssertEqual(try? DeviceSpec.parse("net_af_packet0,iface=veth1").get().argument("iface"), "veth1")
        XCTAssertEqual(try? DeviceSpec.parse("net_virtio_user12,path=/dev/vhost-net,queues=1").get().identity,
                       "net_virtio_user12")
        for driver in DeviceSpec.drivers {
            XCTAssertNotNil(try? DeviceSpec.parse("net_\(driver)0").get(), driver)
        }
        for bad in ["00:04.0", "0000:00:20.0", "0000:00:04.8", "0000:0g:04.0", "net_tap", "net_foo0", "net_ring0,x",
                    "net_ring0,=1", "net_ring0,a=", "tap0", ""] {
            XCTAssertNil(try? DeviceSpec.parse(bad).get(), bad)
        }
    }

    func testSuggestions() {
        XCTAssertEqual(Suggestion.editDistance("core-mak", "core-mask"), 1)
        XCTAssertEqual(Suggestion.editDistance("", "abc"), 3)
        XCTAssertEqual(Suggestion.closest(to: "core-mak", in: FastPathSection.keys), "core-mask")
        XCTAssertNil(Suggestion.closest(to: "frobnicate", in: FastPathSection.keys))
        XCTAssertEqual(Suggestion.unknownKeyMessage("core-mak", known: FastPathSection.keys),
                       "unknown key 'core-mak'; did you mean 'core-mask'?")
    }

    func testDecimalIntegers() {
        for good in ["0", "7", "-3", "16384"] { XCTAssertTrue(NodeReader.isDecimalInteger(good), good) }
        for bad in ["", "-", "+5", "010", "1_000", "0x10", "1.0", "1e3"] { XCTAssertFalse(NodeReader.isDecimalInteger(bad), bad) }
    }

    func testSizingFormulas() {
        XCTAssertEqual(Limits.minimumMbufs(portDescriptors: [(512, 512), (512, 512)], workers: 1, cache: 256), 3584)
        XCTAssertEqual(Limits.minimumMemoryMB(mbufs: 8192), 180)
        XCTAssertEqual(Limits.minimumMemoryMB(mbufs: 1), 161)
    }

    func testSystemFactsCurrentSeesThisMachine() {
        let facts = SystemFacts.current
        XCTAssertFalse(facts.onlineCPUs.isEmpty)
        XCTAssertTrue(facts.interfaceExists("lo"))
        XCTAssertFalse(facts.interfaceExists("no-such-if0"))
        XCTAssertFalse(facts.interfaceExists("../lo"))
        XCTAssertFalse(facts.pciDeviceExists("ffff:ff:1f.7"))
    }

    func testCPUListParsing() {
        XCTAssertEqual(SystemFacts.parseList("0-3,8\n"), [0, 1, 2, 3, 8])
        XCTAssertEqual(SystemFacts.parseList("200-201"), [200, 201])
        XCTAssertNil(SystemFacts.parseList("3-1"))
        XCTAssertNil(SystemFacts.parseList("x"))
    }
}
